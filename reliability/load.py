"""Load with writes: 32 connections for 60 s on GraphQL and ``/data`` while an ingest writes.

The real API (``coinflow api``, one uvicorn process) serves the database while ``coinflow ingest``
loads a CSV file in paced chunks; 32 clients alternate a GraphQL ``coins`` page with latest prices
and a ``/data`` page. An error is any answer other than 200 (or a GraphQL ``errors``) or a failed
request. Meanwhile a reader (``reliability.torn_batches``) checks that no batch is ever seen
half-loaded.

The client pool drops a connection idle for ``KEEPALIVE_EXPIRY_S``, well below the server's
keep-alive (``coinflow api --keep-alive-s``, 75 s): the client is always the side that closes an
idle connection. With both at 5 s (httpx's and uvicorn's defaults) a request sent on a connection
the server was closing at that instant is reset: the ``httpx.ReadError`` this part used to report.
"""

import asyncio
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from models.db import make_engine
from reliability.stack import Database, env, start
from reliability.torn_batches import TornBatchReader, TornBatchWatch
from tests.csv_files import SAMPLE

KEEPALIVE_EXPIRY_S = 2.0  # below the server's keep-alive: the client closes idle connections first
GRAPHQL = {"query": "{ coins(first: 20) { nodes { canonicalId symbol latestPrices { priceUsd observedAt } } } }"}


@dataclass
class LoadFigures:
    """Requests, errors and latency percentiles of one load run."""

    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    ingest_exit: int | None = None
    batches: TornBatchWatch = field(default_factory=TornBatchWatch)

    def line(self) -> str:
        """``12345 requests, 0 errors, p50 12 ms, p99 80 ms, ingest exit 0; readers: 900 snapshots ...``."""
        ordered = sorted(self.latencies_ms) or [0.0]
        p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        text = f"{self.requests} requests, {self.errors} errors, p50 {p50:.0f} ms, p99 {p99:.0f} ms"
        text += f", ingest exit {self.ingest_exit}" + (f" ({self.error_samples[:2]})" if self.errors else "")
        return text + f"; reader: {self.batches.phrase()}"

    def held(self) -> bool:
        """0 errors, the ingest succeeded, no half-loaded batch seen."""
        return self.errors == 0 and self.ingest_exit == 0 and not self.batches.problems


def load_part(db: Database, prefect_url: str, folder: Path, seconds: float, connections: int = 32) -> LoadFigures:
    """Serve ``db``, write to it, read it hard; returns the figures."""
    port = _free_port()
    environment = env(db, prefect_url, csv_chunk_rows="500", pause_between_batches_s="1")
    api_log = (folder / f"api-{db.backend}.log").open("w")
    ingest_log = (folder / f"ingest-{db.backend}.log").open("w")
    api = start(environment, "api", "--port", str(port), log=api_log)  # its access log outgrows any pipe
    figures = LoadFigures()
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, api)
        csv = folder / f"load-{db.backend}.csv"
        csv.write_bytes(SAMPLE.read_bytes())
        reader_engine = make_engine(db.url)
        reader = TornBatchReader(reader_engine)
        reader.start()
        ingest = start(environment, "ingest", "--file", str(csv), log=ingest_log)
        try:
            asyncio.run(_hammer(base, seconds, connections, figures))
            figures.ingest_exit = ingest.wait(timeout=900)
        finally:
            figures.batches = reader.stop()
            reader_engine.dispose()
    finally:
        api.terminate()
        api.wait(timeout=30)
        api_log.close()
        ingest_log.close()
    return figures


async def _hammer(base: str, seconds: float, connections: int, figures: LoadFigures) -> None:
    opened = time.monotonic()
    deadline = opened + seconds
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=KEEPALIVE_EXPIRY_S
    )
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def worker(number: int) -> None:
            turn = number
            while time.monotonic() < deadline:
                turn += 1
                began = time.monotonic()
                try:
                    if turn % 2:
                        response = await client.post("/graphql", json=GRAPHQL)
                        bad = response.status_code != 200 or "errors" in response.json()
                    else:
                        response = await client.get("/data", params={"limit": 100})
                        bad = response.status_code != 200
                    problem = f"{response.status_code} {response.text[:120]}" if bad else ""
                except httpx.HTTPError as error:
                    problem = f"{type(error).__name__}: {error}"
                figures.requests += 1
                figures.latencies_ms.append((time.monotonic() - began) * 1000)
                if problem:
                    figures.errors += 1
                    figures.error_samples.append(f"sent at +{began - opened:.1f} s: {problem}")

        await asyncio.gather(*(worker(n) for n in range(connections)))


def _wait_ready(base: str, api: object) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError("the API did not answer /health in 300 s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
