"""The /graphql router: Strawberry's FastAPI router plus a response cache keyed by the data version.

Every error carries ``extensions.code`` and ``extensions.requestId`` (``error_codes``); a request
Strawberry refuses before GraphQL runs (no query, a body that is not JSON) gets the REST problem
document; GET with ``Accept: text/html`` serves GraphiQL from the app's own assets. Automatic
persisted queries (``persisted_queries``) turn a hash into its query text before anything else.

An identical query (text, variables, operation) asked again while the data version (bumped by every
committed load) is unchanged is answered from memory: dashboards polling one query cost one tiny
SELECT each, and a load makes every cached answer unreachable at once. Mutations are never cached.
The cache is keyed by a digest of the request and bounded in bytes (``response_cache``).

Malformed requests are refused with 400 before GraphQL runs (GraphQL over HTTP): a body that is not
a JSON object (``null``, ``42``, ``[]``), not UTF-8, nested deeper than orjson's 1,024 levels,
variables that are not an object, more than ``COINFLOW_API_MAX_VARIABLES`` of them, or nested deeper
than ``request_shape.MAX_VARIABLE_DEPTH``. The database being down answers 503 with ``Retry-After``.
"""

from typing import Any

import orjson
from cross_web import HTTPException as StrawberryHTTPException
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from sqlalchemy import Engine
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from graphql_api.browser_pages import GRAPHIQL_HTML
from graphql_api.db_unavailable import (
    is_database_unavailable,
    unavailable_graphql_error,
    unavailable_headers,
)
from graphql_api.errors import ErrorCode
from graphql_api.gql.context import Context
from graphql_api.gql.error_codes import coded
from graphql_api.gql.persisted_queries import PersistedQueries, PersistedQueryError
from graphql_api.gql.request_shape import check_variables, decode_request_json
from graphql_api.gql.response_cache import ResponseCache, request_digest
from graphql_api.gql.schema import build_schema
from graphql_api.metrics import ApiMetrics
from graphql_api.queries.runs import read_data_version
from models.settings import Settings

# Which path answered an operation: compiled, resolvers or cache (always sent; never in the payload).
EXECUTION_HEADER = "x-coinflow-execution"


class CachingGraphQLRouter(GraphQLRouter[Context, None]):
    """Serves GraphQL, answering repeated queries of the current data version from a byte-bounded cache."""

    def __init__(
        self, *args: Any, metrics: ApiMetrics, cache: ResponseCache | None, max_variables: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics
        self.cache = cache
        self.max_variables = max_variables
        self.persisted = PersistedQueries()

    def parse_json(self, data: str | bytes) -> Any:
        """A JSON object from the body (or the GET ``variables`` parameter); 400 for anything else."""
        return decode_request_json(data)

    def create_response(self, response_data: Any, sub_response: Any) -> Response:
        """The HTTP response: 503 with ``Retry-After`` when the database was unavailable."""
        response = super().create_response(response_data, sub_response)
        items = response_data if isinstance(response_data, list) else [response_data]
        unavailable = ErrorCode.SERVICE_UNAVAILABLE.value
        if any(error["extensions"]["code"] == unavailable for item in items for error in item.get("errors") or ()):
            response.status_code = 503
            response.headers.update(unavailable_headers())
        return response

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Serve one request; Strawberry's own refusals (400, 405, 415) become problem documents."""
        try:
            return await super().run(request, context=context, root_value=root_value)
        except StrawberryHTTPException as error:
            raise HTTPException(error.status_code, error.reason) from None
        except PersistedQueryError as error:
            failed = GraphQLError(str(error), extensions={"code": error.code.value})
            return Response(self.encode_json({"errors": [coded(failed)]}), media_type="application/json")

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL for a browser's GET, but not for an APQ GET (the hash alone, no ``query``)."""
        return super().should_render_graphql_ide(request) and request.query_params.get("extensions") is None

    async def parse_http_body(self, request: Any) -> Any:
        """The request's operation(s): persisted query texts filled in from their hashes, variables
        checked against the count and depth limits (400 beyond)."""
        parsed = await super().parse_http_body(request)
        items = [self.persisted.resolve(item) for item in (parsed if isinstance(parsed, list) else [parsed])]
        for item in items:
            check_variables(item.variables, self.max_variables)
        return items if isinstance(parsed, list) else items[0]

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL, its scripts served by this app (no CDN)."""
        return HTMLResponse(GRAPHIQL_HTML)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """The response body: every error with its code and the request id in ``extensions``."""
        response = await super().process_result(request, result)
        if result.errors:
            response["errors"] = [coded(error) for error in result.errors]
        return response

    def encode_json(self, data: object) -> bytes:
        """orjson: several times faster than the stdlib on large responses (datetimes are already strings)."""
        return orjson.dumps(data)

    async def execute_single(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Execute one operation, or answer it from the cache."""
        name = request_data.operation_name
        label = self.metrics.operation_label(name)
        self.metrics.graphql_operations.labels(label).inc()
        key = None
        if self.cache is not None and request_data.query and not is_mutation(request_data.query, name):
            try:
                version = await context.run(read_data_version)
            except Exception as error:
                if not is_database_unavailable(error):
                    raise
                return ExecutionResult(data=None, errors=[unavailable_graphql_error()])
            key = (request_digest(request_data.query, request_data.variables, name), version)
            cached = self.cache.get(key)
            if cached is not None:
                self.metrics.cache.labels("hit").inc()
                self._record_path(sub_response, "cache")
                return cached
            self.metrics.cache.labels("miss").inc()
        result = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )
        self._record_path(sub_response, context.execution_path)
        if result.errors:
            self.metrics.graphql_errors.labels(label).inc()
        elif key is not None and self.cache is not None:
            self.cache.put(key, result)
        return result

    def _record_path(self, sub_response: Any, path: str) -> None:
        """Which path answered: the ``x-coinflow-execution`` header and the execution metric's label."""
        sub_response.headers[EXECUTION_HEADER] = path
        self.metrics.graphql_execution.labels(path).inc()


def is_mutation(query: str, operation_name: str | None) -> bool:
    """Whether the operation to run is a mutation (never answered from the cache)."""
    if "mutation" not in query:  # the cheap common case: no parse
        return False
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return True  # unparseable: let execution report it, uncached
    return operation is None or operation.operation == OperationType.MUTATION


def make_graphql_router(settings: Settings, engine: Engine, metrics: ApiMetrics) -> CachingGraphQLRouter:
    """The router with its schema, per-request context and cache."""

    async def context_getter() -> Context:
        return Context(engine, settings)

    budget, entries = settings.api_response_cache_bytes, settings.api_response_cache_size
    return CachingGraphQLRouter(
        build_schema(settings),
        context_getter=context_getter,
        metrics=metrics,
        cache=ResponseCache(budget, entries) if budget and entries else None,
        max_variables=settings.api_max_variables,
    )
