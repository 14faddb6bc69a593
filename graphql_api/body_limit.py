"""A request-body size limit for every route: larger bodies get 413 before any handler reads them.

A declared ``Content-Length`` over the limit is refused at once; a chunked body is read up to the
limit and refused as soon as it goes over, so no handler ever holds more than ``max_bytes``.
Bodies under the limit are buffered (at most ``max_bytes``) and handed on unchanged.
"""

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.problems import PROBLEM_MEDIA_TYPE, problem_body


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
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
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
