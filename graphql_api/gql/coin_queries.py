"""Queries over coins and prices: ``coins``, ``coin`` and the top-level ``prices``."""

from dataclasses import dataclass
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from graphql_api.gql.coin_types import Coin, From, Price, SourceArg, To
from graphql_api.gql.connection import After, Before, Connection, First, Last, to_connection
from graphql_api.gql.context import Context
from graphql_api.gql.scalars import Source, source_value
from graphql_api.paging import PageRequest, page_request
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

    _value_: str

    RANK = strawberry.enum_value(CoinOrder.RANK.value, description="Best rank among the sources' latest prices.")
    MARKET_CAP = strawberry.enum_value(
        CoinOrder.MARKET_CAP.value, description="Largest market cap among the sources' latest prices."
    )
    SYMBOL = strawberry.enum_value(CoinOrder.SYMBOL.value, description="Ticker, alphabetically.")
    NAME = strawberry.enum_value(CoinOrder.NAME.value, description="Name, alphabetically.")


@strawberry.enum(description="Sort direction.")
class Direction(Enum):
    """Ascending or descending."""

    _value_: str

    ASC = strawberry.enum_value("asc", description="Smallest first.")
    DESC = strawberry.enum_value("desc", description="Largest first.")


@strawberry.input(description="Which coins to list (all given conditions apply).")
class CoinFilterInput:
    """Coin filters."""

    symbol: str | None = strawberry.field(default=None, description="Exact ticker, any case.")
    search: str | None = strawberry.field(default=None, description="Substring of symbol, name or canonical id.")
    source: Source | None = strawberry.field(default=None, description="Seen by this source.")
    matched: bool | None = strawberry.field(
        default=None,
        description="Joined across sources: a cross-source match (override, contract, symbol+name, slug, "
        "name+symbol, market), or more than one source.",
    )


@strawberry.input(
    description="Sort order of a coin list: RANK is the best rank and MARKET_CAP the largest market cap among "
    "the coin's latest price per source; coins without prices sort last."
)
class CoinOrderBy:
    """Coin sort."""

    field: CoinOrderField = strawberry.field(default=CoinOrderField.RANK, description="What to sort by.")
    direction: Direction = strawberry.field(default=Direction.ASC, description="Which end comes first.")


@dataclass(frozen=True)
class CoinsPage:
    """The ``coins`` arguments checked and decoded: filter, order, cursor kind and page request."""

    filter: CoinFilter
    order: CoinOrder
    descending: bool
    kind: str
    request: PageRequest


def coins_page(
    filter: CoinFilterInput | None,
    order_by: CoinOrderBy | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> CoinsPage:
    """What ``coins`` lists, for the resolver and the compiled path alike.

    Raises:
        BadInputError: paging arguments out of bounds or a cursor not of this list (``paging.page_request``).
    """
    given = filter or CoinFilterInput()
    f = CoinFilter(given.symbol, given.search, source_value(given.source), given.matched)
    order_by = order_by or CoinOrderBy()
    order = CoinOrder(order_by.field.value)
    descending = order_by.direction is Direction.DESC
    kind = cursor_kind(order, descending)
    return CoinsPage(f, order, descending, kind, page_request(kind, KEY_TYPES[order], first, after, last, before))


@strawberry.type(description="Coins and prices.")
class CoinQuery:
    """Coins and prices."""

    @strawberry.field(description="Coins, filtered and sorted, as a keyset-paginated connection.")
    async def coins(
        self,
        info: Info[Context, None],
        filter: Annotated[
            CoinFilterInput | None, strawberry.argument(description="Which coins (all when omitted).")
        ] = None,
        order_by: Annotated[
            CoinOrderBy | None, strawberry.argument(description="Sort order (RANK ascending when omitted).")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Coin]:
        """A page of coins."""
        wanted = coins_page(filter, order_by, first, after, last, before)
        page, _ = await info.context.run(page_coins, wanted.filter, wanted.order, wanted.descending, wanted.request)
        return to_connection(
            page,
            wanted.kind,
            lambda row: (row.sort_key, row.id),
            Coin.from_row,
            lambda: info.context.run(count_coins, wanted.filter),
        )

    @strawberry.field(description="One coin by its canonical id.")
    async def coin(
        self,
        info: Info[Context, None],
        canonical_id: Annotated[str, strawberry.argument(description="coinflow's id of the coin (`bitcoin`).")],
    ) -> Coin | None:
        """A coin or null."""
        found = await info.context.run(coins_by_canonical_ids, [canonical_id])
        row = found.get(canonical_id)
        return Coin.from_row(row) if row else None

    @strawberry.field(description="Prices of several coins in (coin, source, observedAt) order.")
    async def prices(
        self,
        info: Info[Context, None],
        canonical_ids: Annotated[
            list[str] | None, strawberry.argument(description="Only these coins (canonical ids).")
        ] = None,
        symbol: Annotated[str | None, strawberry.argument(description="Only coins with this exact ticker.")] = None,
        source: SourceArg = None,
        from_: From = None,
        to: To = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
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
