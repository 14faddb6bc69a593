"""``extensions.code`` and ``extensions.requestId`` on every GraphQL error.

The codes are the closed set of ``graphql_api.errors.ErrorCode``. A code comes from where the error
was raised (our ``BadInputError`` family, the cost limiter's ``extensions``), from the masking of an
unexpected error (``INTERNAL``), or, for the limits graphql-core and Strawberry report as plain
messages (depth, aliases, tokens), from the message; anything else the client sent is
``BAD_USER_INPUT``. Codes are added to the formatted response, never to the error objects, which
Strawberry's parser and validation caches share between requests.
"""

import re
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from graphql_api.db_unavailable import UNAVAILABLE_DETAIL, is_database_unavailable
from graphql_api.errors import BadInputError, BadValueError, ErrorCode
from graphql_api.request_context import request_id_var

# Limits reported as messages only (strawberry QueryDepthLimiter, MaxAliasesLimiter; graphql-core's
# parser for MaxTokensLimiter); the tests of each limit pin these.
_LIMIT_MESSAGES = (
    (re.compile(r"exceeds maximum operation depth of \d+"), ErrorCode.DEPTH_LIMIT),
    (re.compile(r"\d+ aliases found\. Allowed: \d+"), ErrorCode.COST_LIMIT),
    (re.compile(r"Document contains more than \d+ tokens"), ErrorCode.COST_LIMIT),
)


def is_unexpected(error: GraphQLError) -> bool:
    """Errors raised by our code that are not a client's bad input (those get masked)."""
    original = error.original_error
    return original is not None and not isinstance(original, BadInputError | BadValueError | GraphQLError)


def error_code(error: GraphQLError) -> ErrorCode:
    """The code of ``error`` (see the module docstring for the rules)."""
    preset = (error.extensions or {}).get("code")
    if isinstance(preset, str) and preset in ErrorCode.__members__:
        return ErrorCode(preset)
    original = error.original_error
    if isinstance(original, BadInputError):
        return original.code
    if is_unexpected(error):
        return ErrorCode.INTERNAL
    for pattern, code in _LIMIT_MESSAGES:
        if pattern.search(error.message):
            return code
    return ErrorCode.BAD_USER_INPUT


def coded(error: GraphQLError) -> dict[str, Any]:
    """``error`` formatted for the response, with its code and the request id in ``extensions``."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = {**formatted.get("extensions", {}), "code": error_code(error).value, "requestId": request_id_var.get()}
    return {**formatted, "extensions": extensions}


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's ``MaskErrors``, the masked error coded ``INTERNAL``."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The masked copy of ``error``: ``SERVICE_UNAVAILABLE`` when the database is down, else ``INTERNAL``."""
        masked = super().anonymise_error(error)
        if is_database_unavailable(error.original_error):
            masked.message = UNAVAILABLE_DETAIL
            masked.extensions = {"code": ErrorCode.SERVICE_UNAVAILABLE.value}
        else:
            masked.extensions = {"code": ErrorCode.INTERNAL.value}
        return masked
