"""Relay connections over keyset pages; ``totalCount`` is a resolver, so its COUNT runs only when asked."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from graphql_api.paging import Page, encode_cursor

N = TypeVar("N")

# The Relay paging arguments, described once for every connection field.
First = Annotated[
    int | None, strawberry.argument(description="Page forwards: at most this many items (1..500; default 50).")
]
After = Annotated[
    str | None, strawberry.argument(description="Start after this cursor (an edge's cursor or pageInfo.endCursor).")
]
Last = Annotated[int | None, strawberry.argument(description="Page backwards: at most this many items (1..500).")]
Before = Annotated[
    str | None, strawberry.argument(description="End before this cursor (an edge's cursor or pageInfo.startCursor).")
]


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    """Where this page sits in the whole list."""

    has_next_page: bool = strawberry.field(description="More items follow the page's last one.")
    has_previous_page: bool = strawberry.field(description="More items precede the page's first one.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item (null on an empty page).")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item (null on an empty page).")


@strawberry.type(description="An item of a page and its cursor.")
class Edge(Generic[N]):
    """A node and the opaque cursor just after it."""

    cursor: str = strawberry.field(description="Opaque keyset cursor of this item; valid only for this list and order.")
    node: N = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: `first`/`after` forwards, `last`/`before` backwards, at most 500.")
class Connection(Generic[N]):
    """A page of a list (``first``/``after`` forwards, ``last``/``before`` backwards; at most 500)."""

    edges: list[Edge[N]] = strawberry.field(description="The items of the page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Whether more items follow or precede, and the end cursors.")
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
