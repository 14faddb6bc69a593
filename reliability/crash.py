"""Crash: a multi-source ingest killed with SIGKILL at seeded random instants, re-run, compared row for row.

Each trial empties the database, starts ``coinflow ingest --source all --offline`` (the sample CSV
in chunks, CoinGecko and CoinPaprika replayed), kills it after a random share of a clean run's
duration, runs it again to the end, and compares every user-visible table with the clean run
(``reliability.stack.state``). The killed run must be closed (``crashed``) by the next one.
"""

import random
import signal
import subprocess
import time
from dataclasses import dataclass, field

from reliability.stack import Database, differences, env, run, start, state, statuses
from tests.db_snapshot import rows_inserted

ARGS = ("ingest", "--source", "all", "--offline")
SETTINGS = {"csv_chunk_rows": "500"}


@dataclass
class CrashFigures:
    """One backend's trials."""

    backend: str
    trials: int = 0
    killed: int = 0  # trials whose process was still running when the signal came
    mid_load: int = 0  # killed with some but not all prices committed
    identical: int = 0
    clean_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``sqlite: 5/5 identical (5 killed, 3 mid-load; clean run 41 s)``."""
        text = (
            f"{self.backend}: {self.identical}/{self.trials} identical after re-run ({self.killed} SIGKILLed, "
            f"{self.mid_load} with part of the prices committed; clean run {self.clean_s:.0f} s)"
        )
        return text + (f" FAILED: {'; '.join(self.problems[:3])}" if self.problems else "")


def crash_trials(db: Database, prefect_url: str, runs: int, rng: random.Random) -> CrashFigures:
    """``runs`` kill-and-resume trials on ``db``, against one clean run.

    A kill comes a random time after the first run row appears (the ingest proper has begun: Prefect's
    start-up is not what is tested), drawn uniformly over what the clean run took from there.
    """
    figures = CrashFigures(db.backend)
    environment = env(db, prefect_url, **SETTINGS)
    db.wipe()
    began = time.monotonic()
    process = start(environment, *ARGS)
    started = _wait_for_a_run(db, process)
    _, err = process.communicate()
    figures.clean_s = time.monotonic() - began
    if process.returncode != 0 or started is None:
        figures.problems.append(f"clean run exit {process.returncode}: {err.strip().splitlines()[-1:]}")
        return figures
    working_s = time.monotonic() - started
    clean = state(db)
    total = rows_inserted(db.engine)
    for trial in range(runs):
        db.wipe()
        process = start(environment, *ARGS)
        if _wait_for_a_run(db, process) is not None:
            time.sleep(rng.uniform(0, working_s))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            figures.killed += 1
        process.communicate()
        figures.mid_load += 0 < rows_inserted(db.engine) < total
        code, _, err, _ = run(environment, *ARGS)
        figures.trials += 1
        found = differences(clean, state(db))
        if code != 0:
            found.append(f"re-run exit {code}: {err.strip().splitlines()[-1:]}")
        if "running" in statuses(db):
            found.append("a run left running")
        if found:
            figures.problems.append(f"trial {trial}: {', '.join(found)}")
        else:
            figures.identical += 1
    return figures


def _wait_for_a_run(db: Database, process: subprocess.Popen[str]) -> float | None:
    """Poll until the process's first run row exists; its monotonic time, or None if it ended first."""
    while process.poll() is None:
        if statuses(db):
            return time.monotonic()
        time.sleep(0.05)
    return None
