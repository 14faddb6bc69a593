"""Keys stay with their source: cross-origin redirects are refused, echoed keys are redacted."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from flows.http_client import SourceClient, SourceError, make_client
from models.settings import Settings

KEY = "cg-Zq8vK3xW-secret"


class _Recorder(BaseHTTPRequestHandler):
    """Answers by path: a redirect elsewhere, a redirect home, JSON, or a 401 that echoes the key header."""

    seen: list[dict[str, str]]
    elsewhere: str

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path.startswith("/api/v3/away"):
            self._answer(302, b"", {"Location": f"{self.elsewhere}/steal"})
        elif self.path.startswith("/api/v3/moved"):
            self._answer(301, b"", {"Location": "/api/v3/ping"})
        elif self.path.startswith("/api/v3/echo"):
            body = json.dumps({"error": f"invalid key {self.headers.get('x-cg-demo-api-key')}"}).encode()
            self._answer(401, body, {"Content-Type": "application/json"})
        else:
            self._answer(200, b'{"gecko_says": "(V3) To the Moon!"}', {"Content-Type": "application/json"})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads ``seen`` instead."""


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def servers() -> Iterator[tuple[str, list[dict[str, str]], list[dict[str, str]]]]:
    """(upstream URL, requests upstream saw, requests the other origin saw)."""

    class Other(_Recorder):
        seen: list[dict[str, str]] = []  # noqa: RUF012 - one list per server, read by the test

    other_server, other_url = _serve(Other)

    class Upstream(_Recorder):
        seen: list[dict[str, str]] = []  # noqa: RUF012 - one list per server, read by the test
        elsewhere = other_url

    upstream_server, upstream_url = _serve(Upstream)
    yield upstream_url, Upstream.seen, Other.seen
    for server in (upstream_server, other_server):
        server.shutdown()
        server.server_close()


def _client(base: str) -> SourceClient:
    settings = Settings(
        database_url="sqlite:///unused.db",
        coingecko_base_url=f"{base}/api/v3",
        coingecko_api_key=SecretStr(KEY),
        coingecko_key_plan="demo",
    )
    return make_client("coingecko", settings)


def test_a_redirect_to_another_origin_is_refused_and_the_key_never_sent_there(
    servers: tuple[str, list[dict[str, str]], list[dict[str, str]]],
) -> None:
    base, upstream_seen, other_seen = servers
    client = _client(base)
    with pytest.raises(SourceError) as refused:
        client.get_json("away")
    assert "redirect to another origin (http://127.0.0.1)" in str(refused.value)
    assert "not followed" in str(refused.value) and not refused.value.retryable
    assert other_seen == []  # the other origin got no request at all, so no key
    assert upstream_seen[0]["x-cg-demo-api-key"] == KEY
    client.close()


def test_a_redirect_within_the_origin_is_followed(
    servers: tuple[str, list[dict[str, str]], list[dict[str, str]]],
) -> None:
    base, upstream_seen, _ = servers
    client = _client(base)
    assert client.get_json("moved") == {"gecko_says": "(V3) To the Moon!"}
    assert [seen["path"] for seen in upstream_seen] == ["/api/v3/moved", "/api/v3/ping"]
    client.close()


def test_an_error_body_echoing_the_key_is_redacted(
    servers: tuple[str, list[dict[str, str]], list[dict[str, str]]],
) -> None:
    base, _, _ = servers
    client = _client(base)
    with pytest.raises(SourceError) as rejected:
        client.get_json("echo")
    assert str(rejected.value) == "GET echo: HTTP 401: invalid key [redacted]"
    assert KEY not in str(rejected.value)
    client.close()
