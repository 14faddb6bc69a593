"""A tree of child processes for ``coinflow up``: start each part, wait until healthy, stop them all.

Each part runs in its own session (process group) with its output in a log file. Stopping signals
every process group and every descendant found (Prefect starts flow runs and its server's services
in sessions of their own), waits, and kills what is left: no child survives ``coinflow up``.
"""

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil

POLL_S = 0.25
STOP_GRACE_S = 10.0


class PartFailedError(RuntimeError):
    """A part exited or did not become healthy in time; the message names it and its log."""


@dataclass
class Part:
    """One long-running child: its command, log file, and how to tell it is healthy."""

    name: str
    argv: list[str]
    log: Path
    healthy: Callable[[], bool]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, env: Mapping[str, str], cwd: Path) -> None:
        """Start the part in a new session, its stdout and stderr appended to its log."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, env=dict(env), cwd=cwd, start_new_session=True
            )

    def exit_code(self) -> int | None:
        """The part's exit code, or None while it runs."""
        return self.process.poll() if self.process else None

    def wait_healthy(self, timeout_s: float) -> None:
        """Poll until ``healthy()``; raise PartFailedError if the part exits or time runs out."""
        deadline = time.monotonic() + timeout_s
        while not self.healthy():
            if (code := self.exit_code()) is not None:
                raise PartFailedError(f"{self.name} exited with code {code}; see {self.log}")
            if time.monotonic() > deadline:
                raise PartFailedError(f"{self.name} was not healthy within {timeout_s:.0f} s; see {self.log}")
            time.sleep(POLL_S)


def http_ok(url: str, accept: Callable[[int], bool] = lambda status: status == 200) -> Callable[[], bool]:
    """A health check: GET ``url`` answers with a status ``accept`` takes."""

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return accept(response.status)
        except urllib.error.HTTPError as error:
            return accept(error.code)
        except OSError:
            return False

    return check


def stop_all(parts: list[Part], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM every part's process group and every descendant, wait ``grace_s``, SIGKILL the rest."""
    started = [part.process for part in parts if part.process is not None]
    procs: dict[int, psutil.Process] = {}
    for process in started:
        try:
            root = psutil.Process(process.pid)
            for proc in [root, *root.children(recursive=True)]:
                procs[proc.pid] = proc
        except psutil.NoSuchProcess:
            continue
    for process in reversed(started):
        _signal_group(process.pid, signal.SIGTERM)
    for proc in procs.values():
        _signal(proc, signal.SIGTERM)
    _, alive = psutil.wait_procs(list(procs.values()), timeout=grace_s)
    for proc in alive:
        _signal(proc, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=grace_s)
    for process in started:
        _signal_group(process.pid, signal.SIGKILL)  # anything left in a part's group
        process.wait(timeout=grace_s)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _signal(proc: psutil.Process, signum: signal.Signals) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        proc.send_signal(signum)
