"""HTTP caching of reads: ``ETag`` from the data version and the request, ``If-None-Match`` → 304, ``Cache-Control``.

Applies to GET on the data routes (``/stats``, ``/data``, ``/coins/…``, ``/runs…``) and GraphQL GET queries
(``/graphql?query=…`` or an APQ hash), never to POST, health probes, ``/metrics`` or GraphiQL.

The ETag is weak (``W/"…"``): it names the data, not the bytes, so the gzip and identity encodings share
it (RFC 9110 §8.8.1). It hashes the app's fingerprint (coinflow's version and settings), the data version
(bumped by every committed load, the same counter the GraphQL response cache keys on) and the request
(path and query string). The data version is read before the app runs: if a load commits meanwhile, the
answer is newer than its tag and the next request simply gets a fresh 200; an answer is never older than
its tag. A matching ``If-None-Match`` is answered 304 without running the query at all.

Only a 200 without GraphQL ``errors`` gets ``ETag`` and ``Cache-Control: public, max-age=<api_http_max_age_s>``:
an error is never cached. Figures derived from the clock (a spread's ``maxAgeSeconds``) are as old as the
tag, exactly as with the GraphQL response cache.
"""

import hashlib
from importlib.metadata import version

import orjson
from anyio import to_thread
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.queries.runs import read_data_version
from models.settings import Settings

# Route prefixes whose GET answer depends only on the data version and the request.
CACHEABLE_PREFIXES = ("/stats", "/data", "/coins", "/runs", "/graphql")


# Settings that may hold a password in plain text: the database's goes in without it, the others not at all
# (an ETag is public; a hash of a known string plus a weak password could be brute-forced offline).
_URL_SETTINGS = {"database_url", "coingecko_base_url", "coinpaprika_base_url"}


def app_fingerprint(settings: Settings) -> str:
    """What else shapes an answer: coinflow's version, the database and every other setting (secrets masked)."""
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    others = settings.model_dump_json(exclude=_URL_SETTINGS)  # SecretStr fields dump as "**********"
    return hashlib.sha256(f"{version('coinflow')}|{database}|{others}".encode()).hexdigest()


def is_cacheable(scope: Scope) -> bool:
    """A GET of a data route (GraphiQL's HTML page excluded)."""
    if scope["method"] != "GET":
        return False
    path: str = scope["path"]
    if not any(path == prefix or path.startswith(prefix + "/") for prefix in CACHEABLE_PREFIXES):
        return False
    return not (path == "/graphql" and "text/html" in Headers(scope=scope).get("accept", ""))


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2 weak comparison of ``etag`` against an If-None-Match list (or ``*``)."""
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


class HttpCacheMiddleware:
    """Tags cacheable answers and answers revalidations (plain ASGI: no extra task per request)."""

    def __init__(self, app: ASGIApp, engine: Engine, settings: Settings) -> None:
        self.app = app
        self.engine = engine
        self.cache_control = f"public, max-age={settings.api_http_max_age_s}"
        self.fingerprint = app_fingerprint(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request: 304, a tagged 200, or the app's answer untouched."""
        if scope["type"] != "http" or not is_cacheable(scope):
            await self.app(scope, receive, send)
            return
        try:
            etag = self.etag(scope, await to_thread.run_sync(self.data_version))
        except SQLAlchemyError:  # the database is down: the route reports it, untagged
            await self.app(scope, receive, send)
            return
        headers = [(b"etag", etag.encode()), (b"cache-control", self.cache_control.encode())]
        if matches(Headers(scope=scope).get("if-none-match", "") or "", etag):
            await send(
                {"type": "http.response.start", "status": 304, "headers": [*headers, (b"vary", b"Accept-Encoding")]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, _Tagger(send, headers, graphql=scope["path"] == "/graphql").send)

    def data_version(self) -> int:
        """The current data version (one indexed single-row SELECT)."""
        with self.engine.connect() as conn:
            return read_data_version(conn)

    def etag(self, scope: Scope, data_version: int) -> str:
        """The weak ETag of this request's answer at ``data_version``."""
        digest = hashlib.sha256(self.fingerprint.encode())
        digest.update(f"|{data_version}|{scope['path']}?".encode())
        digest.update(scope.get("query_string", b""))
        return f'W/"{digest.hexdigest()[:32]}"'


class _Tagger:
    """Holds a 200 back until its body is complete, then adds the cache headers unless it reports errors."""

    def __init__(self, send: Send, headers: list[tuple[bytes, bytes]], graphql: bool) -> None:
        self.downstream = send
        self.headers = headers
        self.graphql = graphql
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        """Pass everything through but a 200's start and body, which wait for the last body chunk."""
        if message["type"] == "http.response.start" and message["status"] == 200:
            self.start = message
            return
        if self.start is None or message["type"] != "http.response.body":
            await self.downstream(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self.chunks)
        start = self.start
        if not (self.graphql and _has_errors(body)):
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            for name, value in self.headers:
                headers.append(name.decode(), value.decode())
            headers.add_vary_header("Accept-Encoding")
            start = {**start, "headers": headers.raw}
        await self.downstream(start)
        await self.downstream({"type": "http.response.body", "body": body})


def _has_errors(body: bytes) -> bool:
    try:
        return bool(orjson.loads(body).get("errors"))
    except (orjson.JSONDecodeError, AttributeError):
        return True  # not a GraphQL result: never tag it
