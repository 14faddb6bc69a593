"""``coinflow ingest`` as a user runs it: exit codes, stdout, one-line errors, what gets written."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.run_lease import acquire_lease, release_lease
from tests.cli_process import REPO, cli_command, cli_env, run_cli
from tests.csv_files import SAMPLE_ROWS, sample_rows, write_csv
from tests.db_snapshot import count

# These tests check what the command prints and its exit code, not what is stored: one backend is enough
# (each run is a subprocess with a flow run, 15-30 s; the storage tests of this file run on both).
OUTPUT_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def env(database_url: str, prefect_api_url: str) -> dict[str, str]:
    return cli_env(database_url, prefect_api_url)


def test_json_output_is_one_object_on_stdout(env: dict[str, str], engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", sample_rows(0, 40))
    done = run_cli(env, "ingest", "--source", "csv", "--file", str(path), "--json")
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)["runs"]
    assert len(runs) == 1
    run = runs[0]
    assert {k: run[k] for k in ("source", "status", "read", "landed", "valid", "rejected", "inserted")} == {
        "source": "csv", "status": "succeeded", "read": 40, "landed": 40, "valid": 40, "rejected": 0, "inserted": 40,
    }  # fmt: skip
    assert (run["updated"], run["unchanged"]) == (0, 0)
    assert isinstance(run["run_id"], int) and run["flow_run_id"]
    assert count(engine, "prices") == 40


@OUTPUT_ONLY
def test_the_table_summary_names_the_counts(env: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", sample_rows(0, 5))
    done = run_cli(env, "ingest", "--file", str(path))
    assert done.returncode == 0, done.stderr
    assert "inserted" in done.stdout and "succeeded" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file (binary content)"),
        (b"hello world\nthis is prose\n", "not a CSV file"),
        (b"date,open\n2024-01-01,5\n", "unknown CSV layout: found columns date, open"),
    ],
    ids=["missing", "binary", "prose", "other-columns"],
)
def test_bad_files_give_a_one_line_error_exit_2_and_only_a_failed_run_row(
    env: dict[str, str], engine: Engine, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    done = run_cli(env, "ingest", "--source", "csv", "--file", str(path), "--json")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["runs"][0]["status"] == "failed"
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, error FROM etl_runs")).all()
    assert len(runs) == 1 and runs[0].status == "failed" and message in runs[0].error
    for table in ("raw_records", "prices", "coins", "checkpoints", "rejected_records"):
        assert count(engine, table) == 0, table


def test_db_upgrade_is_idempotent(env: dict[str, str]) -> None:
    for _ in range(2):
        done = run_cli(env, "db", "upgrade")
        assert done.returncode == 0, done.stderr


def test_help_lists_the_commands() -> None:
    from typer.testing import CliRunner

    from deployments.cli import app

    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "ingest" in result.output and "db" in result.output
    assert SAMPLE_ROWS > 0


def _no_traceback(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The ``error:`` lines of a run that must not have printed a traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


@OUTPUT_ONLY
def test_bad_settings_name_each_variable_on_one_line_exit_2(env: dict[str, str]) -> None:
    bad = {**env, "COINFLOW_DATABASE_URL": "nonsense", "COINFLOW_HTTP_RETRIES": "abc"}
    done = run_cli(bad, "ingest")
    assert done.returncode == 2
    errors = _no_traceback(done)
    assert len(errors) == 2 and len(done.stderr.splitlines()) == 2
    assert any(line.startswith("error: COINFLOW_DATABASE_URL: ") and "sqlite:///" in line for line in errors)
    assert any(line.startswith("error: COINFLOW_HTTP_RETRIES: ") and "integer" in line for line in errors)


@OUTPUT_ONLY
def test_an_unreachable_database_is_one_line_naming_the_variable_exit_2(env: dict[str, str]) -> None:
    down = {**env, "COINFLOW_DATABASE_URL": "postgresql+psycopg2://coinflow:s3cret-pw@127.0.0.1:1/coinflow"}
    done = run_cli(down, "ingest")
    assert done.returncode == 2
    errors = _no_traceback(done)
    assert len(errors) == 1 and "COINFLOW_DATABASE_URL" in errors[0] and "127.0.0.1" in errors[0]
    assert "s3cret-pw" not in done.stderr


def test_a_missing_file_is_refused_before_any_flow_runs(env: dict[str, str], engine: Engine, tmp_path: Path) -> None:
    done = run_cli(env, "ingest", "--file", str(tmp_path / "absent.csv"))
    assert done.returncode == 2
    assert _no_traceback(done) == [f"error: file not found: {tmp_path / 'absent.csv'}"]
    assert "flow run" not in done.stderr
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT status, flow_run_id FROM etl_runs")).all()
    assert [(run.status, run.flow_run_id) for run in runs] == [("failed", None)]  # recorded, no flow started


@OUTPUT_ONLY
def test_unknown_format_and_missing_mapping_are_refused_up_front(env: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", sample_rows(0, 3))
    bad_format = run_cli(env, "ingest", "--file", str(path), "--format", "excel")
    assert bad_format.returncode == 2
    assert "unknown --format 'excel'" in _no_traceback(bad_format)[0]
    no_mapping = run_cli(env, "ingest", "--file", str(path), "--mapping", str(tmp_path / "map.toml"))
    assert no_mapping.returncode == 2
    assert "mapping file not found" in _no_traceback(no_mapping)[0]


@OUTPUT_ONLY
def test_prefect_that_cannot_start_is_one_line_with_the_way_out(
    database_url: str, prefect_api_url: str, tmp_path: Path
) -> None:
    env = cli_env(database_url, prefect_api_url, prefect_startup_timeout_s="1")
    env.pop("PREFECT_API_URL")
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # a fresh home: the server cannot be up in 1 s
    done = run_cli(env, "ingest", "--file", str(write_csv(tmp_path / "p.csv", sample_rows(0, 3))))
    assert done.returncode == 1
    errors = _no_traceback(done)
    assert len(errors) == 1 and "did not start within 1 s" in errors[0] and "PREFECT_API_URL" in errors[0]


@OUTPUT_ONLY
def test_an_unreachable_api_names_the_host_and_suggests_offline(env: dict[str, str]) -> None:
    closed = {**env, "COINFLOW_COINGECKO_BASE_URL": "http://127.0.0.1:9/api/v3", "COINFLOW_HTTP_RETRIES": "0"}
    done = run_cli(closed, "ingest", "--source", "coingecko")
    assert done.returncode == 1
    errors = _no_traceback(done)
    assert len(errors) == 1 and "cannot reach 127.0.0.1" in errors[0] and "--offline" in errors[0]


@OUTPUT_ONLY
def test_normal_output_is_quiet_and_shows_progress(env: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", sample_rows(0, 30))
    done = run_cli({**env, "COINFLOW_CSV_CHUNK_ROWS": "10"}, "ingest", "--file", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert not [line for line in lines if "| ERROR" in line or "Traceback" in line], done.stderr
    assert not [line for line in lines if "Task run" in line and "Finished in state" in line]
    assert sum("Task run 'load csv rows" in line for line in lines) == 3  # one progress line per chunk


@OUTPUT_ONLY
def test_a_piped_table_is_not_cut_to_80_columns(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for n in range(6):
        write_csv(folder / f"part{n}.csv", sample_rows(n * 2, n * 2 + 2))
    done = run_cli(env, "ingest", "--file", str(folder))
    assert done.returncode == 0, done.stderr
    assert len(set(re.findall(r"csv \(run \d+\)", done.stdout))) == 6, done.stdout  # one column per run, whole
    assert max(len(line) for line in done.stdout.splitlines()) > 80


def test_a_run_that_fails_before_its_row_exists_fails_the_command(
    env: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    # This test process holds the lease the first run will get, as a live run of another process would.
    acquire_lease(engine, 1)
    try:
        path = write_csv(tmp_path / "prices.csv", sample_rows(0, 5))
        done = run_cli(env, "ingest", "--file", str(path), "--json")
    finally:
        release_lease(engine, 1)
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: csv prices.csv: the lease of run 1 is held by another process"], done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout) == {"runs": [], "errors": [errors[0].removeprefix("error: ")]}
    for table in ("etl_runs", "raw_records", "prices", "checkpoints"):
        assert count(engine, table) == 0, table


def test_help_and_version_render_plainly() -> None:
    done = subprocess.run(cli_command("ingest", "--help"), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0
    assert "[columns]" in done.stdout and "[values]" in done.stdout
    assert "<bool>" not in done.stdout and "--offline" in done.stdout
    version = subprocess.run(cli_command("--version"), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert version.returncode == 0 and version.stdout.strip() == "coinflow 0.1.0"
