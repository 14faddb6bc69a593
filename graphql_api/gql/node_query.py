"""``node(id:)`` and ``nodes(ids:)``: refetch any ``Node`` by its global id (Relay object identification)."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graphql_api.errors import BadInputError
from graphql_api.gql.coin_types import Coin
from graphql_api.gql.context import Context
from graphql_api.gql.node import Node, from_global_id
from graphql_api.gql.runs import Run
from graphql_api.queries.coins import coins_by_canonical_ids
from graphql_api.queries.runs import runs_by_ids

# Most ids one `nodes` call takes: as many as the largest page.
MAX_NODE_IDS = 500

Fetch = Callable[[Context, list[str]], Awaitable[dict[str, Node]]]


async def _coins(context: Context, keys: list[str]) -> dict[str, Node]:
    rows = await context.run(coins_by_canonical_ids, keys)
    return {key: Coin.from_row(row) for key, row in rows.items()}


async def _runs(context: Context, keys: list[str]) -> dict[str, Node]:
    ids = [int(key) for key in keys if key.isdecimal()]
    rows = await context.run(runs_by_ids, ids)
    ui = context.settings.prefect_ui_url
    return {str(run_id): Run.from_row(row, ui) for run_id, row in rows.items()}


# Type name -> how to fetch objects of that type by key (one query per type, whatever the id count).
FETCHERS: dict[str, Fetch] = {"Coin": _coins, "Run": _runs}


async def resolve_nodes(context: Context, global_ids: Sequence[str], parameter: str) -> list[Node | None]:
    """The objects of ``global_ids``, in order; None where none exists.

    Raises:
        BadInputError: an id that is not a global id, or names a type without global ids.
    """
    parsed = [from_global_id(global_id, parameter) for global_id in global_ids]
    wanted: dict[str, list[str]] = {}
    for type_name, key in parsed:
        if type_name not in FETCHERS:
            raise BadInputError(parameter, f"not a global id of a coinflow object ({', '.join(FETCHERS)})")
        wanted.setdefault(type_name, []).append(key)
    found: dict[tuple[str, str], Any] = {}
    for type_name, keys in wanted.items():
        for key, node in (await FETCHERS[type_name](context, sorted(set(keys)))).items():
            found[(type_name, key)] = node
    return [found.get(pair) for pair in parsed]


@strawberry.type(description="Relay object identification.")
class NodeQuery:
    """``node`` and ``nodes``."""

    @strawberry.field(description="The object with this global id (null when it does not exist).")
    async def node(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id (the `id` of a Node).")],
    ) -> Node | None:
        """One object."""
        [found] = await resolve_nodes(info.context, [id], "id")
        return found

    @strawberry.field(description="The objects with these global ids, in their order (null where none exists).")
    async def nodes(
        self,
        info: Info[Context, None],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description=f"Global ids (at most {MAX_NODE_IDS}).")],
    ) -> list[Node | None]:
        """Several objects, one query per type."""
        if len(ids) > MAX_NODE_IDS:
            raise BadInputError("ids", f"at most {MAX_NODE_IDS} ids")
        return await resolve_nodes(info.context, ids, "ids")
