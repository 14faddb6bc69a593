"""A keyset page rendered as a Relay connection object in SQL (``gql/connection.py``'s ``to_connection``).

The page is the resolvers' own bounded statement (``paging.keyset_conditions``/``keyset_order``,
``LIMIT size + 1``) with a ``row_number()`` in fetch order; one aggregate over it builds ``edges``,
``nodes`` and ``pageInfo`` (the look-ahead row only answers hasNext/hasPrevious), ``totalCount`` is
the resolvers' COUNT as a scalar subquery, present only when selected.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, cast, func, literal, literal_column, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.types import JSON, Text

from graphql_api.compiled.selection import Field, NotCompilableError
from graphql_api.paging import PageRequest, keyset_order

# json_build_object takes at most 100 arguments (PostgreSQL's FUNC_MAX_ARGS): 50 keys.
MAX_KEYS = 50

RowJson = Callable[[tuple[Field, ...], Subquery], ColumnElement[Any]]
RowText = Callable[[Subquery], ColumnElement[str]]


def json_object(pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    """``json_build_object`` of (key, value) pairs in order; the keys are bound parameters."""
    if len(pairs) > MAX_KEYS:
        raise NotCompilableError("too many keys in one object")
    arguments: list[Any] = []
    for key, value in pairs:
        arguments += [literal(key, Text), value]
    return func.json_build_object(*arguments, type_=JSON)


def selected_pairs(
    fields: Sequence[Field], rendered: Mapping[str, Callable[[], ColumnElement[Any]]], type_name: str
) -> list[tuple[str, ColumnElement[Any]]]:
    """(response key, SQL value) of each selected field of ``type_name``, from its renderer in ``rendered``.

    Raises NotCompilableError for a field without a renderer: the resolvers answer the operation.
    """
    pairs = []
    for field in fields:
        if field.name not in rendered:
            raise NotCompilableError(f"{type_name}.{field.name}")
        pairs.append((field.key, rendered[field.name]()))
    return pairs


def typename(name: str) -> ColumnElement[Any]:
    """The ``__typename`` value."""
    return literal(name, Text)


def connection_json(
    fields: tuple[Field, ...],
    type_prefix: str,
    page: Select[Any],
    keys: Sequence[ColumnElement[Any]],
    request: PageRequest,
    descending: bool,
    cursor: RowText,
    node: RowJson,
    count: Callable[[], ColumnElement[Any]],
) -> ColumnElement[Any]:
    """The connection object selected by ``fields``, as a scalar subquery over ``page``.

    ``page`` is the bounded, ordered statement of the page (``size + 1`` rows at most), already
    correlated to the enclosing row; ``keys`` its keyset columns; ``cursor``/``node`` render one row
    of the numbered page; ``count`` the totalCount expression.
    """
    numbered = page.add_columns(
        func.row_number().over(order_by=keyset_order(keys, request, descending)).label("rn")
    ).subquery()
    inside = numbered.c.rn <= request.size
    output_order = numbered.c.rn.desc() if request.backward else numbered.c.rn.asc()
    first_to_last = numbered.c.rn.asc() if request.backward else numbered.c.rn.desc()
    more = func.count() > request.size
    has_next = literal(request.before is not None) if request.backward else more
    has_previous = more if request.backward else literal(request.after is not None)

    def items(value: ColumnElement[Any]) -> ColumnElement[Any]:
        aggregated = func.json_agg(aggregate_order(value, output_order), type_=JSON).filter(inside)
        return func.coalesce(aggregated, cast(literal("[]"), JSON))

    def end_cursor(order: Any) -> ColumnElement[Any]:
        cursors = func.array_agg(aggregate_order(cursor(numbered), order), type_=ARRAY(Text)).filter(inside)
        return type_coerce(cursors, ARRAY(Text))[1]

    pairs: list[tuple[str, ColumnElement[Any]]] = []
    for field in fields:
        if field.name == "edges":
            pairs.append((field.key, items(_edge(field.children, type_prefix, numbered, cursor, node))))
        elif field.name == "nodes":
            pairs.append((field.key, items(node(field.children, numbered))))
        elif field.name == "pageInfo":
            info = {
                "hasNextPage": has_next,
                "hasPreviousPage": has_previous,
                "startCursor": end_cursor(output_order),
                "endCursor": end_cursor(first_to_last),
                "__typename": typename("PageInfo"),
            }
            pairs.append((field.key, json_object([(f.key, info[f.name]) for f in field.children])))
        elif field.name == "totalCount":
            pairs.append((field.key, count()))
        elif field.name == "__typename":
            pairs.append((field.key, typename(f"{type_prefix}Connection")))
        else:
            raise NotCompilableError(field.name)
    # GROUP BY (): one row even when no aggregate is selected (only __typename) or the page is empty.
    return select(json_object(pairs)).select_from(numbered).group_by(literal_column("()")).scalar_subquery()


def _edge(
    fields: tuple[Field, ...], type_prefix: str, numbered: Subquery, cursor: RowText, node: RowJson
) -> ColumnElement[Any]:
    pairs: list[tuple[str, ColumnElement[Any]]] = []
    for field in fields:
        if field.name == "cursor":
            pairs.append((field.key, cursor(numbered)))
        elif field.name == "node":
            pairs.append((field.key, node(field.children, numbered)))
        elif field.name == "__typename":
            pairs.append((field.key, typename(f"{type_prefix}Edge")))
        else:
            raise NotCompilableError(field.name)
    return json_object(pairs)


def aggregate_order(value: ColumnElement[Any], *order: Any) -> Any:
    """``value ORDER BY order, ...`` inside an aggregate."""
    return aggregate_order_by(value, *order)
