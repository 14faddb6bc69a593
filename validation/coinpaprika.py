"""Pandera schemas and drift contracts for what CoinPaprika v1 returns (see SCHEMAS.md section 2).

CoinPaprika documents "missing values are returned as empty string": ``""`` is accepted wherever a
value is expected and treated as missing. It writes ``0`` for what it does not know (``"max_supply": 0``
in the recorded tickers): a market cap or volume of 0 means unknown, and ``rank`` 0 means unranked
(ranks start at 1); the sentinel tables below turn them into NULL (docs/columns.md gives the reasons).

An OHLCV row is a candle: its close is observed at the period's end, ``time_open`` + the period
(``time_close`` 23:59:59 is the last second inside it). A candle still open when fetched (CoinPaprika
returns today's partial candle with ``time_close`` = the fetch time) is not a close: it is
quarantined with the check ``period_not_closed``.
"""

from datetime import timedelta
from functools import lru_cache
from typing import Any

import pandas as pd
import pandera.pandas as pa

from validation.contract import UTC_TIME, Contract, columns_frame
from validation.drift import BOOLEAN, EMPTY, NULL, NUMBER, STRING, FieldSpec
from validation.quote_currency import usd_quote_check
from validation.sentinels import ZERO, unknown_to_null

# The period of the candles coinflow asks for (flows/sources/coinpaprika.py: ``interval=24h``).
OHLCV_PERIOD = timedelta(hours=24)
# time_close is written to the second: 23:59:59 closes the day that ends at 24:00:00.
_CLOSE_RESOLUTION = timedelta(seconds=1)
_VOLUME_AND_CAP_UNKNOWN = {"market_cap": frozenset({ZERO}), "volume_24h": frozenset({ZERO})}
TICKERS_UNKNOWN = {**_VOLUME_AND_CAP_UNKNOWN, "rank": frozenset({ZERO})}
HISTORY_UNKNOWN = _VOLUME_AND_CAP_UNKNOWN

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
        "symbol": FieldSpec(STRING | EMPTY),  # a tick's missing values are "" (documented)
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
    "symbol": FieldSpec(STRING | EMPTY),
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
            "symbol": pa.Column(str, pa.Check.str_length(max_value=64), coerce=True, nullable=True),
            "name": pa.Column(str, pa.Check.str_length(min_value=1, max_value=300), coerce=True, nullable=False),
            "rank": pa.Column("Int64", pa.Check.ge(1), coerce=True, nullable=True),
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
    return Contract(
        fields,
        lambda payloads: unknown_to_null(columns_frame(payloads, columns, fields), TICKERS_UNKNOWN),
        schema,
        usd_quote_check("coinpaprika", "id", "price") if quote == "USD" else None,
    )


_HISTORY_COLUMNS = {
    "timestamp": pa.Column(UTC_TIME, coerce=True, nullable=False),
    "price": pa.Column(float, pa.Check.gt(0), coerce=True, nullable=False),
    "volume_24h": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
    "market_cap": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
}


def _ticker_history_frame(payloads: pd.Series) -> pd.DataFrame:
    """Historical ticks are instants: ``timestamp`` is when the price was observed."""
    columns = {"timestamp": "timestamp", "price": "price", "volume_24h": "volume_24h", "market_cap": "market_cap"}
    return unknown_to_null(columns_frame(payloads, columns, TICKER_HISTORY_FIELDS), HISTORY_UNKNOWN)


def _ohlcv_frame(payloads: pd.Series) -> pd.DataFrame:
    """Candles -> the close observed at the period's end (``timestamp``), with the candle's own bounds."""
    columns = {
        "time_open": "time_open",
        "time_close": "time_close",
        "price": "close",
        "volume_24h": "volume",
        "market_cap": "market_cap",
    }
    frame = unknown_to_null(columns_frame(payloads, columns, OHLCV_FIELDS), HISTORY_UNKNOWN)
    frame.insert(0, "timestamp", [period_end(value) for value in frame["time_open"]])
    return frame


def period_end(time_open: Any) -> pd.Timestamp | None:
    """The exclusive end of the candle opening at ``time_open`` (RFC 3339), or None if unreadable."""
    opened = pd.to_datetime(time_open, utc=True, errors="coerce") if isinstance(time_open, str) else pd.NaT
    return None if pd.isna(opened) else opened + OHLCV_PERIOD


def _period_closed(time_close: pd.Series) -> pd.Series:
    """A candle is closed when its time_close is the last second of a period and that second has passed.

    Today's partial candle has time_close = the fetch time (2022-04-19T15:44:00Z in the recording).
    """
    end = time_close + _CLOSE_RESOLUTION
    on_boundary = end == end.dt.floor(pd.Timedelta(OHLCV_PERIOD))  # periods count from the epoch (00:00 UTC)
    return on_boundary & (end <= pd.Timestamp.now(tz="UTC"))


_OHLCV_SCHEMA = pa.DataFrameSchema(
    {
        **_HISTORY_COLUMNS,
        "time_open": pa.Column(UTC_TIME, coerce=True, nullable=False),
        "time_close": pa.Column(
            UTC_TIME, pa.Check(_period_closed, name="period_not_closed"), coerce=True, nullable=False
        ),
    },
    unique=["timestamp"],
    report_duplicates="exclude_first",
    name="coinpaprika_ohlcv_historical",
)


COINS = Contract(
    COINS_FIELDS,
    lambda payloads: columns_frame(payloads, {n: n for n in ("id", "symbol", "name")}, COINS_FIELDS),
    pa.DataFrameSchema(
        {
            "id": pa.Column(str, pa.Check.str_length(min_value=1, max_value=300), coerce=True, nullable=False),
            "symbol": pa.Column(str, coerce=True, nullable=True),
            "name": pa.Column(str, coerce=True, nullable=False),
        },
        unique=["id"],
        report_duplicates="exclude_first",
        name="coinpaprika_coins",
    ),
)
TICKER_HISTORY = Contract(
    TICKER_HISTORY_FIELDS,
    _ticker_history_frame,
    pa.DataFrameSchema(
        _HISTORY_COLUMNS, unique=["timestamp"], report_duplicates="exclude_first", name="coinpaprika_tickers_historical"
    ),
)
OHLCV_HISTORY = Contract(OHLCV_FIELDS, _ohlcv_frame, _OHLCV_SCHEMA)
HISTORY = {"tickers": TICKER_HISTORY, "ohlcv": OHLCV_HISTORY}
