"""CoinPaprika v1: tickers (one unpaged snapshot), the coin list and history per coin (cursor, paged
by time window), from ``/tickers/{id}/historical`` or ``/coins/{id}/ohlcv/historical`` per settings.

Extract only: these functions call the API through the client factory and return raw records.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from flows.http_client import PayloadError, SourceClient
from flows.sources.stream import Stream

SOURCE = "coinpaprika"
TICKERS = Stream("tickers", "tickers", ("id", "last_updated"))
COINS = Stream("coins", "coins", ("id",))
TICKER_HISTORY = Stream("tickers_historical", "tickers/{id}/historical", ("coin_id", "timestamp"), "timestamp")
OHLCV_HISTORY = Stream("ohlcv_historical", "coins/{id}/ohlcv/historical", ("coin_id", "time_open"), "time_open")
HISTORY_STREAMS = {"tickers": TICKER_HISTORY, "ohlcv": OHLCV_HISTORY}
OHLCV_MAX_LIMIT = 366


def fetch_tickers(client: SourceClient, quote: str) -> list[dict[str, Any]]:
    """Every ticker with its ``quote`` currency quotes (the API has no paging here)."""
    return _expect(client.get_json(TICKERS.endpoint, {"quotes": quote.upper()}), TICKERS.endpoint)


def fetch_coins(client: SourceClient) -> list[dict[str, Any]]:
    """The coin list: id, name, symbol, rank, is_new, is_active, type."""
    return _expect(client.get_json(COINS.endpoint), COINS.endpoint)


def fetch_history_page(
    client: SourceClient, endpoint: str, coin_id: str, start: datetime, end: datetime, limit: int, quote: str
) -> list[dict[str, Any]]:
    """One page of daily history from ``start`` (at most ``limit`` rows); a full page means ask again."""
    stream = HISTORY_STREAMS[endpoint]
    path = stream.endpoint.format(id=coin_id)
    params: dict[str, Any] = {"start": _rfc3339(start), "end": _rfc3339(end), "quote": quote.lower()}
    if endpoint == "tickers":
        params |= {"interval": "1d", "limit": limit}
    else:
        params |= {"interval": "24h", "limit": min(limit, OHLCV_MAX_LIMIT)}
    return _expect(client.get_json(path, params), path)


def page_limit(endpoint: str, limit: int) -> int:
    """The page size the endpoint really allows for ``limit``."""
    return min(limit, OHLCV_MAX_LIMIT) if endpoint == "ohlcv" else limit


def next_page_start(rows: list[dict[str, Any]], endpoint: str) -> datetime | None:
    """Where the next page starts (one second after the last row), or None if no usable timestamp."""
    field = HISTORY_STREAMS[endpoint].cursor_field or ""
    stamps = [parse_time(row.get(field)) for row in rows if isinstance(row, dict)]
    known = [s for s in stamps if s is not None]
    return max(known) + timedelta(seconds=1) if known else None


def snapshot_records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Raw records of a tickers or coins response: one per coin (tickers keyed with last_updated)."""
    keys = [
        f"{row.get('id')}@{row['last_updated']}"
        if isinstance(row, dict) and "last_updated" in row
        else str(row.get("id") if isinstance(row, dict) else "?")
        for row in rows
    ]
    return pd.DataFrame({"natural_key": keys, "payload": rows})


def history_records(coin_id: str, rows: list[dict[str, Any]], endpoint: str) -> pd.DataFrame:
    """Raw records of a history page: one per row as received, keyed by coin and timestamp."""
    field = HISTORY_STREAMS[endpoint].cursor_field or ""
    keys = [f"{coin_id}@{row.get(field) if isinstance(row, dict) else '?'}" for row in rows]
    return pd.DataFrame({"natural_key": keys, "payload": rows})


def history_window(
    cursor: str | None, lookback: timedelta, first_start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """The range to ask for: from the last loaded row minus ``lookback`` (first run: ``first_start``)."""
    last = parse_time(cursor)
    return (first_start if last is None else last - lookback), end


def parse_time(value: Any) -> datetime | None:
    """An RFC3339 timestamp as CoinPaprika writes it, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expect(payload: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(payload, list):
        received = {"status": 200, "content_type": "application/json", "body": payload}
        raise PayloadError(f"GET {path}: expected a JSON list, got {type(payload).__name__}", received)
    return payload
