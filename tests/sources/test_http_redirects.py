"""Keys stay with their source: cross-origin redirects are refused, echoed keys are redacted."""

import json
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from flows.http_client import SourceClient, SourceError, make_client
from models.settings import Settings
from tests.http_stub import StubHandler, serving

KEY = "cg-Zq8vK3xW-secret"


class _Recorder(StubHandler):
    """Answers by path: a redirect elsewhere, a redirect home, JSON, or a 401 that echoes the key header."""

    seen: list[dict[str, str]]
    elsewhere: str

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches GET to
        type(self).seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path.startswith("/api/v3/away"):
            self.answer(302, b"", {"Location": f"{self.elsewhere}/steal"})
        elif self.path.startswith("/api/v3/moved"):
            self.answer(301, b"", {"Location": "/api/v3/ping"})
        elif self.path.startswith("/api/v3/echo"):
            body = json.dumps({"error": f"invalid key {self.headers.get('x-cg-demo-api-key')}"}).encode()
            self.answer(401, body, {"Content-Type": "application/json"})
        else:
            self.answer(200, b'{"gecko_says": "(V3) To the Moon!"}', {"Content-Type": "application/json"})


@pytest.fixture
def servers() -> Iterator[tuple[str, list[dict[str, str]], list[dict[str, str]]]]:
    """(upstream URL, requests upstream saw, requests the other origin saw)."""

    class Other(_Recorder):
        seen: list[dict[str, str]] = []  # noqa: RUF012 - one list per server, read by the test

    class Upstream(_Recorder):
        seen: list[dict[str, str]] = []  # noqa: RUF012 - one list per server, read by the test

    with serving(Other) as other_url:
        Upstream.elsewhere = other_url
        with serving(Upstream) as upstream_url:
            yield upstream_url, Upstream.seen, Other.seen


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
