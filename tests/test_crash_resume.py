"""Exactly-once per batch: a load killed with SIGKILL mid-run, then re-run, equals one clean run."""

import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import Engine, text

from tests.cli_process import REPO, cli_command, cli_env, run_cli
from tests.conftest import wipe_database
from tests.csv_files import SAMPLE, SAMPLE_ROWS
from tests.db_snapshot import snapshot

CHUNK_ROWS = 500


def _rows_committed(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(sum(inserted), 0) FROM etl_runs")).scalar_one())


def test_sigkill_mid_load_then_rerun_equals_an_uninterrupted_run(
    database_url: str, prefect_api_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes(SAMPLE.read_bytes())
    slow = cli_env(database_url, prefect_api_url, csv_chunk_rows=str(CHUNK_ROWS), pause_between_batches_s="0.4")
    process = subprocess.Popen(cli_command("ingest", "--file", str(path)), env=slow, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _rows_committed(engine) < 2 * CHUNK_ROWS:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no batch committed in time"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    committed = _rows_committed(engine)
    assert 2 * CHUNK_ROWS <= committed < SAMPLE_ROWS, "killed in the middle"

    fast = cli_env(database_url, prefect_api_url, csv_chunk_rows=str(CHUNK_ROWS))
    resumed = run_cli(fast, "ingest", "--file", str(path), "--json")
    assert resumed.returncode == 0, resumed.stderr
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, inserted, error FROM etl_runs ORDER BY id")).all()
    assert runs[0].status == "failed" and "interrupted" in runs[0].error
    assert runs[1].status == "succeeded" and runs[0].inserted + runs[1].inserted == SAMPLE_ROWS
    after_crash = snapshot(engine)

    wipe_database(database_url)
    clean = run_cli(fast, "ingest", "--file", str(path))
    assert clean.returncode == 0, clean.stderr
    assert snapshot(engine) == after_crash
    assert len(after_crash["prices"]) == SAMPLE_ROWS
