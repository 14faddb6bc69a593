"""A request-body size limit for every route: larger bodies get 413 before any handler reads them.

A body is read up to the limit and refused as soon as it goes over (a declared ``Content-Length``
over the limit without reading it), so no handler ever holds more than ``max_bytes``. The rest of a
refused body is read and discarded (up to ``DRAIN_LIMIT_BYTES``) before the 413 goes out: a client
that sends its whole body before reading the answer (urllib, curl without Expect) then gets the 413
instead of a connection reset. Bodies under the limit are buffered and handed on unchanged.
"""

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.problems import PROBLEM_MEDIA_TYPE, problem_body

DRAIN_LIMIT_BYTES = 64 * 1024 * 1024


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with a 413 problem document."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request, its body checked against the limit first."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        too_large = declared is not None and declared.isdigit() and int(declared) > self.max_bytes
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            too_large = too_large or size > self.max_bytes
            if not too_large:
                chunks.append(chunk)
            elif chunks:
                chunks.clear()  # refused: keep nothing
            if not message.get("more_body", False) or size > DRAIN_LIMIT_BYTES:
                break
        if too_large:
            await self._too_large(scope, send)
            return
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = f"request body larger than {self.max_bytes} bytes (COINFLOW_API_MAX_BODY_BYTES)"
        body = orjson.dumps(problem_body(413, detail, scope["path"]))
        headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later messages (a disconnect) come from the server

    return replayed
