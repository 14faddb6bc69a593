"""Database faults: two runs of one stream at once, a backend terminated mid-batch, a statement timeout.

All on a CSV file cut from the sample, loaded in chunks with a pause between commits so a fault
lands mid-run. After each fault the file is ingested again and the database compared with a clean
load of it: nothing lost, nothing twice, no run left ``running``.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from reliability.stack import Database, differences, env, pg_options, run, start, state, statuses
from tests.csv_files import sample_rows, write_csv
from tests.db_snapshot import rows_inserted

ROWS = 2_000
SLOW = {"csv_chunk_rows": "250", "pause_between_batches_s": "1"}
# Every backend of the run's database that is in a statement or transaction, except coinflow's
# lock sessions (terminating those is a different fault: the lock would be lost).
_BUSY = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') "
    "AND application_name NOT LIKE 'coinflow %'"
)


@dataclass
class DbFaultFigures:
    """One backend's faults, each as a short phrase."""

    backend: str
    results: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``postgresql: concurrent 1 loaded + 1 skipped; terminated ...``."""
        text_ = f"{self.backend}: {'; '.join(self.results)}"
        return text_ + (f" FAILED: {'; '.join(self.problems[:3])}" if self.problems else "")


def db_faults(db: Database, prefect_url: str, folder: Path) -> DbFaultFigures:
    """Every database fault that ``db``'s backend can have."""
    figures = DbFaultFigures(db.backend)
    path = write_csv(folder / f"faults-{db.backend}.csv", sample_rows(0, ROWS))
    fast = env(db, prefect_url, csv_chunk_rows=SLOW["csv_chunk_rows"])
    db.wipe()
    code, _, err, _ = run(fast, "ingest", "--file", str(path))
    if code != 0:
        figures.problems.append(f"clean load exit {code}: {err.strip()[-200:]}")
        return figures
    clean = state(db)
    _concurrent(db, prefect_url, path, clean, figures)
    if db.backend == "postgresql":
        _terminated(db, prefect_url, path, clean, figures)
        _statement_timeout(db, prefect_url, path, clean, figures)
    return figures


def _concurrent(db: Database, prefect_url: str, path: Path, clean: dict, figures: DbFaultFigures) -> None:
    db.wipe()
    slow = env(db, prefect_url, **SLOW)
    processes = [start(slow, "ingest", "--file", str(path)) for _ in range(2)]
    codes = sorted(p.wait(timeout=900) for p in processes)
    for p in processes:
        p.communicate()
    found = statuses(db)
    figures.results.append(
        f"concurrent: exits {codes}, runs {sorted(found)}, rejected rows {_count(db, 'rejected_records')}"
    )
    if codes != [0, 75] or sorted(found) != ["skipped", "succeeded"]:
        figures.problems.append(f"concurrent: exits {codes}, runs {found}")
    _compare("concurrent", clean, db, figures)


def _terminated(db: Database, prefect_url: str, path: Path, clean: dict, figures: DbFaultFigures) -> None:
    db.wipe()
    process = start(env(db, prefect_url, **SLOW), "ingest", "--file", str(path))
    terminated = 0
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline and not terminated:
        if rows_inserted(db.engine) > 0:
            with db.engine.connect() as conn:
                terminated = len(conn.execute(_BUSY).all())
                conn.commit()
        time.sleep(0.02)
    code = process.wait(timeout=900)
    _, err = process.communicate()
    first = statuses(db)
    code2, _, _, _ = run(env(db, prefect_url, csv_chunk_rows=SLOW["csv_chunk_rows"]), "ingest", "--file", str(path))
    figures.results.append(
        f"backend terminated mid-batch: {terminated} sessions, run {first[-1:]} exit {code}, resumed exit {code2}"
    )
    if "Traceback" in err:
        figures.problems.append("terminated: a traceback reached the user")
    if not terminated:
        figures.problems.append("terminated: no busy session was caught")
    _compare("terminated", clean, db, figures)


def _statement_timeout(db: Database, prefect_url: str, path: Path, clean: dict, figures: DbFaultFigures) -> None:
    db.wipe()
    timing_out = pg_options(env(db, prefect_url, csv_chunk_rows="2000"), "-c statement_timeout=5")
    code, _, err, _ = run(timing_out, "ingest", "--file", str(path))
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    run_statuses = statuses(db)
    code2, _, _, _ = run(env(db, prefect_url, csv_chunk_rows=SLOW["csv_chunk_rows"]), "ingest", "--file", str(path))
    says = "statement timeout" in err
    figures.results.append(
        f"statement timeout 5 ms: exit {code}, runs {run_statuses}, says so {says}, resumed exit {code2}"
    )
    if code == 0 or "Traceback" in err or not error_lines:
        figures.problems.append(f"statement timeout: exit {code}, {len(error_lines)} error lines")
    _compare("statement timeout", clean, db, figures)


def _compare(fault: str, clean: dict, db: Database, figures: DbFaultFigures) -> None:
    found = differences(clean, state(db))
    if "running" in statuses(db):
        found.append("a run left running")
    if found:
        figures.problems.append(f"{fault}: {', '.join(found)}")


def _count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
