"""Market statistics over each coin's latest price: counts, total market cap, 24 h gainers and losers."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

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
    per_source = latest_statement(source=source).subquery("latest")
    numbered = select(
        per_source,
        func.row_number()
        .over(partition_by=per_source.c.coin_id, order_by=(per_source.c.observed_at.desc(), per_source.c.source.desc()))
        .label("rn"),
    ).subquery("numbered")
    current = select(numbered).where(numbered.c.rn == 1).subquery("current")
    count, total = conn.execute(select(func.count(), func.coalesce(func.sum(current.c.market_cap_usd), 0.0))).one()
    movers = (
        select(
            coins.c.canonical_id,
            coins.c.symbol,
            coins.c.name,
            current.c.source,
            current.c.price_usd,
            current.c.change_24h_pct,
            current.c.observed_at,
        )
        .join(coins, coins.c.id == current.c.coin_id)
        .where(current.c.change_24h_pct.isnot(None))
    )
    gainers = list(
        conn.execute(
            movers.where(current.c.change_24h_pct > 0)
            .order_by(current.c.change_24h_pct.desc(), coins.c.id)
            .limit(MOVERS)
        )
    )
    losers = list(
        conn.execute(
            movers.where(current.c.change_24h_pct < 0)
            .order_by(current.c.change_24h_pct.asc(), coins.c.id)
            .limit(MOVERS)
        )
    )
    return MarketStats(source, int(count), float(total), gainers, losers)
