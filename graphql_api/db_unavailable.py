"""The database being down or unreachable: 503 with ``Retry-After``, never a masked 500.

``is_database_unavailable`` is the one rule both faces use: REST answers a problem document
(``install_unavailable_handler``), GraphQL an error coded ``SERVICE_UNAVAILABLE`` with HTTP 503
(``graphql_api.gql.router``). SQLAlchemy reports a refused or dropped connection, an unopenable
SQLite file and a server-side cancel as ``OperationalError``, an exhausted pool as ``TimeoutError``,
a connection broken mid-statement as ``InterfaceError``/``DisconnectionError`` (PEP 249 classes).
"""

import re
import sqlite3

from fastapi import FastAPI, Request
from graphql import GraphQLError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from graphql_api.errors import ErrorCode
from graphql_api.json_logging import log
from graphql_api.problems import ProblemResponse, problem_body

RETRY_AFTER_S = 5
UNAVAILABLE_DETAIL = f"The database is unavailable; retry after {RETRY_AFTER_S} s."
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)
_SQLITE_UNAVAILABLE = re.compile(r"unable to open database file|database is locked|disk I/O error")


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` says the database cannot be reached or cannot answer now.

    sqlite3 reports every failure as ``OperationalError``, a missing table too (our fault, a masked
    500): for SQLite only the file being unopenable, locked or failing I/O counts.
    """
    if not isinstance(error, UNAVAILABLE_ERRORS):
        return False
    original = getattr(error, "orig", None)
    if isinstance(original, sqlite3.Error):
        return _SQLITE_UNAVAILABLE.search(str(original)) is not None
    return True


def unavailable_graphql_error() -> GraphQLError:
    """The GraphQL error of an unavailable database (the router answers it with HTTP 503)."""
    return GraphQLError(UNAVAILABLE_DETAIL, extensions={"code": ErrorCode.SERVICE_UNAVAILABLE.value})


def unavailable_headers() -> dict[str, str]:
    """Headers of a 503 caused by the database."""
    return {"Retry-After": str(RETRY_AFTER_S)}


def install_unavailable_handler(app: FastAPI) -> None:
    """Answer REST requests that hit an unavailable database with a 503 problem document."""
    for error_class in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error_class, _unavailable)


async def _unavailable(request: Request, exc: Exception) -> ProblemResponse:
    if not is_database_unavailable(exc):
        raise exc  # a broken query, not an outage: the masked 500 of graphql_api.middleware
    log.warning("database unavailable", extra={"error_type": type(exc).__name__, "path": request.url.path})
    body = problem_body(503, UNAVAILABLE_DETAIL, request.url.path)
    return ProblemResponse(body, status_code=503, headers=unavailable_headers())
