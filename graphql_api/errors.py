"""Client errors the query service raises, and the codes GraphQL clients switch on.

REST turns them into RFC 9457 problem documents (``graphql_api.problems``); GraphQL reports them
with ``extensions.code`` (``graphql_api.gql.error_codes``). Their messages are safe to show.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """``extensions.code`` of a GraphQL error: a small closed set, named as Apollo's conventions name them."""

    BAD_USER_INPUT = "BAD_USER_INPUT"  # a malformed document, an unknown field, a bad argument or variable value
    COST_LIMIT = "COST_LIMIT"  # too many requested rows, aliases or tokens: ask for less
    DEPTH_LIMIT = "DEPTH_LIMIT"  # a selection nested deeper than COINFLOW_API_MAX_DEPTH
    PAGE_LIMIT = "PAGE_LIMIT"  # first/last outside 1..500
    BAD_CURSOR = "BAD_CURSOR"  # a cursor that is malformed or belongs to another list or ordering
    UNAUTHENTICATED = "UNAUTHENTICATED"  # an operation that needs credentials got none or wrong ones
    INTERNAL = "INTERNAL"  # our fault; the message is masked, quote requestId when reporting it
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"  # the database is down: HTTP 503, retry after Retry-After
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"  # APQ: an unknown hash; send the query text with it


class BadInputError(ValueError):
    """A client error about one parameter (REST 400, GraphQL ``BAD_USER_INPUT``)."""

    code = ErrorCode.BAD_USER_INPUT
    status = 400

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


class PageLimitError(BadInputError):
    """A page size outside 1..500 (GraphQL ``PAGE_LIMIT``)."""

    code = ErrorCode.PAGE_LIMIT


class BadCursorError(BadInputError):
    """A cursor that is not one of ours for this list and ordering (GraphQL ``BAD_CURSOR``)."""

    code = ErrorCode.BAD_CURSOR


class NotFoundError(BadInputError):
    """The parameter names something that does not exist (REST 404)."""

    status = 404


class BadValueError(ValueError):
    """A client value a GraphQL scalar cannot parse; its message is safe to show.

    graphql-core reports it with the location of the argument or variable that carried the value.
    """
