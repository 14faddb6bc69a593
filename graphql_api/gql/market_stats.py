"""``marketStats``: coin count, total market cap and 24 h movers, computed in SQL."""

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from graphql_api.gql.coin_types import SourceArg
from graphql_api.gql.context import Context
from graphql_api.gql.scalars import Source, source_value
from graphql_api.queries.market import market_stats
from models.columns import as_utc


@strawberry.type(description="A coin's 24 h move at its latest price.")
class Mover:
    """A gainer or loser."""

    canonical_id: str = strawberry.field(description="The coin's canonical id.")
    symbol: str = strawberry.field(description="The coin's ticker.")
    name: str = strawberry.field(description="The coin's name.")
    source: Source = strawberry.field(description="The source of the latest price.")
    price_usd: float = strawberry.field(description="The latest price, USD.")
    change_24h_pct: float = strawberry.field(description="Change over 24 h, percent.")
    observed_at: datetime = strawberry.field(description="When the latest price was observed (UTC).")

    @staticmethod
    def from_row(row: Any) -> "Mover":
        """Build from a movers row."""
        return Mover(
            canonical_id=row.canonical_id,
            symbol=row.symbol,
            name=row.name,
            source=Source(row.source),
            price_usd=row.price_usd,
            change_24h_pct=row.change_24h_pct,
            observed_at=as_utc(row.observed_at),
        )


@strawberry.type(description="Figures over each coin's latest price (of one source, or the newest across sources).")
class MarketStats:
    """Market statistics."""

    source: Source | None = strawberry.field(description="The source asked for (null: newest across sources).")
    coin_count: int = strawberry.field(description="Coins with a latest price.")
    total_market_cap_usd: float = strawberry.field(description="Sum of their market caps, USD.")
    top_gainers: list[Mover] = strawberry.field(description="The 5 largest 24 h rises, largest first.")
    top_losers: list[Mover] = strawberry.field(description="The 5 largest 24 h falls, largest first.")


@strawberry.type(description="Market statistics.")
class MarketQuery:
    """Market statistics."""

    @strawberry.field(description="Coin count, total market cap, top 5 gainers and losers over 24 h.")
    async def market_stats(self, info: Info[Context, None], source: SourceArg = None) -> MarketStats:
        """Market statistics."""
        stats = await info.context.run(market_stats, source_value(source))
        return MarketStats(
            source=source,
            coin_count=stats.coin_count,
            total_market_cap_usd=stats.total_market_cap_usd,
            top_gainers=[Mover.from_row(row) for row in stats.gainers],
            top_losers=[Mover.from_row(row) for row in stats.losers],
        )
