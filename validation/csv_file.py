"""Pandera schema for coinflow's own CSV price format (``data/sample_prices.csv``)."""

import pandas as pd
import pandera.pandas as pa

CSV_COLUMNS = ("symbol", "name", "timestamp", "price_usd", "market_cap_usd", "volume_24h_usd")
REQUIRED_COLUMNS = ("symbol", "name", "timestamp", "price_usd")

_UTC = pd.DatetimeTZDtype("us", "UTC")

csv_prices_schema = pa.DataFrameSchema(
    {
        "symbol": pa.Column(str, pa.Check.str_length(min_value=1, max_value=64), nullable=False),
        "name": pa.Column(str, pa.Check.str_length(min_value=1, max_value=300), nullable=False),
        "timestamp": pa.Column(_UTC, coerce=True, nullable=False),
        "price_usd": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=False),
        "market_cap_usd": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True, required=False),
        "volume_24h_usd": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True, required=False),
    },
    unique=["symbol", "timestamp"],
    report_duplicates="exclude_first",
    strict=False,
    name="csv_prices",
)


def missing_columns(header: list[str]) -> list[str]:
    """The required columns that ``header`` lacks (empty when the file is of this format)."""
    return [name for name in REQUIRED_COLUMNS if name not in header]


USD_CHECK = "usd_only"  # a value priced in another currency cannot land in a *_usd column
FILE_REJECTED_CHECK = "file_rejected"  # a readable row of a file refused as a whole
PERIOD_NOT_CLOSED_CHECK = "period_not_closed"  # a candle whose period ends after the load: no close yet


def coerce_check(column: str) -> str:
    """The Pandera check name of a value that cannot be read as ``column``'s type (as Pandera names it)."""
    return f"coerce_dtype('{csv_prices_schema.columns[column].dtype}')"
