"""DataLoaders: every per-coin or per-price field of a page resolves in one statement per field kind."""

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, select
from strawberry.dataloader import DataLoader

from graphql_api.paging import Page, PageRequest
from graphql_api.queries.coins import coins_by_ids, latest_by_coin, sources_by_coin
from graphql_api.queries.prices import PriceFilter, pages_per_coin
from graphql_api.queries.series import SeriesColumns, SeriesRequest, series_per_coin
from graphql_api.queries.tables import raw_records

if TYPE_CHECKING:
    from graphql_api.gql.context import Context

A = TypeVar("A", bound=Hashable)


def _grouped(keys: Sequence[tuple[int, A]]) -> dict[A, list[int]]:
    # Fields of one page share their arguments, so this is one group (one statement) in practice.
    groups: dict[A, list[int]] = defaultdict(list)
    for coin_id, args in keys:
        groups[args].append(coin_id)
    return groups


class Loaders:
    """The loaders of one request."""

    def __init__(self, context: "Context") -> None:
        self._context = context
        self.coin = DataLoader(load_fn=self._by_id(coins_by_ids))
        self.sources = DataLoader(load_fn=self._lists(sources_by_coin))
        self.latest = DataLoader(load_fn=self._lists(latest_by_coin))
        self.raw_record = DataLoader(load_fn=self._by_id(_raw_records_by_ids))
        self.prices = DataLoader(load_fn=self._load_prices)
        self.series = DataLoader(load_fn=self._load_series)

    def _by_id(self, query: Callable[[Connection, list[int]], dict[int, Any]]) -> Callable[[list[int]], Any]:
        async def load(ids: list[int]) -> list[Any]:
            found = await self._context.run(query, ids)
            return [found.get(key) for key in ids]

        return load

    def _lists(self, query: Callable[[Connection, list[int]], dict[int, list[Any]]]) -> Callable[[list[int]], Any]:
        async def load(ids: list[int]) -> list[list[Any]]:
            found = await self._context.run(query, ids)
            return [found.get(key, []) for key in ids]

        return load

    async def _load_prices(self, keys: list[tuple[int, tuple[PriceFilter, PageRequest]]]) -> list[Page]:
        def query(conn: Connection) -> dict[tuple[int, Any], Page]:
            pages = {}
            for (f, request), coin_ids in _grouped(keys).items():
                for coin_id, page in pages_per_coin(conn, coin_ids, f, request).items():
                    pages[(coin_id, (f, request))] = page
            return pages

        found = await self._context.run(query)
        return [found[key] for key in keys]

    async def _load_series(self, keys: list[tuple[int, SeriesRequest]]) -> list[SeriesColumns]:
        def query(conn: Connection) -> dict[tuple[int, SeriesRequest], SeriesColumns]:
            points = {}
            for request, coin_ids in _grouped(keys).items():
                per_coin = series_per_coin(conn, coin_ids, request)
                for coin_id in coin_ids:
                    points[(coin_id, request)] = per_coin.get(coin_id) or SeriesColumns()
            return points

        found = await self._context.run(query)
        return [found[key] for key in keys]


def _raw_records_by_ids(conn: Connection, ids: list[int]) -> dict[int, Any]:
    return {row.id: row for row in conn.execute(select(raw_records).where(raw_records.c.id.in_(ids)))}
