"""One app-wide dependency that range-checks every query and path parameter before its route runs.

Each route's declared parameters are read from its FastAPI dependant (once per route): text of any
parameter must not hold NUL, an ``int`` must fit a BIGINT, a ``datetime`` must have a UTC instant
(rules: ``graphql_api.input_bounds``). A value out of bounds is a 400 problem document naming the
parameter (``BadInputError``), the same on SQLite and PostgreSQL; a value of the wrong type is left
to FastAPI's own validation (422).
"""

import re
import types
from datetime import datetime
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from pydantic import TypeAdapter, ValidationError

from graphql_api.errors import BadInputError
from graphql_api.input_bounds import datetime_problem, int_problem, text_problem

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)
# The route attribute holding its (location, name as sent, value kind) list, worked out on first use.
_CHECKS_ATTRIBUTE = "coinflow_parameter_checks"


def check_parameters(request: Request) -> None:
    """Raise ``BadInputError`` (400) for the first query or path parameter out of bounds."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    checks = getattr(route, _CHECKS_ATTRIBUTE, None)
    if checks is None:
        checks = _route_checks(dependant)
        setattr(route, _CHECKS_ATTRIBUTE, checks)
    for location, name, kind in checks:
        if location == "path":
            raw = request.path_params.get(name)
            values = [raw] if isinstance(raw, str) else []
        else:
            values = request.query_params.getlist(name)
        for value in values:
            problem = text_problem(value) or _typed_problem(kind, value)
            if problem:
                raise BadInputError(name, problem)


def _typed_problem(kind: str, raw: str) -> str | None:
    if kind == "int" and _INTEGER.match(raw):
        return int_problem(int(raw))
    if kind == "datetime":
        try:
            return datetime_problem(_DATETIME.validate_python(raw))
        except ValidationError:
            return None  # not a datetime at all: FastAPI's validation answers 422
    return None


def _route_checks(dependant: Any) -> list[tuple[str, str, str]]:
    checks: list[tuple[str, str, str]] = []
    pending = [dependant]
    while pending:  # the route's own parameters and those of its dependencies
        current = pending.pop()
        for location, params in (("path", current.path_params), ("query", current.query_params)):
            checks.extend((location, param.alias, _kind(param.field_info.annotation)) for param in params)
        pending.extend(current.dependencies)
    return list(dict.fromkeys(checks))


def _kind(annotation: Any) -> str:
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {_kind(arg) for arg in get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else "text"
    if isinstance(annotation, type) and issubclass(annotation, bool):
        return "text"
    if isinstance(annotation, type) and issubclass(annotation, int):
        return "int"
    if isinstance(annotation, type) and issubclass(annotation, datetime):
        return "datetime"
    return "text"
