"""Orchestration figures: `coinflow ingest --source all --offline` (CSV + CoinGecko + CoinPaprika replayed
from the recorded responses) end to end as a real subprocess, on a fresh SQLite database.

* ephemeral: no PREFECT_API_URL, so each run starts Prefect's temporary server (first run, then the
  nothing-new run);
* server: a `prefect server start` of its own (own PREFECT_HOME, loopback port), then a first run and
  the nothing-new run against it (issue 17's target: < 15 s end to end).
Prefect's share of a first run is the part of its wall time outside the flows (start-up, temporary
server, shutdown): wall minus the span from the first "Beginning flow run" to the last "Finished"
log line.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
_STAMP = re.compile(r"^(\d\d:\d\d:\d\d\.\d{3}) \|")


@dataclass(frozen=True)
class IngestRun:
    """One `coinflow ingest` process: wall seconds, seconds inside flows, exit code."""

    wall_s: float
    flow_s: float
    exit_code: int


def ingest(env: dict[str, str], cwd: Path) -> IngestRun:
    """Run the three-source offline ingest once and time it."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "coinflow"), "ingest", "--source", "all", "--offline", "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    wall = time.perf_counter() - start
    return IngestRun(wall, flow_span(done.stderr), done.returncode)


def flow_span(log: str) -> float:
    """Seconds from the first "Beginning" flow-run line to the last "Finished" line (0 if none)."""
    begun = [m.group(1) for line in log.splitlines() if "Beginning" in line and (m := _STAMP.match(line))]
    ended = [m.group(1) for line in log.splitlines() if "Finished in state" in line and (m := _STAMP.match(line))]
    if not begun or not ended:
        return 0.0
    first, last = (datetime.strptime(stamp, "%H:%M:%S.%f") for stamp in (begun[0], ended[-1]))
    return (last - first).total_seconds() % 86_400


def fresh_env(folder: Path) -> dict[str, str]:
    """The environment of one measured stack: its own database and Prefect home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COINFLOW_"))}
    env.update(
        COINFLOW_DATABASE_URL=f"sqlite:///{folder / 'coinflow.db'}",
        PREFECT_HOME=str(folder / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    subprocess.run([str(BIN / "coinflow"), "db", "upgrade"], env=env, capture_output=True, check=True, timeout=600)
    return env


def ephemeral() -> tuple[IngestRun, IngestRun]:
    """(first run, nothing-new run) with Prefect's temporary server."""
    with tempfile.TemporaryDirectory() as folder:
        env = fresh_env(Path(folder))
        return ingest(env, Path(folder)), ingest(env, Path(folder))


def with_server() -> tuple[IngestRun, IngestRun]:
    """(first run, nothing-new run) against a running `prefect server start`."""
    with tempfile.TemporaryDirectory() as folder:
        env = fresh_env(Path(folder))
        port = _free_port()
        server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/api"
            _wait_healthy(url, server)
            env["PREFECT_API_URL"] = url
            return ingest(env, Path(folder)), ingest(env, Path(folder))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"prefect server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"prefect server not healthy after {limit_s:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
