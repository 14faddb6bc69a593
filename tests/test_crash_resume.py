"""Exactly-once per batch: a load killed with SIGKILL mid-run, then re-run, equals one clean run."""

import signal
from pathlib import Path
from uuid import UUID

from prefect import get_client
from sqlalchemy import Engine, text

from tests.cli_process import cli_env, run_cli, start_cli, wait_while_running
from tests.conftest import wipe_database
from tests.csv_files import SAMPLE, SAMPLE_ROWS
from tests.db_snapshot import rows_inserted, snapshot

CHUNK_ROWS = 500


def test_sigkill_mid_load_then_rerun_equals_an_uninterrupted_run(
    database_url: str, prefect_api_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes(SAMPLE.read_bytes())
    slow = cli_env(database_url, prefect_api_url, csv_chunk_rows=str(CHUNK_ROWS), pause_between_batches_s="0.4")
    process = start_cli(slow, "ingest", "--file", str(path))
    try:
        wait_while_running(process, lambda: rows_inserted(engine) >= 2 * CHUNK_ROWS)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    committed = rows_inserted(engine)
    assert 2 * CHUNK_ROWS <= committed < SAMPLE_ROWS, "killed in the middle"

    fast = cli_env(database_url, prefect_api_url, csv_chunk_rows=str(CHUNK_ROWS))
    resumed = run_cli(fast, "ingest", "--file", str(path), "--json")
    assert resumed.returncode == 0, resumed.stderr
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, inserted, error FROM etl_runs ORDER BY id")).all()
    # the killed run is closed by the next run: crashed, with why (its Prefect flow run was left RUNNING)
    assert runs[0].status == "crashed" and "process ended before the run finished" in runs[0].error
    assert runs[1].status == "succeeded" and runs[0].inserted + runs[1].inserted == SAMPLE_ROWS
    with engine.connect() as conn:
        killed_flow_run = conn.execute(text("SELECT flow_run_id FROM etl_runs ORDER BY id")).scalars().first()
    with get_client(sync_client=True) as client:  # Prefect now agrees: the killed flow run crashed
        state = client.read_flow_run(UUID(killed_flow_run)).state
    assert state is not None and state.is_crashed()
    after_crash = snapshot(engine)

    wipe_database(database_url)
    clean = run_cli(fast, "ingest", "--file", str(path))
    assert clean.returncode == 0, clean.stderr
    assert snapshot(engine) == after_crash
    assert len(after_crash["prices"]) == SAMPLE_ROWS
