"""One run per stream: a second run of a stream that is running is recorded as skipped, and the
first run's row, checkpoint and data are untouched (two real CLI processes, both databases)."""

import json
import os
import re
import socket
import subprocess
import threading
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from sqlalchemy import Engine, text

from models.stream_lock import StreamBusyError, acquire_streams
from tests.cli_process import REPO, cli_command, cli_env
from tests.csv_files import sample_rows, write_csv

ROWS = 2_000
CHUNK_ROWS = 250  # 8 chunks, 2 s apart: the first run to claim the file holds it ~16 s


def _start(env: dict[str, str], path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command("ingest", "--file", str(path), "--json"),
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_runs_of_one_file_at_once_one_loads_the_other_is_skipped(
    database_url: str, prefect_api_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "prices.csv"
    write_csv(path, sample_rows(0, ROWS))
    slow = cli_env(database_url, prefect_api_url, csv_chunk_rows=str(CHUNK_ROWS), pause_between_batches_s="2")
    processes = [_start(slow, path), _start(slow, path)]
    try:
        outputs = [process.communicate(timeout=300) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    codes = sorted(process.returncode for process in processes)
    assert codes == [0, 75], outputs
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT id, status, inserted, error, flow_run_id FROM etl_runs ORDER BY id")).all()
    by_status = {run.status: run for run in runs}
    assert sorted(by_status) == ["skipped", "succeeded"] and len(runs) == 2
    holder, skipped = by_status["succeeded"], by_status["skipped"]
    host = re.escape(socket.gethostname())
    expected = rf"csv prices\.csv: another run \(run {holder.id}, pid \d+@{host}\) holds the stream"
    assert re.fullmatch(expected, skipped.error), skipped.error
    stdout, stderr = outputs[[p.returncode for p in processes].index(75)]
    assert f"skipped: run {skipped.id}: csv prices.csv: another run (run {holder.id}" in stderr
    reported = json.loads(stdout)["runs"]
    assert [(r["status"], r["read"], r["inserted"]) for r in reported] == [("skipped", 0, 0)]
    assert (holder.inserted, holder.error) == (ROWS, None)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM prices")).scalar_one() == ROWS
        landed = conn.execute(text("SELECT natural_key, run_id FROM raw_records ORDER BY id")).all()
        btc = conn.execute(
            text(
                "SELECT p.price_usd FROM prices p JOIN coins c ON c.id = p.coin_id "
                "WHERE c.symbol = 'BTC' AND p.source = 'csv' ORDER BY p.observed_at LIMIT 1"
            )
        ).scalar_one()
        state = conn.execute(text("SELECT state FROM checkpoints")).scalar_one()
    # Each chunk landed once, by the run that loaded it: rows 1-250, 251-500, ... 1751-2000.
    assert [key.split(":")[-1] for key, _ in landed] == [
        f"{start}-{start + CHUNK_ROWS - 1}" for start in range(1, ROWS, CHUNK_ROWS)
    ]
    assert {run_id for _, run_id in landed} == {holder.id}
    assert float(btc) == 135.3  # the sample's first row, 2013-04-28
    assert (json.loads(state) if isinstance(state, str) else state)["rows"] == ROWS
    with get_client(sync_client=True) as client:  # Prefect says skipped, not failed
        flow_state = client.read_flow_run(UUID(skipped.flow_run_id)).state
    assert flow_state is not None and flow_state.is_completed() and flow_state.name == "Skipped"


def test_a_held_stream_names_its_run_and_is_free_once_released(engine: Engine) -> None:
    held = acquire_streams(engine, "coingecko", ["markets", "coins_list"], wait_s=0)
    held.name_run(12)
    try:
        with pytest.raises(StreamBusyError) as busy:
            acquire_streams(engine, "coingecko", ["market_chart", "markets"], wait_s=0)
        assert (
            str(busy.value)
            == f"coingecko markets: another run (run 12, pid {os.getpid()}@{socket.gethostname()}) holds the stream"
        )
        other = acquire_streams(engine, "coingecko", ["market_chart"], wait_s=0)  # a different stream is free
        other.release()
        csv_other = acquire_streams(engine, "coinpaprika", ["markets"], wait_s=0)  # same name, other source
        csv_other.release()
    finally:
        held.release()
    again = acquire_streams(engine, "coingecko", ["markets"], wait_s=0)
    again.release()


def test_a_waiting_run_gets_the_stream_when_the_holder_finishes(engine: Engine) -> None:
    held = acquire_streams(engine, "csv", ["/data/a.csv"], wait_s=0)
    timer = threading.Timer(0.5, held.release)
    timer.start()
    try:
        waited = acquire_streams(engine, "csv", ["/data/a.csv"], wait_s=30)
    finally:
        timer.join()
    waited.release()
