"""``marketStats``: coin count, total market cap and 24 h movers, computed in SQL."""

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from graphql_api.gql.context import Context
from graphql_api.gql.scalars import Source, source_value
from graphql_api.queries.market import market_stats
from models.columns import as_utc


@strawberry.type(description="A coin's 24 h move at its latest price.")
class Mover:
    """A gainer or loser."""

    canonical_id: str
    symbol: str
    name: str
    source: str
    price_usd: float
    change_24h_pct: float
    observed_at: datetime

    @staticmethod
    def from_row(row: Any) -> "Mover":
        """Build from a movers row."""
        return Mover(
            canonical_id=row.canonical_id,
            symbol=row.symbol,
            name=row.name,
            source=row.source,
            price_usd=row.price_usd,
            change_24h_pct=row.change_24h_pct,
            observed_at=as_utc(row.observed_at),
        )


@strawberry.type(description="Figures over each coin's latest price (of one source, or the newest across sources).")
class MarketStats:
    """Market statistics."""

    source: str | None
    coin_count: int
    total_market_cap_usd: float
    top_gainers: list[Mover]
    top_losers: list[Mover]


@strawberry.type
class MarketQuery:
    """Market statistics."""

    @strawberry.field(description="Coin count, total market cap, top 5 gainers and losers over 24 h.")
    async def market_stats(self, info: Info[Context, None], source: Source | None = None) -> MarketStats:
        """Market statistics."""
        stats = await info.context.run(market_stats, source_value(source))
        return MarketStats(
            source=stats.source,
            coin_count=stats.coin_count,
            total_market_cap_usd=stats.total_market_cap_usd,
            top_gainers=[Mover.from_row(row) for row in stats.gainers],
            top_losers=[Mover.from_row(row) for row in stats.losers],
        )
