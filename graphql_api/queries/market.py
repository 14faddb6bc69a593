"""Market statistics over each coin's latest price: counts, total market cap, 24 h gainers and losers."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Subquery, func, select

from graphql_api.queries.prices import latest_statement
from graphql_api.queries.tables import coins

MOVERS = 5


@dataclass(frozen=True)
class MarketStats:
    """Figures over the latest price of each coin (of one source, or the newest across sources)."""

    source: str | None
    coin_count: int
    total_market_cap_usd: float
    gainers: list[Any]
    losers: list[Any]


def market_stats(conn: Connection, source: str | None) -> MarketStats:
    """Three SQL statements: totals, top gainers, top losers (all over the latest prices)."""
    current = current_prices(source)
    count, total = conn.execute(totals_statement(current)).one()
    gainers = list(conn.execute(movers_statement(current, rising=True)))
    losers = list(conn.execute(movers_statement(current, rising=False)))
    return MarketStats(source, int(count), float(total), gainers, losers)


def current_prices(source: str | None) -> Subquery:
    """Each coin's latest price: of ``source``, or the newest across sources (ties: the greater source name)."""
    per_source = latest_statement(source=source).subquery("latest")
    numbered = select(
        per_source,
        func.row_number()
        .over(partition_by=per_source.c.coin_id, order_by=(per_source.c.observed_at.desc(), per_source.c.source.desc()))
        .label("rn"),
    ).subquery("numbered")
    return select(numbered).where(numbered.c.rn == 1).subquery("current")


def totals_statement(current: Subquery) -> Select[tuple[int, float]]:
    """(coin count, total market cap): the sum adds the caps in coin-id order.

    A float sum depends on the order of its terms; summed in whatever order the plan reads them, the
    same data could total differently in the last digit from one plan (or statement) to another.
    """
    ordered = select(current.c.market_cap_usd).order_by(current.c.coin_id).subquery("ordered")
    return select(func.count(), func.coalesce(func.sum(ordered.c.market_cap_usd), 0.0))


def movers_statement(current: Subquery, rising: bool) -> Select[Any]:
    """The MOVERS largest 24 h rises (``rising``) or falls, largest first, ties by coin id."""
    change = current.c.change_24h_pct
    return (
        select(
            coins.c.canonical_id,
            coins.c.symbol,
            coins.c.name,
            current.c.source,
            current.c.price_usd,
            change,
            current.c.observed_at,
        )
        .join(coins, coins.c.id == current.c.coin_id)
        .where(change > 0 if rising else change < 0)
        .order_by(*movers_order(current, rising))
        .limit(MOVERS)
    )


def movers_order(current: Subquery, rising: bool) -> list[Any]:
    """``movers_statement``'s order: by the change (largest first), then coin id."""
    change = current.c.change_24h_pct
    return [change.desc() if rising else change.asc(), coins.c.id]
