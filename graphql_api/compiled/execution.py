"""The Strawberry extension that answers a validated query with one compiled statement, or steps aside.

It runs in ``on_execute`` after the limits (validation rules, ``QueryCostLimiter``, ``VariableBounds``)
have passed. When the database is PostgreSQL, ``COINFLOW_API_COMPILE_GRAPHQL`` is on and every field is
compilable, the statement's JSON text becomes the result's ``data`` as an ``orjson.Fragment`` (spliced
into the response bytes as is, and cached by the response cache like any result); otherwise the
resolvers execute as usual. The compiled SQL is kept per (query text, operation, variables), so a
repeated request costs the statement's execution and little Python; the clock and the settings a
spread reads are bound at each run (``spread_sql.runtime_parameters``), as the resolver reads them.
Any failure of the statement — a value the resolvers would refuse (``json_text.FALLBACK_MARKER``), a
planner bug — hands the operation to the resolvers, so every error a client sees is the resolvers'
own; only the database being unavailable or the statement cancelled by ``statement_timeout`` answers
at once with the router's SERVICE_UNAVAILABLE error (HTTP 503), as the resolvers would after waiting
for the same database again.
``Context.execution_path`` records which path answered (the router turns it into a header and a metric label).
"""

from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import DocumentNode
from sqlalchemy import Connection, Dialect
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext, ExecutionResult

from graphql_api.compiled.plan import data_statement
from graphql_api.compiled.prepared import PreparedForm, execute_prepared, prepared_form
from graphql_api.compiled.selection import NotCompilableError, root_fields
from graphql_api.compiled.spread_sql import runtime_parameters
from graphql_api.db_unavailable import is_database_unavailable, unavailable_graphql_error
from graphql_api.gql.context import Context
from graphql_api.json_logging import log
from models.columns import utcnow

COMPILED = "compiled"
RESOLVERS = "resolvers"


class CompiledExecution(SchemaExtension):
    """Short-circuits execution with the compiled statement's answer when it can."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        """Compile and run the operation, or leave it to the resolvers."""
        execution = self.execution_context
        context = execution.context
        document = execution.graphql_document
        if isinstance(context, Context) and _enabled(context) and document is not None:
            ui = context.settings.prefect_ui_url
            key = (execution.query or "", execution.operation_name, orjson.dumps(execution.variables or {}), ui)
            plan = _PLANS.get(key, _MISSING)
            if plan is _MISSING:
                plan = _plan(execution, document, context.engine.dialect, ui)
                _remember(key, plan)
            if plan is not None:
                try:
                    data = await _run(context, plan)
                except DatabaseUnavailableError:
                    # The resolvers would wait for the same database again (a cancelled statement: twice the
                    # statement timeout): answer the router's 503 error now.
                    execution.result = ExecutionResult(data=None, errors=[unavailable_graphql_error()])
                    context.execution_path = COMPILED
                    data = None
                if data is not None:
                    execution.result = ExecutionResult(data=orjson.Fragment(data), errors=None)  # type: ignore[arg-type]
                    context.execution_path = COMPILED
        yield


# Compiled SQL by (query text, operation name, variables, the Prefect UI URL that run links embed):
# building and compiling the statement costs tens of milliseconds of Python; the same request again (a
# polling dashboard, a cold cache) reuses it.
MAX_PLANS = 256
PlanKey = tuple[str, str | None, bytes, str | None]
_PLANS: "OrderedDict[PlanKey, Plan | None]" = OrderedDict()
_MISSING: Any = object()


@dataclass(frozen=True)
class Plan:
    """A compiled statement: its SQL text in the driver's parameter style and its parameters."""

    sql: str
    parameters: dict[str, Any]
    prepared: PreparedForm


def _plan(execution: ExecutionContext, document: DocumentNode, dialect: Dialect, ui: str | None) -> Plan | None:
    """The operation compiled, or None when it is outside the compilable set."""
    try:
        fields = root_fields(execution.schema._schema, document, execution.operation_name, execution.variables)
        compiled = data_statement(fields, ui).compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    except NotCompilableError:
        return None
    except Exception:  # noqa: BLE001 - a planner bug must cost speed, never an answer
        log.exception("compiling a query failed; resolvers answer")
        return None
    sql = str(compiled)
    return Plan(sql, dict(compiled.params), prepared_form(sql))


def _remember(key: PlanKey, plan: Plan | None) -> None:
    _PLANS[key] = plan
    while len(_PLANS) > MAX_PLANS:
        _PLANS.popitem(last=False)


def _enabled(context: Context) -> bool:
    return context.settings.api_compile_graphql and context.engine.dialect.name == "postgresql"


async def _run(context: Context, plan: Plan) -> str | None:
    """The statement's JSON text, or None when it failed (the resolvers then answer, errors and all)."""

    parameters = runtime_parameters(plan.parameters, context.settings, utcnow())

    def query(conn: Connection) -> Any:
        return execute_prepared(conn, plan.prepared, plan.sql, parameters)

    try:
        return str(await context.run(query))
    except Exception as error:
        if is_database_unavailable(error):
            raise DatabaseUnavailableError from error
        log.info("compiled statement failed; resolvers answer", extra={"error": str(error)[:300]})
        return None


class DatabaseUnavailableError(Exception):
    """The compiled statement met an unreachable database or was cancelled (``is_database_unavailable``)."""
