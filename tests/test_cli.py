"""``coinflow ingest`` as a user runs it: exit codes, stdout, one-line errors, what gets written."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.cli_process import cli_env, run_cli
from tests.csv_files import SAMPLE_ROWS, sample_rows, write_csv
from tests.db_snapshot import count


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
