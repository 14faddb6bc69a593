"""ASGI middleware: X-Request-ID in and out, one JSON access log line and metrics for every request."""

import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.json_logging import log
from graphql_api.metrics import ApiMetrics
from graphql_api.problems import INTERNAL_DETAIL, PROBLEM_MEDIA_TYPE, problem_body
from graphql_api.request_context import pick_request_id, request_id_var, started_var


class RequestIdMiddleware:
    """Tags each request with an id (the caller's when well-formed), echoes it, logs and measures it.

    Plain ASGI rather than ``BaseHTTPMiddleware``: no extra task or body copy per request.
    """

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request with its id bound to the context."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = pick_request_id(incoming)
        started = time.perf_counter()
        id_token = request_id_var.set(request_id)
        start_token = started_var.set(started)
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # noqa: BLE001 - the last line of defence: mask, log, answer 500
            log.error("unhandled error", exc_info=error)
            status = 500
            if not started_response:
                await _internal_error(send, request_id, scope["path"])
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            labels = (scope["method"], route, str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 3),
                },
            )
            request_id_var.reset(id_token)
            started_var.reset(start_token)


async def _internal_error(send: Send, request_id: str, path: str) -> None:
    body = orjson.dumps(problem_body(500, INTERNAL_DETAIL, path))
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _route_template(scope: Scope) -> str:
    # The template ("/runs/{run_id}"), never the raw path: metric labels must stay few.
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    # Strawberry's router answers /graphql without leaving its route in the scope.
    return "/graphql" if scope.get("path") == "/graphql" else "unmatched"
