"""Coins: filtered keyset pages in several orders, look-ups by id, their source mappings.

"Matched" (the ``matched`` filter): another source's id joined the coin by a cross-source rule
(``models.coins.CROSS_SOURCE_METHODS``: override, contract, symbol+name, slug, name+symbol, market), or more
than one source maps to it.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Float, Select, cast, exists, func, literal, or_, select

from graphql_api.paging import Page, PageRequest, fetch_page
from graphql_api.queries.prices import latest_per_source, latest_statement, search_condition
from graphql_api.queries.tables import coin_sources, coins
from models.coins import CROSS_SOURCE_METHODS

COIN_CURSOR = "c"


class CoinOrder(Enum):
    """What a coin list is sorted by (coins without a price sort last)."""

    RANK = "rank"
    MARKET_CAP = "market_cap"
    SYMBOL = "symbol"
    NAME = "name"


KEY_TYPES: dict[CoinOrder, tuple[type, ...]] = {
    CoinOrder.RANK: (int, int),
    CoinOrder.MARKET_CAP: (float, int),
    CoinOrder.SYMBOL: (str, int),
    CoinOrder.NAME: (str, int),
}


@dataclass(frozen=True)
class CoinFilter:
    """Which coins: exact symbol (any case), search text, seen by a source, matched or not."""

    symbol: str | None = None
    search: str | None = None
    source: str | None = None
    matched: bool | None = None


def cursor_kind(order: CoinOrder, descending: bool) -> str:
    """Cursors of one ordering cannot be replayed against another."""
    return f"{COIN_CURSOR}:{order.value}:{'d' if descending else 'a'}"


def coin_conditions(f: CoinFilter) -> list[ColumnElement[bool]]:
    """WHERE terms on ``coins`` for ``f``."""
    conditions: list[ColumnElement[bool]] = []
    if f.symbol:
        conditions.append(func.upper(coins.c.symbol) == f.symbol.upper())
    if f.search:
        conditions.append(search_condition(f.search))
    if f.source:
        conditions.append(exists().where(coin_sources.c.coin_id == coins.c.id, coin_sources.c.source == f.source))
    if f.matched is not None:
        by_rule = exists().where(
            coin_sources.c.coin_id == coins.c.id, coin_sources.c.match_method.in_(CROSS_SOURCE_METHODS)
        )
        several = (
            select(func.count(func.distinct(coin_sources.c.source)))
            .where(coin_sources.c.coin_id == coins.c.id)
            .scalar_subquery()
            > 1
        )
        matched = or_(by_rule, several)
        conditions.append(matched if f.matched else ~matched)
    return conditions


def _coin_latest() -> Any:
    """Per coin, the best rank and the largest market cap among its sources' latest prices.

    An aggregate rather than "the newest row per coin" (a window): PostgreSQL estimates a GROUP BY
    well and hash-joins it, where the window's one-row estimate led to a nested loop over all coins.
    """
    latest = latest_statement().subquery("latest")
    return (
        select(
            latest.c.coin_id,
            func.min(latest.c.rank).label("rank"),
            func.max(latest.c.market_cap_usd).label("market_cap_usd"),
        )
        .group_by(latest.c.coin_id)
        .subquery("coin_latest")
    )


def _sort_key(order: CoinOrder, descending: bool, latest: Any) -> ColumnElement[Any]:
    # Sentinels put coins without a price last in either direction, keeping one comparable key.
    if order is CoinOrder.RANK:
        return func.coalesce(latest.c.rank, literal(-1 if descending else 2**31 - 1))
    if order is CoinOrder.MARKET_CAP:
        return func.coalesce(cast(latest.c.market_cap_usd, Float), literal(-1.0 if descending else 1e300))
    return coins.c.symbol if order is CoinOrder.SYMBOL else coins.c.name


def page_coins(
    conn: Connection, f: CoinFilter, order: CoinOrder, descending: bool, request: PageRequest
) -> tuple[Page, list[ColumnElement[Any]]]:
    """One page of coins (rows carry ``sort_key``), keyset on (sort key, id)."""
    statement, columns = coin_list_statement(f, order, descending)
    return fetch_page(conn, statement, columns, request, descending), columns


def coin_list_statement(
    f: CoinFilter, order: CoinOrder, descending: bool
) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """The coins matching ``f`` with their ``sort_key`` (unbounded, unordered) and the keyset columns."""
    statement = select(coins)
    latest = None
    if order in (CoinOrder.RANK, CoinOrder.MARKET_CAP):
        latest = _coin_latest()
        statement = statement.outerjoin(latest, latest.c.coin_id == coins.c.id)
    key = _sort_key(order, descending, latest)
    columns: list[ColumnElement[Any]] = [key, coins.c.id]
    return statement.add_columns(key.label("sort_key")).where(*coin_conditions(f)), columns


def count_coins(conn: Connection, f: CoinFilter) -> int:
    """How many coins match ``f``."""
    return int(conn.execute(select(func.count()).select_from(coins).where(*coin_conditions(f))).scalar_one())


def coins_by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """Coin rows by primary key."""
    return {row.id: row for row in conn.execute(select(coins).where(coins.c.id.in_(ids)))}


def coins_by_canonical_ids(conn: Connection, canonical_ids: Sequence[str]) -> dict[str, Any]:
    """Coin rows by canonical id."""
    return {row.canonical_id: row for row in conn.execute(select(coins).where(coins.c.canonical_id.in_(canonical_ids)))}


def sources_by_coin(conn: Connection, coin_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each coin's source mappings (source, source id, match method), by source."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    statement = (
        select(coin_sources)
        .where(coin_sources.c.coin_id.in_(coin_ids))
        .order_by(coin_sources.c.coin_id, coin_sources.c.source, coin_sources.c.source_coin_id)
    )
    for row in conn.execute(statement):
        grouped[row.coin_id].append(row)
    return grouped


def latest_by_coin(conn: Connection, coin_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each coin's latest price per source, by source."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in latest_per_source(conn, coin_ids):
        grouped[row.coin_id].append(row)
    return grouped
