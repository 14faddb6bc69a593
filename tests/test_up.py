"""`coinflow up --offline` as a user starts it: a real process tree on free ports, a first ingest through
its own Prefect server, an on-demand run through the API, and nothing left behind after SIGTERM."""

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psutil
import pytest
from prefect.client.orchestration import SyncPrefectClient

from deployments.stack import Part, PartFailedError, http_ok
from tests.cli_process import REPO, cli_command, cli_env

TOKEN = "up-test-token"
START_TIMEOUT_S = 1_200  # ~3-4 min on 2 busy cores; a wide margin
RUNS = "{ runs(first: 50) { nodes { source stream status flowRunId prefectUrl } } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Up:
    """The running `coinflow up` process and the lines it printed."""

    def __init__(self, process: subprocess.Popen[str], api: str, prefect_api: str) -> None:
        self.process, self.api, self.prefect_api = process, api, prefect_api
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout_s: float) -> str:
        """The first printed line containing ``text``; fails if the process ends or time runs out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, f"coinflow up exited {self.process.returncode}: {self.seen}"
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} in {timeout_s} s: {self.seen}")


def _http(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, dict[str, Any], Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(error.read())


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    api_port, prefect_port = _free_port(), _free_port()
    env = cli_env(
        f"sqlite:///{tmp_path / 'coinflow.db'}",
        "http://127.0.0.1:1/api",  # replaced for every part by up's own server
        up_dir=str(tmp_path / "up"),
        csv_inbox=str(tmp_path / "inbox"),
        api_trigger_token=TOKEN,
        up_start_timeout_s="600",
        api_ready_max_age_s=json.dumps({"csv": 86_400, "coingecko": 86_400, "coinpaprika": 86_400}),
    )
    argv = cli_command("up", "--offline", "--api-port", str(api_port), "--prefect-port", str(prefect_port))
    process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = Up(process, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{prefect_port}/api")
    try:
        yield running
    finally:
        if process.poll() is None:  # a failed test: leave nothing behind either
            for proc in [*psutil.Process(process.pid).children(recursive=True), psutil.Process(process.pid)]:
                proc.kill()
            process.wait(timeout=60)


def _wait_completed(prefect_api: str, flow_run_id: str, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    with SyncPrefectClient(prefect_api) as client:
        while time.monotonic() < deadline:
            state = client.read_flow_run(flow_run_id).state  # type: ignore[arg-type]
            if state is not None and state.is_final():
                return state
            time.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} not finished in {timeout_s} s")


@pytest.mark.timeout(3 * START_TIMEOUT_S)  # start-up, seven first-ingest runs one at a time, a triggered run
def test_up_offline_ingests_every_source_serves_runs_and_stops_clean(up: Up) -> None:
    print(up.wait_for("ready in", START_TIMEOUT_S))  # the figures for the report (pytest -s)
    print(up.wait_for("first ingest done", START_TIMEOUT_S))
    assert not [line for line in up.seen if line.startswith("error")], up.seen

    status, _, ready = _http("GET", f"{up.api}/health/ready")
    assert status == 200, ready  # every source has a recent successful run

    _, _, answer = _http("POST", f"{up.api}/graphql", {"query": RUNS})
    runs = answer["data"]["runs"]["nodes"]
    assert {(r["source"], r["status"]) for r in runs} == {
        ("CSV", "SUCCEEDED"),
        ("COINGECKO", "SUCCEEDED"),
        ("COINPAPRIKA", "SUCCEEDED"),
    }
    assert {r["stream"] for r in runs if r["source"] != "CSV"} == {
        "coins_list",
        "markets",
        "market_chart",
        "coins",
        "tickers",
        "tickers_historical",
    }
    with SyncPrefectClient(up.prefect_api) as client:
        flow_runs = client.read_flow_runs()
        names = {d.id: d.name for d in client.read_deployments()}
    completed = [r for r in flow_runs if r.state is not None and r.state.is_completed()]
    assert sorted(names[r.deployment_id] for r in completed if r.deployment_id) == sorted(names.values())
    assert not [r.name for r in flow_runs if r.state is not None and (r.state.is_failed() or r.state.is_crashed())]
    assert {r["flowRunId"] for r in runs} <= {str(r.id) for r in flow_runs}  # each run row is a Prefect flow run

    _, _, listed = _http("GET", f"{up.api}/runs?source=coingecko&limit=50")
    markets_before = {r["flow_run_id"] for r in listed["data"] if r["stream"] == "markets"}
    status, headers, _ = _http("POST", f"{up.api}/runs", {"source": "coingecko", "streams": ["markets"]})
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    status, _, created = _http("POST", f"{up.api}/runs", {"source": "coingecko", "streams": ["markets"]}, TOKEN)
    assert status == 202, created
    [triggered] = created["flow_runs"]
    assert _wait_completed(up.prefect_api, triggered["flow_run_id"], 600).is_completed()
    # The run row records its source's own flow run: a subflow of the triggered deployment run.
    _, _, listed = _http("GET", f"{up.api}/runs?source=coingecko&limit=50")
    new_markets = [r for r in listed["data"] if r["stream"] == "markets" and r["flow_run_id"] not in markets_before]
    assert [r["status"] for r in new_markets] == ["succeeded"]
    with SyncPrefectClient(up.prefect_api) as client:
        source_run = client.read_flow_run(UUID(new_markets[0]["flow_run_id"]))
    assert source_run.name.startswith("coingecko · markets · ") and source_run.state is not None
    assert source_run.state.is_completed()

    tree = psutil.Process(up.process.pid).children(recursive=True)
    assert len(tree) >= 4  # Prefect server, replay server, API, serve (and their own children)
    up.process.send_signal(signal.SIGTERM)
    assert up.process.wait(timeout=120) == 0
    survivors = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert survivors == []


def test_a_part_that_dies_is_named_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "api.log"
    argv = [sys.executable, "-c", "import sys; print('cannot bind'); sys.exit(3)"]
    part = Part("api", argv, log, http_ok("http://127.0.0.1:1/health"))
    part.start({"PATH": "/usr/bin:/bin"}, tmp_path)
    with pytest.raises(PartFailedError, match=f"^api exited with code 3; see {log}$"):
        part.wait_healthy(timeout_s=600)
    assert "cannot bind" in log.read_text()


def test_up_refuses_a_taken_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = cli_env(f"sqlite:///{tmp_path / 'coinflow.db'}", "http://127.0.0.1:1/api", up_dir=str(tmp_path / "up"))
        argv = cli_command("up", "--offline", "--prefect-port", str(port), "--api-port", str(_free_port()))
        done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: port {port} for prefect is in use (choose another with --prefect-port)"
    ]
    assert not (tmp_path / "up" / "logs").exists()  # nothing was started


def test_the_served_deployments_look_for_runs_every_2_s_unless_the_operator_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deployments.up import Ports, child_env
    from models.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'coinflow.db'}", up_dir=tmp_path / "up")
    monkeypatch.delenv("PREFECT_RUNNER_POLL_FREQUENCY", raising=False)
    assert child_env(settings, Ports(8000, 4200, 8765), offline=True)["PREFECT_RUNNER_POLL_FREQUENCY"] == "2"
    monkeypatch.setenv("PREFECT_RUNNER_POLL_FREQUENCY", "15")
    assert child_env(settings, Ports(8000, 4200, 8765), offline=True)["PREFECT_RUNNER_POLL_FREQUENCY"] == "15"
