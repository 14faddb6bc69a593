"""Stale ``running`` rows: closed with what Prefect says of their flow run when their process is
gone, left alone while a live process (another run) still holds them."""

import signal
from pathlib import Path
from uuid import uuid4

from prefect import flow, get_client
from prefect.states import Crashed
from sqlalchemy import Engine, text

from flows.stale_runs import PROCESS_ENDED, reconcile_stale_runs
from models.run_lease import release_lease
from models.run_log import start_run
from tests.cli_process import cli_env, start_cli, wait_while_running
from tests.csv_files import SAMPLE
from tests.db_snapshot import rows_inserted

CHUNK_ROWS = 500


@flow(name="stale-run-probe")
def _probe() -> None:
    """Only its name is used: a flow to create flow runs of."""


def _row(engine: Engine, run_id: int) -> tuple[str, str | None, object]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, error, checkpoint_after FROM etl_runs WHERE id = :id"), {"id": run_id}
        ).one()
    return row.status, row.error, row.checkpoint_after


def _dead_run(engine: Engine, flow_run_id: str | None) -> int:
    """A running row whose process is gone: opened, then its lease given back without closing it."""
    run_id = start_run(engine, "csv", f"/data/{uuid4().hex}.csv", flow_run_id, {"offset": 42})
    release_lease(engine, run_id)
    return run_id


def test_a_dead_run_takes_the_state_prefect_gives_its_flow_run(engine: Engine, prefect_api_url: str) -> None:
    with get_client(sync_client=True) as client:
        crashed = client.create_flow_run(_probe, state=Crashed(message="worker node lost"))
    by_prefect = _dead_run(engine, str(crashed.id))
    unknown = _dead_run(engine, str(uuid4()))
    closed = {run_id: status for run_id, status, _ in reconcile_stale_runs(engine)}
    assert closed == {by_prefect: "crashed", unknown: "crashed"}
    status, error, checkpoint = _row(engine, by_prefect)
    assert (status, error) == ("crashed", f"flow run {crashed.id} is CRASHED: worker node lost")
    assert _row(engine, unknown)[:2] == ("crashed", PROCESS_ENDED)
    assert checkpoint in ({"offset": 42}, '{"offset": 42}')  # untouched


def test_a_run_of_a_live_process_is_left_running(
    database_url: str, prefect_api_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes(SAMPLE.read_bytes())
    slow = cli_env(database_url, prefect_api_url, csv_chunk_rows=str(CHUNK_ROWS), pause_between_batches_s="0.5")
    process = start_cli(slow, "ingest", "--file", str(path))
    try:
        wait_while_running(process, lambda: rows_inserted(engine) > 0)
        assert reconcile_stale_runs(engine) == []  # a concurrent run's row is not touched
        assert process.wait(timeout=300) == 0
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM etl_runs")).scalars().all() == ["succeeded"]
