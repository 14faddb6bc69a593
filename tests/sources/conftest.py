"""Fixtures for the API sources: the local source server on a free loopback port, and settings
that point both sources at it with tiny retry delays and a pinned history window."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from deployments.source_server.faults import Fault, FaultBook
from deployments.source_server.runner import serve_in_thread
from models.settings import Settings, get_settings

HISTORY_START = "2025-01-01"
HISTORY_END = "2025-03-04"  # the generated histories end on this day: 63 daily points from the start


class SourceServer:
    """Handle on the running server: its URL, fault injection and the request log."""

    def __init__(self, url: str, book: FaultBook) -> None:
        self.url = url
        self.book = book

    def fault(self, path: str, kind: str, **options: Any) -> None:
        """Inject a fault through the server's control API (over HTTP, like a demo would)."""
        response = httpx.post(f"{self.url}/_control/faults", json={"path": path, "kind": kind, **options})
        assert response.status_code == 201, response.text

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """The requests the server saw (optionally only those to ``path``)."""
        log = httpx.get(f"{self.url}/_control/requests").json()
        return [entry for entry in log if path is None or entry["path"] == path]

    def reset(self) -> None:
        """Forget faults and the request log."""
        httpx.delete(f"{self.url}/_control")


@pytest.fixture(scope="session")
def _running_server() -> Iterator[SourceServer]:
    with serve_in_thread() as (url, book):
        yield SourceServer(url, book)


@pytest.fixture
def source_server(_running_server: SourceServer) -> Iterator[SourceServer]:
    """The local source server, with no faults and an empty request log."""
    _running_server.reset()
    yield _running_server
    _running_server.reset()


SOURCE_ENV = {
    "COINFLOW_HTTP_RETRIES": "3",
    "COINFLOW_HTTP_BACKOFF_S": "0.01",
    "COINFLOW_HTTP_RETRY_JITTER": "0",
    "COINFLOW_HTTP_TIMEOUT_S": "1.0",
    "COINFLOW_COINGECKO_REQUESTS_PER_MINUTE": "100000",
    "COINFLOW_COINPAPRIKA_REQUESTS_PER_SECOND": "100000",
    "COINFLOW_COINPAPRIKA_REQUESTS_PER_MINUTE": "100000",
    "COINFLOW_HISTORY_START": HISTORY_START,
    "COINFLOW_HISTORY_END": HISTORY_END,
    "COINFLOW_HISTORY_LOOKBACK_HOURS": "48",
    "COINFLOW_COINGECKO_MARKETS_PER_PAGE": "50",
    "COINFLOW_COINGECKO_MARKETS_MAX_PAGES": "5",
    "COINFLOW_COINGECKO_HISTORY_COINS": json.dumps(["bitcoin", "ethereum"]),
    "COINFLOW_COINPAPRIKA_HISTORY_COINS": json.dumps(["btc-bitcoin", "eth-ethereum"]),
    "COINFLOW_COINPAPRIKA_HISTORY_LIMIT": "30",
}


@pytest.fixture
def source_settings(
    settings: Settings, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings for both API sources against the local server (flows read them from the environment)."""
    monkeypatch.setenv("COINFLOW_COINGECKO_BASE_URL", f"{source_server.url}/api/v3")
    monkeypatch.setenv("COINFLOW_COINPAPRIKA_BASE_URL", f"{source_server.url}/v1")
    for name, value in SOURCE_ENV.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def count(engine: Engine, sql: str, **params: Any) -> int:
    """A scalar count from the test database."""
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    """All rows of a query on the test database."""
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


__all__ = ["Fault", "SourceServer", "count", "rows"]
