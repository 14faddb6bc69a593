"""A source's request quota holds over real HTTP: per process (pyrate-limiter) and shared through Prefect."""

import time

from prefect.client.orchestration import get_client

from flows.http_client import make_client
from models.settings import Settings
from tests.sources.conftest import SourceServer

PATH = "tickers/btc-bitcoin"


def _paprika_settings(server: SourceServer, per_second: int, scope: str) -> Settings:
    return Settings(
        database_url="sqlite:///unused.db",
        coinpaprika_base_url=f"{server.url}/v1",
        coinpaprika_requests_per_second=per_second,
        coinpaprika_requests_per_minute=per_second * 60,  # only the per-second cap binds
        request_quota_scope=scope,  # type: ignore[arg-type]
    )


def _timed_requests(settings: Settings, n: int) -> float:
    client = make_client("coinpaprika", settings)
    started = time.monotonic()
    try:
        for _ in range(n):
            client.get_json(PATH)
    finally:
        client.close()
    return time.monotonic() - started


def test_process_quota_spaces_requests(source_server: SourceServer) -> None:
    # 3 a second: requests 1-3 go at once, 4-6 a second later, 7 a second after that.
    elapsed = _timed_requests(_paprika_settings(source_server, per_second=3, scope="process"), 7)
    assert elapsed >= 1.9
    assert len(source_server.requests(f"/v1/{PATH}")) == 7


def test_prefect_quota_is_a_server_side_rate_limit(source_server: SourceServer, prefect_api_url: str) -> None:
    elapsed = _timed_requests(_paprika_settings(source_server, per_second=2, scope="prefect"), 8)
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name("coinflow-coinpaprika-per-second")
    assert (limit.limit, limit.slot_decay_per_second) == (2, 2.0)
    # A burst of 2, then one slot frees every 0.5 s: the other 6 requests need at least 3 s
    # (unthrottled, 8 requests through the test server's API take ~0.5 s).
    assert elapsed >= 2.7
    assert len(source_server.requests(f"/v1/{PATH}")) == 8

    make_client("coinpaprika", _paprika_settings(source_server, per_second=9, scope="prefect")).close()
    with get_client(sync_client=True) as client:
        corrected = client.read_global_concurrency_limit_by_name("coinflow-coinpaprika-per-second")
    assert (corrected.limit, corrected.slot_decay_per_second) == (9, 9.0)
