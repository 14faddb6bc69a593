"""Queries over coins and prices: ``coins``, ``coin`` and the top-level ``prices``."""

from enum import Enum

import strawberry
from strawberry.types import Info

from graphql_api.gql.coin_types import Coin, From, Price, To
from graphql_api.gql.connection import Connection, to_connection
from graphql_api.gql.context import Context
from graphql_api.gql.scalars import Source, source_value
from graphql_api.paging import page_request
from graphql_api.queries.coins import (
    KEY_TYPES,
    CoinFilter,
    CoinOrder,
    coins_by_canonical_ids,
    count_coins,
    cursor_kind,
    page_coins,
)
from graphql_api.queries.prices import PRICE_CURSOR, PRICE_KEY_TYPES, PriceFilter, count_prices, page_prices, price_key


@strawberry.enum(description="What coins are sorted by (RANK: best rank among the sources' latest prices).")
class CoinOrderField(Enum):
    """Coin sort fields (mirrors ``queries.coins.CoinOrder``)."""

    RANK = CoinOrder.RANK.value
    MARKET_CAP = CoinOrder.MARKET_CAP.value
    SYMBOL = CoinOrder.SYMBOL.value
    NAME = CoinOrder.NAME.value


@strawberry.enum(description="Sort direction.")
class Direction(Enum):
    """Ascending or descending."""

    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="Which coins to list (all given conditions apply).")
class CoinFilterInput:
    """Coin filters."""

    symbol: str | None = strawberry.field(default=None, description="Exact ticker, any case.")
    search: str | None = strawberry.field(default=None, description="Substring of symbol, name or canonical id.")
    source: Source | None = strawberry.field(default=None, description="Seen by this source.")
    matched: bool | None = strawberry.field(
        default=None,
        description="Joined across sources: an override/contract/symbol+name match, or more than one source.",
    )


@strawberry.input(
    description="Sort order of a coin list: RANK is the best rank and MARKET_CAP the largest market cap among "
    "the coin's latest price per source; coins without prices sort last."
)
class CoinOrderBy:
    """Coin sort."""

    field: CoinOrderField = CoinOrderField.RANK
    direction: Direction = Direction.ASC


@strawberry.type
class CoinQuery:
    """Coins and prices."""

    @strawberry.field(description="Coins, filtered and sorted, as a keyset-paginated connection.")
    async def coins(
        self,
        info: Info[Context, None],
        filter: CoinFilterInput | None = None,
        order_by: CoinOrderBy | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Coin]:
        """A page of coins."""
        given = filter or CoinFilterInput()
        f = CoinFilter(given.symbol, given.search, source_value(given.source), given.matched)
        order_by = order_by or CoinOrderBy()
        order = CoinOrder(order_by.field.value)
        descending = order_by.direction is Direction.DESC
        kind = cursor_kind(order, descending)
        request = page_request(kind, KEY_TYPES[order], first, after, last, before)
        page, _ = await info.context.run(page_coins, f, order, descending, request)
        return to_connection(
            page,
            kind,
            lambda row: (row.sort_key, row.id),
            Coin.from_row,
            lambda: info.context.run(count_coins, f),
        )

    @strawberry.field(description="One coin by its canonical id.")
    async def coin(self, info: Info[Context, None], canonical_id: str) -> Coin | None:
        """A coin or null."""
        found = await info.context.run(coins_by_canonical_ids, [canonical_id])
        row = found.get(canonical_id)
        return Coin.from_row(row) if row else None

    @strawberry.field(description="Prices of several coins in (coin, source, observedAt) order.")
    async def prices(
        self,
        info: Info[Context, None],
        canonical_ids: list[str] | None = None,
        symbol: str | None = None,
        source: Source | None = None,
        from_: From = None,
        to: To = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Price]:
        """A page of prices."""
        request = page_request(PRICE_CURSOR, PRICE_KEY_TYPES, first, after, last, before)
        f = PriceFilter(
            canonical_ids=tuple(canonical_ids) if canonical_ids is not None else None,
            symbol=symbol,
            source=source_value(source),
            start=from_,
            end=to,
        )
        page = await info.context.run(page_prices, f, request)
        return to_connection(page, PRICE_CURSOR, price_key, Price.from_row, lambda: info.context.run(count_prices, f))
