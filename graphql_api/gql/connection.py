"""Relay connections over keyset pages; ``totalCount`` is a resolver, so its COUNT runs only when asked."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from graphql_api.paging import Page, encode_cursor

N = TypeVar("N")


@strawberry.type
class PageInfo:
    """Where this page sits in the whole list."""

    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    """A node and the opaque cursor just after it."""

    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    """A page of a list (``first``/``after`` forwards, ``last``/``before`` backwards; at most 500)."""

    edges: list[Edge[N]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="The nodes without their cursors (fewer fields to resolve).")
    def nodes(self) -> list[N]:
        """The nodes of the page."""
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many items the whole filtered list holds (one COUNT, only when asked).")
    async def total_count(self) -> int:
        """Count the whole list."""
        return await self.count()


def to_connection(
    page: Page,
    kind: str,
    key: Callable[[Any], Sequence[Any]],
    node: Callable[[Any], N],
    count: Callable[[], Awaitable[int]],
) -> Connection[N]:
    """A connection from a keyset page: one cursor per row from its sort key."""
    edges = [Edge(cursor=encode_cursor(kind, key(row)), node=node(row)) for row in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )
