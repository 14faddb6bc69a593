"""``coinflow ingest`` with the CSV options, as a user runs it: a folder, ``--coin``, ``--format``."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.cli_process import cli_env, run_cli
from tests.csv.loaded import FIXTURES, prices


@pytest.fixture
def env(database_url: str, prefect_api_url: str) -> dict[str, str]:
    return cli_env(database_url, prefect_api_url)


def test_a_folder_prints_one_json_object_with_a_run_per_file(
    env: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    for name in ("cmc_scrape.csv", "prices_export.csv", "weird_layout.csv"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    done = run_cli(env, "ingest", "--file", str(tmp_path), "--coin", "BTC:Bitcoin", "--format", "generic", "--json")
    assert done.returncode == 2, done.stderr  # one file is bad input, the others loaded
    runs = json.loads(done.stdout)["runs"]
    assert [(Path(r["stream"]).name, r["status"], r["inserted"]) for r in runs] == [
        ("cmc_scrape.csv", "succeeded", 3),
        ("prices_export.csv", "succeeded", 1),
        ("weird_layout.csv", "failed", 0),
    ]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--format generic needs columns like" in errors[0]
    assert "Traceback" not in done.stderr
    assert len(prices(engine)) == 4
    assert {row[:2] for row in prices(engine)} == {("bitcoin", "BTC")}


def test_a_file_whose_decimal_mark_is_ambiguous_exits_2_until_decimal_declares_it(
    env: dict[str, str], engine: Engine
) -> None:
    path = str(FIXTURES / "all_ambiguous.csv")
    refused = run_cli(env, "ingest", "--file", path, "--coin", "BTC:Bitcoin")
    assert refused.returncode == 2, refused.stderr
    [error] = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert "ambiguous decimal mark" in error and "--decimal" in error and "Traceback" not in refused.stderr
    assert prices(engine) == []
    declared = run_cli(env, "ingest", "--file", path, "--coin", "BTC:Bitcoin", "--decimal", ".")
    assert declared.returncode == 0, declared.stderr
    assert [row[3] for row in prices(engine)] == [1234.0, 1250.0, 1199.0]
