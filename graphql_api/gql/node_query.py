"""``node(id:)`` and ``nodes(ids:)``: refetch any ``Node`` by its global id (Relay object identification)."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

import strawberry
from sqlalchemy import Connection, Table, select
from strawberry.types import Info

from graphql_api.errors import BadInputError
from graphql_api.gql.coin_types import Coin, Lineage
from graphql_api.gql.context import Context
from graphql_api.gql.node import Node, from_global_id
from graphql_api.gql.runs import Run, drift_event, rejected_record
from graphql_api.queries.coins import coins_by_canonical_ids
from graphql_api.queries.runs import runs_by_ids
from graphql_api.queries.tables import rejected_records, schema_drift

# Most ids one `nodes` call takes: as many as the largest page.
MAX_NODE_IDS = 500

Fetch = Callable[[Context, list[str]], Awaitable[dict[str, Node]]]


async def _coins(context: Context, keys: list[str]) -> dict[str, Node]:
    rows = await context.run(coins_by_canonical_ids, keys)
    return {key: Coin.from_row(row) for key, row in rows.items()}


def _ids(keys: list[str]) -> list[int]:
    # A key that is not a row id names nothing: null, like an id of a deleted row.
    return [int(key) for key in keys if key.isdecimal() and len(key) < 19]


async def _runs(context: Context, keys: list[str]) -> dict[str, Node]:
    rows = await context.run(runs_by_ids, _ids(keys))
    ui = context.settings.prefect_ui_url
    return {str(run_id): Run.from_row(row, ui) for run_id, row in rows.items()}


async def _lineages(context: Context, keys: list[str]) -> dict[str, Node]:
    rows = await context.loaders.raw_record.load_many(_ids(keys))
    return {str(row.id): Lineage.from_row(row) for row in rows if row is not None}


def _by_ids(table: Table, build: Callable[[Any], Node]) -> Fetch:
    def query(conn: Connection, ids: list[int]) -> list[Any]:
        return list(conn.execute(select(table).where(table.c.id.in_(ids))))

    async def fetch(context: Context, keys: list[str]) -> dict[str, Node]:
        return {str(row.id): build(row) for row in await context.run(query, _ids(keys))}

    return fetch


# Type name -> how to fetch objects of that type by key (one query per type, whatever the id count).
FETCHERS: dict[str, Fetch] = {
    "Coin": _coins,
    "Run": _runs,
    "Lineage": _lineages,
    "RejectedRecord": _by_ids(rejected_records, rejected_record),
    "SchemaDriftEvent": _by_ids(schema_drift, drift_event),
}


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
