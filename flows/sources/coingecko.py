"""CoinGecko v3: the markets snapshot (paged), price history per coin (cursor) and the coin list.

Extract only: these functions call the API through the client factory and return what came back
as raw records (natural key + payload as received). They never write.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from flows.http_client import PayloadError, SourceClient
from flows.sources.stream import Stream

SOURCE = "coingecko"
MARKETS = Stream("markets", "coins/markets", ("id", "last_updated"))
MARKET_CHART = Stream("market_chart", "coins/{id}/market_chart/range", ("coin_id", "timestamp"), "timestamp")
COINS_LIST = Stream("coins_list", "coins/list", ("id",))
CHART_SERIES = ("prices", "market_caps", "total_volumes")


def fetch_markets_page(client: SourceClient, vs_currency: str, page: int, per_page: int) -> list[dict[str, Any]]:
    """One page of ``/coins/markets`` ordered by market cap; an empty or short page is the last one."""
    params = {"vs_currency": vs_currency, "order": "market_cap_desc", "per_page": per_page, "page": page}
    return _expect(client.get_json(MARKETS.endpoint, params), list, MARKETS.endpoint)


def fetch_market_chart(
    client: SourceClient, coin_id: str, vs_currency: str, start: datetime, end: datetime
) -> dict[str, Any]:
    """``/coins/{id}/market_chart/range`` between ``start`` and ``end`` (UNIX seconds on the wire)."""
    path = MARKET_CHART.endpoint.format(id=coin_id)
    params = {"vs_currency": vs_currency, "from": int(start.timestamp()), "to": int(end.timestamp())}
    return _expect(client.get_json(path, params), dict, path)


def fetch_coins_list(client: SourceClient) -> list[dict[str, Any]]:
    """Every active coin's id, symbol, name and contracts per platform (one unpaged response, ~18k entries)."""
    return _expect(client.get_json(COINS_LIST.endpoint, {"include_platform": "true"}), list, COINS_LIST.endpoint)


def markets_records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Raw records of a markets page: one per coin, keyed by id and last_updated."""
    keys = [f"{row.get('id')}@{row.get('last_updated')}" if isinstance(row, dict) else "?" for row in rows]
    return pd.DataFrame({"natural_key": keys, "payload": rows})


def list_records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Raw records of the coin list: one per coin id."""
    return pd.DataFrame({"natural_key": [str(row.get("id")) for row in rows], "payload": rows})


def chart_records(coin_id: str, chart: dict[str, Any]) -> pd.DataFrame:
    """Raw records of a chart: the three series sliced per timestamp, each slice exactly as received.

    Slicing per point keys raw by (coin, timestamp), so the overlap a lookback re-asks lands as a no-op.
    """
    points: dict[Any, dict[str, Any]] = {}
    # Every list-valued key, known or not: a renamed series still lands in raw.
    for series, values in chart.items():
        for point in values if isinstance(values, list) else []:
            if isinstance(point, list) and point:
                points.setdefault(point[0], {})[series] = point
    ordered = sorted(points.items(), key=_point_order)
    return pd.DataFrame(
        {"natural_key": [f"{coin_id}@{t}" for t, _ in ordered], "payload": [slice_ for _, slice_ in ordered]}
    )


def chart_window(
    cursor_ms: int | None, lookback: timedelta, first_start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """The range to ask for: from the last loaded point minus ``lookback`` (first run: ``first_start``)."""
    if cursor_ms is None:
        return first_start, end
    return datetime.fromtimestamp(cursor_ms / 1000, UTC) - lookback, end


def _point_order(item: tuple[Any, dict[str, Any]]) -> tuple[int, Any]:
    stamp = item[0]
    return (0, stamp) if isinstance(stamp, int | float) else (1, str(stamp))


def _expect(payload: Any, kind: type, path: str) -> Any:
    if not isinstance(payload, kind):
        received = {"status": 200, "content_type": "application/json", "body": payload}
        raise PayloadError(f"GET {path}: expected a JSON {kind.__name__}, got {type(payload).__name__}", received)
    return payload
