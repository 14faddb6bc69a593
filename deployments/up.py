"""``coinflow up``: the local stack in one process tree.

A Prefect server (SQLite, its home under ``COINFLOW_UP_DIR``/prefect), the replay source server
(``--offline``), the query API, and ``deployments.serve`` (every deployment on its schedule), each a
child in its own process group with its log under ``COINFLOW_UP_DIR``/logs; then a first ingest of
every deployment. SIGINT/SIGTERM stop everything it started.
"""

import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from deployments.definitions import stream_deployments
from deployments.first_ingest import registered, run_first_ingest
from deployments.source_server.offline import REPLAY_HISTORY_END
from deployments.stack import Part, PartFailedError, http_ok, stop_all
from models.migrate import upgrade
from models.settings import Settings

LOOPBACK = "127.0.0.1"


class StopRequestedError(BaseException):
    """SIGINT or SIGTERM arrived (a BaseException, like KeyboardInterrupt: no ``except Exception`` eats it)."""


@dataclass(frozen=True)
class Ports:
    """Where the parts listen (all on loopback)."""

    api: int
    prefect: int
    sources: int

    @property
    def prefect_api(self) -> str:
        """The Prefect server's API URL."""
        return f"http://{LOOPBACK}:{self.prefect}/api"


def free_port() -> int:
    """A free loopback TCP port (for the replay server)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def check_free(port: int, what: str) -> None:
    """Raise PartFailedError if ``port`` is taken on loopback."""
    with socket.socket() as sock:
        if sock.connect_ex((LOOPBACK, port)) == 0:
            raise PartFailedError(f"port {port} for {what} is in use (choose another with --{what}-port)")


def child_env(settings: Settings, ports: Ports, offline: bool) -> dict[str, str]:
    """The environment of every part: this one, plus the local Prefect server and, offline, the replay URLs."""
    env = dict(os.environ)  # noqa: TID251 - children inherit the operator's COINFLOW_* settings
    env.update(
        PREFECT_HOME=str(settings.up_dir / "prefect"),
        PREFECT_API_URL=ports.prefect_api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        COINFLOW_PREFECT_UI_URL=f"http://{LOOPBACK}:{ports.prefect}",
    )
    # The serving process looks for runs to start every PREFECT_RUNNER_POLL_FREQUENCY seconds (Prefect's default
    # 10): with one run at a time on SQLite, each run of the first ingest waited up to 10 s for the previous one's
    # slot to be seen free. A local stack can ask its own server every 2 s; an operator's value wins.
    env.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "2")
    if offline:
        env.update(
            COINFLOW_COINGECKO_BASE_URL=f"http://{LOOPBACK}:{ports.sources}/api/v3",
            COINFLOW_COINPAPRIKA_BASE_URL=f"http://{LOOPBACK}:{ports.sources}/v1",
            COINFLOW_HISTORY_END=REPLAY_HISTORY_END,
        )
    return env


def parts(settings: Settings, ports: Ports, offline: bool) -> list[Part]:
    """The children, in start order."""
    logs, python = settings.up_dir / "logs", sys.executable
    cli = [python, "-m", "deployments.cli"]
    prefect_server = [python, "-m", "prefect", "server", "start", "--host", LOOPBACK, "--port", str(ports.prefect)]
    found = [
        Part("prefect-server", prefect_server, logs / "prefect-server.log", http_ok(f"{ports.prefect_api}/health"))
    ]
    if offline:
        argv = [*cli, "sources", "serve", "--host", LOOPBACK, "--port", str(ports.sources)]
        found.append(Part("source-server", argv, logs / "source-server.log", http_ok(_root(ports.sources), _any)))
    api = [*cli, "api", "--host", LOOPBACK, "--port", str(ports.api)]
    found.append(Part("api", api, logs / "api.log", http_ok(f"{_root(ports.api)}/health")))
    ready = registered(ports.prefect_api, stream_deployments(settings))
    found.append(Part("serve", [python, "-m", "deployments.serve"], logs / "serve.log", ready))
    return found


def seed_inbox(settings: Settings) -> Path | None:
    """Offline demo: copy the bundled sample CSV into an empty inbox, so every source has data."""
    inbox = settings.csv_inbox
    inbox.mkdir(parents=True, exist_ok=True)
    if any(inbox.glob("*.csv")) or not settings.sample_csv.is_file():
        return None
    return Path(shutil.copy(settings.sample_csv, inbox / settings.sample_csv.name))


def run(settings: Settings, ports: Ports, offline: bool, say: Callable[[str], None]) -> int:
    """Start the stack, run the first ingest, then wait for a signal; returns the exit code."""
    started = time.monotonic()
    children = parts(settings, ports, offline)
    _on_signals(_raise_stop)
    try:
        check_free(ports.prefect, "prefect")
        check_free(ports.api, "api")
        upgrade(settings.database_url)
        if offline and (seeded := seed_inbox(settings)):
            say(f"copied the sample CSV into the inbox: {seeded}")
        env = child_env(settings, ports, offline)
        for part in children:
            part.start(env, settings.home)
            part.wait_healthy(settings.up_start_timeout_s)
            say(f"{part.name} is up (log: {part.log})")
        say(f"ready in {time.monotonic() - started:.1f} s")
        _where_to_look(ports, say)
        say("first ingest: one run of every deployment")
        runs = run_first_ingest(
            ports.prefect_api, stream_deployments(settings), settings.up_first_ingest_timeout_s, say
        )
        failed = [r.name for r in runs if r.state is not None and not r.state.is_completed()]
        say(f"first ingest done in {time.monotonic() - started:.1f} s" + (f"; failed: {failed}" if failed else ""))
        say("serving every deployment on its schedule; Ctrl-C stops everything")
        return _watch(children)
    except StopRequestedError:
        say("stopping")
        return 0
    except (PartFailedError, TimeoutError) as error:
        say(f"error: {error}")
        return 1
    finally:
        _on_signals(signal.SIG_IGN)
        stop_all(children)
        _on_signals(signal.SIG_DFL)


def _watch(children: list[Part]) -> int:
    """Block until a signal (exit 0) or until a part exits on its own (exit 1, naming it)."""
    while True:
        for part in children:
            if (code := part.exit_code()) is not None:
                raise PartFailedError(f"{part.name} exited with code {code}; see {part.log}")
        time.sleep(1.0)


def _where_to_look(ports: Ports, say: Callable[[str], None]) -> None:
    api = _root(ports.api)
    say(f"dashboard      {api}/")
    say(f"Prefect UI     http://{LOOPBACK}:{ports.prefect}")
    say(f"GraphiQL       {api}/graphql")
    say(f"OpenAPI docs   {api}/docs")
    say(f"readiness      {api}/health/ready")


def _root(port: int) -> str:
    return f"http://{LOOPBACK}:{port}"


def _any(status: int) -> bool:
    return status > 0  # any HTTP answer: the replay server has no health route of its own


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequestedError


def _on_signals(handler: Callable[[int, FrameType | None], None] | signal.Handlers) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
