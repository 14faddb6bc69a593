"""Pandera schemas and drift contracts for what CoinGecko v3 returns (see SCHEMAS.md section 1).

What CoinGecko really sends, from the recorded payloads (data/sources/recorded, /coins/list of
rotki/test-caching): ``"symbol": ""`` for real coins (arcium, nyla-ai, ...), ``null`` for any number
it lacks, and ``0`` for an unknown market cap or volume (``[1491091200000, 0.0]`` in a chart's
``market_caps``; the first 242 days of its own export have ``total_volume`` 0). The sentinel table
below turns the zeros into NULL; docs/columns.md gives the reasons.
"""

from typing import Any

import pandas as pd
import pandera.pandas as pa

from validation.contract import UTC_TIME, Contract, columns_frame
from validation.drift import ARRAY, EMPTY, NULL, NUMBER, OBJECT, STRING, FieldSpec
from validation.quote_currency import usd_quote_check
from validation.sentinels import ZERO, unknown_to_null

_NUM = FieldSpec(NUMBER | NULL)
_OPTIONAL_NUM = FieldSpec(NUMBER | NULL, required=False)

MARKETS_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(STRING),
    "symbol": FieldSpec(STRING | EMPTY),  # "" for real coins of the coin list (arcium, nyla-ai, ...)
    "name": FieldSpec(STRING),
    "image": FieldSpec(STRING | NULL),
    "current_price": _NUM,
    "market_cap": _NUM,
    "market_cap_rank": _NUM,
    "fully_diluted_valuation": _NUM,
    "total_volume": _NUM,
    "high_24h": _NUM,
    "low_24h": _NUM,
    "price_change_24h": _NUM,
    "price_change_percentage_24h": _NUM,
    "market_cap_change_24h": _NUM,
    "market_cap_change_percentage_24h": _NUM,
    "circulating_supply": _NUM,
    "total_supply": _NUM,
    "max_supply": _NUM,
    "ath": _NUM,
    "ath_change_percentage": _NUM,
    "ath_date": FieldSpec(STRING | NULL),
    "atl": _NUM,
    "atl_change_percentage": _NUM,
    "atl_date": FieldSpec(STRING | NULL),
    "roi": FieldSpec(OBJECT | NULL),
    "last_updated": FieldSpec(STRING),
    # Present only when asked for (sparkline, price_change_percentage, include_rehypothecated).
    "sparkline_in_7d": FieldSpec(OBJECT, required=False),
    "market_cap_rank_with_rehypothecated": _OPTIONAL_NUM,
    **{
        f"price_change_percentage_{window}_in_currency": _OPTIONAL_NUM
        for window in ("1h", "24h", "7d", "14d", "30d", "200d", "1y")
    },
}
_MARKETS_COLUMNS = {
    name: name
    for name in (
        "id",
        "symbol",
        "name",
        "current_price",
        "market_cap",
        "market_cap_rank",
        "total_volume",
        "price_change_percentage_24h",
        "last_updated",
    )
}

# A listed coin with a price has a market cap (price x supply) and trades somewhere; CoinGecko's 0
# there means it does not know (no circulating supply, no ticker it trusts yet): stored as NULL.
MARKETS_UNKNOWN = {"market_cap": frozenset({ZERO}), "total_volume": frozenset({ZERO})}
CHART_UNKNOWN = {"market_cap": frozenset({ZERO}), "total_volume": frozenset({ZERO})}

CHART_FIELDS: dict[str, FieldSpec] = {name: FieldSpec(ARRAY) for name in ("prices", "market_caps", "total_volumes")}
LIST_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(STRING),
    "symbol": FieldSpec(STRING | EMPTY),  # 4 coins of the recorded list have an empty symbol
    "name": FieldSpec(STRING),
    "platforms": FieldSpec(OBJECT, required=False),
}


def _markets_frame(payloads: pd.Series) -> pd.DataFrame:
    return unknown_to_null(columns_frame(payloads, _MARKETS_COLUMNS, MARKETS_FIELDS), MARKETS_UNKNOWN)


def _chart_frame(payloads: pd.Series) -> pd.DataFrame:
    """Chart slices ``{"prices": [t, p], ...}`` -> timestamp, price, market_cap, total_volume."""
    frame = pd.DataFrame(
        {
            "timestamp": [_stamp(p) for p in payloads],
            "price": [_value(p, "prices") for p in payloads],
            "market_cap": [_value(p, "market_caps") for p in payloads],
            "total_volume": [_value(p, "total_volumes") for p in payloads],
        },
        index=payloads.index,
        dtype=object,
    )
    return unknown_to_null(frame, CHART_UNKNOWN)


def _list_frame(payloads: pd.Series) -> pd.DataFrame:
    return columns_frame(payloads, {"id": "id", "symbol": "symbol", "name": "name"}, LIST_FIELDS)


def _stamp(slice_: dict[str, Any]) -> Any:
    for point in slice_.values():
        if isinstance(point, list) and point:
            return pd.to_datetime(point[0], unit="ms", utc=True, errors="coerce")
    return None


def _value(slice_: dict[str, Any], series: str) -> Any:
    point = slice_.get(series)
    return point[1] if isinstance(point, list) and len(point) > 1 else None


def _text(max_length: int) -> pa.Column:
    return pa.Column(str, pa.Check.str_length(min_value=1, max_value=max_length), coerce=True, nullable=False)


markets_schema = pa.DataFrameSchema(
    {
        "id": _text(300),
        # CoinGecko's coin list has real coins with an empty symbol: their prices are valid (NULL symbol).
        "symbol": pa.Column(str, pa.Check.str_length(max_value=64), coerce=True, nullable=True),
        "name": _text(300),
        "current_price": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=False),
        "market_cap": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "market_cap_rank": pa.Column("Int64", pa.Check.ge(1), coerce=True, nullable=True),
        "total_volume": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "price_change_percentage_24h": pa.Column(float, coerce=True, nullable=True),
        "last_updated": pa.Column(UTC_TIME, coerce=True, nullable=False),
    },
    unique=["id", "last_updated"],
    report_duplicates="exclude_first",
    name="coingecko_markets",
)

chart_schema = pa.DataFrameSchema(
    {
        "timestamp": pa.Column(UTC_TIME, coerce=True, nullable=False),
        "price": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=False),
        "market_cap": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "total_volume": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
    },
    unique=["timestamp"],
    report_duplicates="exclude_first",
    name="coingecko_market_chart",
)

list_schema = pa.DataFrameSchema(
    {
        "id": _text(300),
        "symbol": pa.Column(str, coerce=True, nullable=True),
        "name": pa.Column(str, coerce=True, nullable=False),
    },
    unique=["id"],
    report_duplicates="exclude_first",
    name="coingecko_coins_list",
)

MARKETS = Contract(MARKETS_FIELDS, _markets_frame, markets_schema, usd_quote_check("coingecko", "id", "current_price"))
CHART = Contract(CHART_FIELDS, _chart_frame, chart_schema)
COINS_LIST = Contract(LIST_FIELDS, _list_frame, list_schema)
