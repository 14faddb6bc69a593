"""Run the ``coinflow`` CLI as a real subprocess against the session's Prefect test server."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli_env(database_url: str, prefect_api_url: str, **settings: str) -> dict[str, str]:
    """The environment of a CLI process: our database, the test Prefect server, extra COINFLOW_ settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COINFLOW_")}
    env.update(COINFLOW_DATABASE_URL=database_url, PREFECT_API_URL=prefect_api_url)
    env.update({f"COINFLOW_{key.upper()}": value for key, value in settings.items()})
    return env


def cli_command(*args: str) -> list[str]:
    """argv that runs the CLI with this interpreter."""
    return [sys.executable, "-m", "deployments.cli", *args]


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI to completion and capture its output."""
    return subprocess.run(cli_command(*args), env=env, cwd=REPO, capture_output=True, text=True, timeout=300)


def start_cli(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """Start the CLI in the background (output discarded), for tests that kill or race it."""
    return subprocess.Popen(cli_command(*args), env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_while_running(process: subprocess.Popen[bytes], done: Callable[[], bool], seconds: float = 300) -> None:
    """Poll ``done()`` until it holds; fail if ``process`` exits first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not done():
        assert process.poll() is None, "the run ended before the awaited point"
        assert time.monotonic() < deadline, "the awaited point was not reached in time"
        time.sleep(0.05)
