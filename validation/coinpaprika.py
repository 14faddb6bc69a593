"""Pandera schemas and drift contracts for what CoinPaprika v1 returns (see SCHEMAS.md section 2).

CoinPaprika documents "missing values are returned as empty string": ``""`` is accepted wherever a
number is expected and treated as missing.
"""

from functools import lru_cache

import pandera.pandas as pa

from validation.contract import UTC_TIME, Contract, columns_frame
from validation.drift import BOOLEAN, EMPTY, NULL, NUMBER, STRING, FieldSpec

_NUM = FieldSpec(NUMBER | NULL | EMPTY)
_QUOTE_FIELDS = (
    "price",
    "volume_24h",
    "volume_24h_change_24h",
    "market_cap",
    "market_cap_change_24h",
    "percent_change_15m",
    "percent_change_30m",
    "percent_change_1h",
    "percent_change_6h",
    "percent_change_12h",
    "percent_change_24h",
    "percent_change_7d",
    "percent_change_30d",
    "percent_change_1y",
    "ath_price",
    "percent_from_price_ath",
)


def tickers_fields(quote: str) -> dict[str, FieldSpec]:
    """The fields of a ``tick`` with its ``quote`` currency block flattened to ``quotes.<Q>.<field>``."""
    return {
        "id": FieldSpec(STRING),
        "name": FieldSpec(STRING),
        "symbol": FieldSpec(STRING),
        "rank": FieldSpec(NUMBER),
        "circulating_supply": FieldSpec(NUMBER | NULL | EMPTY, required=False),  # absent on the free plan
        "total_supply": _NUM,
        "max_supply": _NUM,
        "beta_value": _NUM,
        "first_data_at": FieldSpec(STRING | NULL, required=False),  # absent in older recordings
        "last_updated": FieldSpec(STRING),
        **{f"quotes.{quote}.{name}": _NUM for name in _QUOTE_FIELDS},
        f"quotes.{quote}.ath_date": FieldSpec(STRING | NULL),
    }


COINS_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(STRING),
    "name": FieldSpec(STRING),
    "symbol": FieldSpec(STRING),
    "rank": FieldSpec(NUMBER),
    "is_new": FieldSpec(BOOLEAN),
    "is_active": FieldSpec(BOOLEAN),
    "type": FieldSpec(STRING),
}
TICKER_HISTORY_FIELDS: dict[str, FieldSpec] = {
    "timestamp": FieldSpec(STRING),
    "price": _NUM,
    "volume_24h": _NUM,
    "market_cap": _NUM,
}
OHLCV_FIELDS: dict[str, FieldSpec] = {
    "time_open": FieldSpec(STRING),
    "time_close": FieldSpec(STRING),
    **{name: _NUM for name in ("open", "high", "low", "close", "volume", "market_cap")},
}


@lru_cache
def tickers_contract(quote: str) -> Contract:
    """The contract of `/tickers` with its `quote` currency block (e.g. ``USD``)."""
    fields = tickers_fields(quote)
    columns = {name: name for name in ("id", "symbol", "name", "rank", "last_updated")}
    columns |= {name: f"quotes.{quote}.{name}" for name in ("price", "volume_24h", "market_cap", "percent_change_24h")}
    schema = pa.DataFrameSchema(
        {
            "id": pa.Column(str, pa.Check.str_length(min_value=1, max_value=300), coerce=True, nullable=False),
            "symbol": pa.Column(str, pa.Check.str_length(min_value=1, max_value=64), coerce=True, nullable=False),
            "name": pa.Column(str, pa.Check.str_length(min_value=1, max_value=300), coerce=True, nullable=False),
            "rank": pa.Column("Int64", pa.Check.ge(0), coerce=True, nullable=True),
            "last_updated": pa.Column(UTC_TIME, coerce=True, nullable=False),
            "price": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=False),
            "volume_24h": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
            "market_cap": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
            "percent_change_24h": pa.Column(float, coerce=True, nullable=True),
        },
        unique=["id", "last_updated"],
        report_duplicates="exclude_first",
        name="coinpaprika_tickers",
    )
    return Contract(fields, lambda payloads: columns_frame(payloads, columns, fields), schema)


def _history_contract(fields: dict[str, FieldSpec], columns: dict[str, str], name: str) -> Contract:
    schema = pa.DataFrameSchema(
        {
            "timestamp": pa.Column(UTC_TIME, coerce=True, nullable=False),
            "price": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=False),
            "volume_24h": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
            "market_cap": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        },
        unique=["timestamp"],
        report_duplicates="exclude_first",
        name=name,
    )
    return Contract(fields, lambda payloads: columns_frame(payloads, columns, fields), schema)


COINS = Contract(
    COINS_FIELDS,
    lambda payloads: columns_frame(payloads, {n: n for n in ("id", "symbol", "name")}, COINS_FIELDS),
    pa.DataFrameSchema(
        {
            "id": pa.Column(str, pa.Check.str_length(min_value=1, max_value=300), coerce=True, nullable=False),
            "symbol": pa.Column(str, coerce=True, nullable=False),
            "name": pa.Column(str, coerce=True, nullable=False),
        },
        unique=["id"],
        report_duplicates="exclude_first",
        name="coinpaprika_coins",
    ),
)
TICKER_HISTORY = _history_contract(
    TICKER_HISTORY_FIELDS,
    {"timestamp": "timestamp", "price": "price", "volume_24h": "volume_24h", "market_cap": "market_cap"},
    "coinpaprika_tickers_historical",
)
OHLCV_HISTORY = _history_contract(
    OHLCV_FIELDS,
    {"timestamp": "time_open", "price": "close", "volume_24h": "volume", "market_cap": "market_cap"},
    "coinpaprika_ohlcv_historical",
)
HISTORY = {"tickers": TICKER_HISTORY, "ohlcv": OHLCV_HISTORY}
