"""REST errors as RFC 9457 problem documents: one ``application/problem+json`` shape for every status.

``{"type", "title", "status", "detail", "instance", "request_id"}``, plus ``parameter`` when one query
or path parameter is at fault and ``errors`` (one item per parameter) for a 422. ``type`` is
``about:blank`` (RFC 9457 §4.2.1: the status says it all, ``title`` is its phrase) except for
:data:`INVALID_PARAMETER`. Handlers for every way a request fails are installed by
:func:`install_problem_handlers`; the masked 500 is written by ``graphql_api.middleware``.
"""

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from graphql_api.errors import BadInputError
from graphql_api.request_context import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
INVALID_PARAMETER = "tag:coinflow,2026:problem:invalid-parameter"
INTERNAL_DETAIL = "Unexpected error; quote the request_id when reporting it."


class ParameterProblem(BaseModel):
    """One invalid parameter of a 422."""

    parameter: str = Field(description="The query/path parameter (dotted path for a body field).")
    detail: str = Field(description="What is wrong with its value.")


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every REST error (4xx and 5xx)."""

    type: str = Field(default="about:blank", description="URI of the problem type; about:blank: see `status`.")
    title: str = Field(description="Short summary of the problem type (the HTTP status phrase for about:blank).")
    status: int = Field(description="The HTTP status code, repeated.")
    detail: str = Field(description="This occurrence, for humans; starts with the parameter name when there is one.")
    instance: str = Field(description="The request path that failed.")
    request_id: str = Field(description="The X-Request-ID of the request: quote it when reporting a problem.")
    parameter: str | None = Field(default=None, description="The offending parameter, when one is at fault.")
    errors: list[ParameterProblem] | None = Field(default=None, description="Every invalid parameter (422 only).")


class ProblemResponse(JSONResponse):
    """A JSON response served as ``application/problem+json``."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_body(status: int, detail: str, instance: str, **extra: Any) -> dict[str, Any]:
    """The problem document for ``status`` (``extra``: type, title, parameter, errors), Nones left out."""
    fields = {"title": _phrase(status), **extra}
    problem = Problem(status=status, detail=detail, instance=instance, request_id=request_id_var.get(), **fields)
    return problem.model_dump(exclude_none=True)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting ``statuses`` as problem documents."""
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {status: {"description": _phrase(status), "content": content} for status in statuses}


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every HTTP error, validation error and bad input of ``app`` with a problem document."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BadInputError, _bad_input)
    _document_problem_schema(app)


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    body = problem_body(exc.status_code, str(exc.detail), request.url.path)
    return ProblemResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_parameter_problem(error) for error in exc.errors()]
    detail = "; ".join(f"{item.parameter}: {item.detail}" for item in errors)
    body = problem_body(
        422,
        detail,
        request.url.path,
        type=INVALID_PARAMETER,
        title="Invalid parameter",
        parameter=errors[0].parameter if errors else None,
        errors=errors,
    )
    return ProblemResponse(body, status_code=422)


async def _bad_input(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, BadInputError)
    extra = {"type": INVALID_PARAMETER, "title": "Invalid parameter"} if exc.status == 400 else {}
    body = problem_body(exc.status, str(exc), request.url.path, parameter=exc.parameter, **extra)
    return ProblemResponse(body, status_code=exc.status)


def _parameter_problem(error: dict[str, Any]) -> ParameterProblem:
    location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body", "header")]
    return ParameterProblem(parameter=".".join(location) or "request", detail=error.get("msg", "invalid value"))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _document_problem_schema(app: FastAPI) -> None:
    """Add ``Problem`` to the OpenAPI components (``problem_responses`` refers to it by $ref)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            definitions = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(definitions.pop("$defs", {}))
            components["Problem"] = definitions
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
