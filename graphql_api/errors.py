"""Error responses for bad input: 4xx naming the parameter (unexpected errors: see ``middleware``)."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from graphql_api.request_context import request_id_var


class BadInputError(ValueError):
    """A client error about one parameter; its message is safe to show (REST 400, GraphQL error)."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter


class BadValueError(ValueError):
    """A client value a GraphQL scalar cannot parse; its message is safe to show.

    graphql-core reports it with the location of the argument or variable that carried the value.
    """


def _describe(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
    return f"{'.'.join(location) or 'request'}: {error.get('msg', 'invalid value')}"


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    messages = [_describe(error) for error in exc.errors()]
    return JSONResponse(
        status_code=422,
        content={"error": "; ".join(messages), "details": messages, "request_id": request_id_var.get()},
    )


async def _bad_input(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BadInputError)
    return JSONResponse(
        status_code=400,
        content={"error": str(exc), "parameter": exc.parameter, "request_id": request_id_var.get()},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BadInputError, _bad_input)
