"""The run history as JSON in SQL: ``Query.runs`` and its ``Run`` fields (``gql/runs.py``), compiled.

The page, its filter and its keyset are the resolvers' own (``queries.runs.run_conditions``, ``RUN_KEY``,
``paging``); only the rendering is new. Two values need care to be written as the resolvers write them:

- ``durationS`` is Python's ``round(total_seconds, 3)`` (``queries.runs.duration_s``): ``seconds_rounded``.
- ``checkpointBefore``/``checkpointAfter`` are JSONB read back by the driver (``json.loads``) and written
  by orjson: keys keep JSONB's order and strings compare equal, but a non-integer number (``2.50`` read
  as ``2.5``), an integer beyond 18 digits (orjson refuses past 64 bits) or deep nesting (orjson's
  recursion limit) would not render alike, so such a row falls back (``checkpoint_json``).
"""

from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Numeric,
    Subquery,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import BIT, DOUBLE_PRECISION, JSONB, JSONPATH

from graphql_api.compiled.connection_sql import connection_json, json_object, typename
from graphql_api.compiled.json_text import (
    base64_text,
    cursor_text,
    enum_name,
    fallback,
    iso_datetime,
    json_float,
    json_key_int,
)
from graphql_api.compiled.selection import Field, NotCompilableError
from graphql_api.gql.scalars import RunStatus, Source, source_value
from graphql_api.paging import bounded_statement, page_request
from graphql_api.queries.runs import RUN_CURSOR, RUN_KEY, run_conditions
from graphql_api.queries.tables import etl_runs

Pairs = list[tuple[str, ColumnElement[Any]]]
_COUNTERS = ("read", "landed", "valid", "rejected", "inserted", "updated", "unchanged")
_TEXTS = {"flowRunId": "flow_run_id", "stream": "stream", "error": "error"}
# Nesting past this many levels inside a checkpoint falls back: with the response's own levels above
# it, orjson (limit 254) would refuse it on the resolver path.
_CHECKPOINT_MAX_LEVEL = 64


def runs_connection(field: Field, prefect_ui_url: str | None) -> ColumnElement[Any]:
    """``Query.runs``: runs newest first, filtered by source and status (NotCompilableError: the resolver refuses)."""
    a = field.args
    try:
        request = page_request(RUN_CURSOR, (int,), a.get("first"), a.get("after"))
    except ValueError as error:  # BadInputError and its kin: the resolver reports it
        raise NotCompilableError(str(error)) from None
    status = a.get("status")
    conditions = run_conditions(source_value(a.get("source")), status.value if status else None)
    page = bounded_statement(select(etl_runs).where(*conditions), RUN_KEY, request, descending=True)

    def cursor(row: FromClause) -> ColumnElement[str]:
        return cursor_text(RUN_CURSOR, [json_key_int(row.c.id)])

    def node(fields: tuple[Field, ...], row: FromClause) -> ColumnElement[Any]:
        return run_json(fields, row, prefect_ui_url)

    def count() -> ColumnElement[Any]:
        return select(func.count()).select_from(etl_runs).where(*conditions).scalar_subquery()

    return connection_json(field.children, "Run", page, RUN_KEY, request, True, cursor, node, count)


def run_json(fields: tuple[Field, ...], row: FromClause, prefect_ui_url: str | None) -> ColumnElement[Any]:
    """A ``Run`` object of ``row`` (columns of ``etl_runs``), as ``Run.from_row`` builds it."""
    pairs: Pairs = []
    for field in fields:
        name = field.name
        if name == "id":
            value: ColumnElement[Any] = base64_text("Run:" + cast(row.c.id, Text), urlsafe=False)
        elif name == "runId":
            value = row.c.id
        elif name in _TEXTS:
            value = row.c[_TEXTS[name]]
        elif name == "prefectUrl":
            value = _prefect_url(row, prefect_ui_url)
        elif name == "source":
            value = enum_name(row.c.source, Source)
        elif name == "status":
            value = enum_name(row.c.status, RunStatus)
        elif name == "startedAt":
            value = iso_datetime(row.c.started_at)
        elif name == "finishedAt":
            value = iso_datetime(row.c.finished_at)
        elif name == "durationS":
            duration = seconds_rounded(row.c.started_at, row.c.finished_at)
            value = select(json_float(duration.c.seconds)).scalar_subquery()
        elif name in _COUNTERS:
            value = row.c[name]
        elif name in ("checkpointBefore", "checkpointAfter"):
            value = checkpoint_json(
                row.c["checkpoint_before" if name == "checkpointBefore" else "checkpoint_after"], row
            )
        elif name == "__typename":
            value = typename("Run")
        else:
            raise NotCompilableError(f"Run.{name}")
        pairs.append((field.key, value))
    return json_object(pairs)


def _prefect_url(row: FromClause, prefect_ui_url: str | None) -> ColumnElement[Any]:
    """``<ui>/runs/flow-run/<flow run id>`` when the UI is configured and the run has a (non-empty) flow run id."""
    if not prefect_ui_url:
        return null()
    base = literal(f"{prefect_ui_url.rstrip('/')}/runs/flow-run/", Text)
    return case((row.c.flow_run_id != "", base + row.c.flow_run_id), else_=null())


def seconds_rounded(start: ColumnElement[Any], end: ColumnElement[Any]) -> Subquery:
    """Python's ``round((end - start).total_seconds(), 3)``: one row, column ``seconds`` (float8; NULL when ``end`` is).

    ``total_seconds`` is the float nearest the exact microsecond count / 10**6; ``round`` rounds that
    float's exact binary value to 3 decimals, half to even. PostgreSQL's numeric ``round`` agrees except
    on a decimal tie (microseconds ending in 500), where Python's answer depends on the float being
    above, below or exactly at the tie: the float's bits (``float8send``) settle it exactly. The sign
    is applied last, so -0.0004 s is ``-0.0`` as in Python. Each step is a derived table over the one
    before, so the statement names each intermediate value once (inlined, the expression ran to 50 kB).
    ``start``/``end`` are columns of an enclosing query (correlated).
    """
    exact = (func.extract("epoch", end) - func.extract("epoch", start)).label("exact")  # numeric: exact
    span = select(exact).correlate_except(None).subquery("span")
    magnitude = func.abs(span.c.exact)
    as_float = cast(magnitude, DOUBLE_PRECISION)
    bits = cast(cast(literal("x", Text) + func.encode(func.float8send(as_float), "hex"), BIT(64)), BigInteger)
    parts = select(
        span.c.exact, magnitude.label("magnitude"), (magnitude * 1_000_000).label("micro"), bits.label("bits")
    ).subquery("parts")
    exponent = parts.c.bits.op(">>")(52).op("&")(2047)
    mantissa = parts.c.bits.op("&")(literal((1 << 52) - 1, BigInteger)).op("|")(literal(1 << 52, BigInteger))
    # The float is mantissa * 2**(exponent - 1075); compared with micro / 10**6 in exact integers.
    float_scaled = cast(mantissa, Numeric) * 1_000_000
    exact_scaled = parts.c.micro * func.power(literal(2, Numeric), cast(1075 - exponent, Numeric))
    lower = func.trunc(parts.c.magnitude, 3)
    up = lower + literal(0.001, Numeric)
    on_tie = case(
        (float_scaled > exact_scaled, up),
        (float_scaled < exact_scaled, lower),
        (func.mod(func.trunc(parts.c.magnitude * 1000), 2) == 0, lower),
        else_=up,
    )
    rounded = case((func.mod(parts.c.micro, 1000) == 500, on_tie), else_=func.round(parts.c.magnitude, 3))
    magnitudes = select(parts.c.exact, cast(rounded, DOUBLE_PRECISION).label("rounded")).subquery("rounded")
    signed = case((magnitudes.c.exact < 0, -magnitudes.c.rounded), else_=magnitudes.c.rounded)
    return select(signed.label("seconds")).subquery("seconds")


def checkpoint_json(value: ColumnElement[Any], row: FromClause) -> ColumnElement[Any]:
    """A JSONB checkpoint as the resolvers write it; a value they would write otherwise falls back (module doc)."""
    every = func.jsonb_path_query(value, cast(literal("strict $.**", Text), JSONPATH), type_=JSONB)
    items = every.column_valued("item")
    other_number = exists(
        select(literal(1)).where(
            and_(func.jsonb_typeof(items) == "number", not_(cast(items, Text).regexp_match("^-?[0-9]{1,18}$")))
        )
    )
    too_deep = func.jsonb_path_exists(
        value, cast(literal(f"strict $.**{{{_CHECKPOINT_MAX_LEVEL} to last}}", Text), JSONPATH)
    )
    refused = cast(cast(fallback("checkpoint of run " + cast(row.c.id, Text)), Text), JSONB)
    return case((or_(other_number, too_deep), refused), else_=value)
