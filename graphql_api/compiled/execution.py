"""The Strawberry extension that answers a validated query with one compiled statement, or steps aside.

It runs in ``on_execute`` after the limits (validation rules, ``QueryCostLimiter``, ``VariableBounds``)
have passed. When the database is PostgreSQL, ``COINFLOW_API_COMPILE_GRAPHQL`` is on and every field is
compilable, the statement's JSON text becomes the result's ``data`` as an ``orjson.Fragment`` (spliced
into the response bytes as is, and cached by the response cache like any result); otherwise the
resolvers execute as usual. Any failure of the statement — a value the resolvers would refuse
(``json_text.FALLBACK_MARKER``), a timeout, the database going away — also hands the operation to the
resolvers, so every error a client sees is the resolvers' own. ``Context.execution_path`` records
which path answered (the router turns it into a header and a metric label).
"""

from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy import Connection, Select
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from graphql_api.compiled.plan import data_statement
from graphql_api.compiled.selection import NotCompilableError, root_fields
from graphql_api.gql.context import Context
from graphql_api.json_logging import log

COMPILED = "compiled"
RESOLVERS = "resolvers"


class CompiledExecution(SchemaExtension):
    """Short-circuits execution with the compiled statement's answer when it can."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        """Compile and run the operation, or leave it to the resolvers."""
        execution = self.execution_context
        context = execution.context
        if isinstance(context, Context) and _enabled(context) and execution.graphql_document is not None:
            try:
                fields = root_fields(
                    execution.schema._schema,
                    execution.graphql_document,
                    execution.operation_name,
                    execution.variables,
                )
                statement = data_statement(fields)
            except NotCompilableError:
                statement = None
            except Exception:  # noqa: BLE001 - a planner bug must cost speed, never an answer
                log.exception("compiling a query failed; resolvers answer")
                statement = None
            if statement is not None:
                data = await _run(context, statement)
                if data is not None:
                    execution.result = ExecutionResult(data=orjson.Fragment(data), errors=None)  # type: ignore[arg-type]
                    context.execution_path = COMPILED
        yield


def _enabled(context: Context) -> bool:
    return context.settings.api_compile_graphql and context.engine.dialect.name == "postgresql"


async def _run(context: Context, statement: Select[tuple[str]]) -> str | None:
    """The statement's JSON text, or None when it failed (the resolvers then answer, errors and all)."""

    def query(conn: Connection) -> Any:
        return conn.execute(statement).scalar_one()

    try:
        return str(await context.run(query))
    except Exception as error:  # noqa: BLE001 - every failure is the resolvers' to report
        log.info("compiled statement failed; resolvers answer", extra={"error": str(error)[:300]})
        return None
