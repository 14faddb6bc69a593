"""`coinflow api` serves the app with uvicorn on a loopback port; queried over real HTTP."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.api.market_fixture import Market

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(database_url: str, *options: str, **env_vars: str) -> Iterator[str]:
    """``coinflow api`` on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    env = {"COINFLOW_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", **env_vars}
    process = subprocess.Popen(
        [sys.executable, "-m", "deployments.cli", "api", "--host", "127.0.0.1", "--port", str(port), *options],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: worker processes are stopped with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Start-up imports Prefect's settings stack: ~3 s on a quiet machine, 20 s seen on a loaded one.
        deadline = time.monotonic() + 300
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    _signal_group(process, signal.SIGKILL)  # workers too: a live process's pipe never ends
                    output = process.stdout.read().decode() if process.stdout else ""
                    pytest.fail(f"uvicorn did not start: {output}")
                time.sleep(0.1)
        yield base
    finally:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the server and every worker it started (its process group), if any is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


@pytest.fixture
def served(database_url: str, market: Market, engine: Engine) -> Iterator[str]:
    with serve(database_url) as base:
        yield base


def test_queries_over_http(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        health = http.get("/health", headers={"X-Request-ID": "over-http"})
        assert health.json() == {"status": "ok"} and health.headers["x-request-id"] == "over-http"
        body = http.post(
            "/graphql", json={"query": '{ coin(canonicalId: "ethereum") { latestPrice { priceUsd } } }'}
        ).json()
        assert body == {"data": {"coin": {"latestPrice": {"priceUsd": 8.0}}}}
        data = http.get("/data", params={"symbol": "ETH", "limit": 2}).json()
        assert [row["price_usd"] for row in data["data"]] == [10.0, 9.0]
        assert data["next_cursor"] is not None
        assert http.get("/docs").status_code == 200


def test_metrics_sum_every_worker_process(database_url: str, market: Market, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"a previous run's file")
    with serve(database_url, "--workers", "2", PROMETHEUS_MULTIPROC_DIR=str(folder)) as base:
        for _ in range(30):  # a new connection each time, so both workers get some
            response = httpx.get(f"{base}/data", params={"limit": 1}, headers={"Connection": "close"})
            assert response.status_code == 200
        text = httpx.get(f"{base}/metrics").text
    writers = {path.stem.rsplit("_", 1)[1] for path in folder.glob("counter_*.db")}
    assert len(writers) == 2 and "999999" not in writers  # two workers counted; the stale file was cleared
    assert 'coinflow_http_requests_total{method="GET",route="/data",status="200"} 30.0' in text
    assert 'coinflow_etl_price_rows{source="csv"} 6.0' in text


def test_a_burst_of_requests_shares_a_bounded_pool(database_url: str, market: Market, engine: Engine) -> None:
    """24 concurrent GraphQL requests all answer, over at most ``COINFLOW_API_DB_POOL_SIZE`` connections.

    On PostgreSQL the API's connections (``application_name`` coinflow-api) are counted while the burst
    runs and after it: never more than the pool size, and kept open for the next request.
    """
    query = {"query": '{ coin(canonicalId: "ethereum") { latestPrice { priceUsd } } }'}

    def api_connections() -> int:
        if engine.dialect.name != "postgresql":
            return 0
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = 'coinflow-api' AND datname = current_database()"
                    )
                ).scalar_one()
            )

    with serve(database_url, COINFLOW_API_DB_POOL_SIZE="2", COINFLOW_API_RESPONSE_CACHE_SIZE="0") as base:
        with httpx.Client(base_url=base, timeout=60) as http, ThreadPoolExecutor(max_workers=24) as pool:
            answers = pool.map(lambda _: http.post("/graphql", json=query), range(24))
            seen = [api_connections() for _ in range(20)]
            bodies = [(answer.status_code, answer.json()) for answer in answers]
        after = api_connections()
    assert bodies == [(200, {"data": {"coin": {"latestPrice": {"priceUsd": 8.0}}}})] * 24
    assert max(seen) <= 2
    if engine.dialect.name == "postgresql":
        assert 1 <= after <= 2  # the pool's connections stay open for the next request
