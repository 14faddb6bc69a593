"""The shape of a GraphQL-over-HTTP request body, checked before GraphQL runs (400 otherwise).

The body must be a UTF-8 JSON object (``{"query": …, "variables": {…}, "operationName": …}``);
``null``, ``42``, ``[]`` (no batching here), invalid UTF-8 and JSON nested deeper than orjson's
limit of 1,024 levels are refused with one line saying why. Variables are bounded in count
(``COINFLOW_API_MAX_VARIABLES``) and nesting (``MAX_VARIABLE_DEPTH``), so a request can neither
make the cache key expensive nor recurse through a deeply nested value.
"""

from typing import Any

import orjson
from fastapi import HTTPException

# Deeper than any input type of the schema needs; orjson also refuses to encode past 254 levels.
MAX_VARIABLE_DEPTH = 32


def decode_request_json(data: str | bytes) -> dict[str, Any]:
    """The JSON object in ``data``; HTTPException 400 when it is not one."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        reason = str(error)
        if "UTF-8" in reason:
            raise HTTPException(400, "Unable to parse request body as JSON: it is not valid UTF-8") from None
        if "depth limit" in reason:
            raise HTTPException(400, "Unable to parse request body as JSON: nested deeper than 1024 levels") from None
        raise HTTPException(400, "Unable to parse request body as JSON") from None
    if not isinstance(value, dict):
        raise HTTPException(
            400,
            f'expected a JSON object such as {{"query": "{{ coins {{ nodes {{ symbol }} }} }}"}}, got {_kind(value)}',
        )
    return value


def check_variables(variables: dict[str, Any] | None, max_variables: int) -> None:
    """HTTPException 400 when ``variables`` has more than ``max_variables`` entries or nests too deep."""
    if not variables:
        return
    if len(variables) > max_variables:
        raise HTTPException(
            400, f"variables: {len(variables)} given, at most {max_variables} allowed (COINFLOW_API_MAX_VARIABLES)"
        )
    stack: list[tuple[Any, int]] = [(value, 1) for value in variables.values()]
    while stack:  # iterative: a deep value must not exhaust Python's stack
        value, depth = stack.pop()
        if depth > MAX_VARIABLE_DEPTH:
            raise HTTPException(400, f"variables: nested deeper than {MAX_VARIABLE_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    return "a string" if isinstance(value, str) else "a number" if not isinstance(value, bool) else "a boolean"
