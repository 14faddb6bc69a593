"""`coinflow ingest --source all --offline`: every source loads with no network, then nothing is new."""

import json

from sqlalchemy import Engine

from tests.cli_process import cli_env, run_cli
from tests.sources.conftest import count


def test_offline_run_loads_every_source_then_writes_nothing(
    database_url: str, prefect_api_url: str, engine: Engine
) -> None:
    env = cli_env(database_url, prefect_api_url)
    first = run_cli(env, "ingest", "--source", "all", "--offline", "--json")
    assert first.returncode == 0, first.stderr
    runs = {run["source"]: run for run in json.loads(first.stdout)["runs"]}
    assert {name: run["status"] for name, run in runs.items()} == dict.fromkeys(
        ("csv", "coingecko", "coinpaprika"), "succeeded"
    )
    assert runs["csv"]["inserted"] == 6619
    assert runs["coingecko"]["inserted"] > 0 and runs["coinpaprika"]["inserted"] > 0
    prices = count(engine, "SELECT count(*) FROM prices")
    assert prices == sum(run["inserted"] for run in runs.values())
    # the bundled sample's bitcoin and both APIs' bitcoin are one coin
    assert count(engine, "SELECT count(DISTINCT source) FROM coin_sources cs JOIN coins c ON c.id = cs.coin_id "
                         "WHERE c.canonical_id = 'bitcoin'") == 3  # fmt: skip

    second = run_cli(env, "ingest", "--source", "all", "--offline", "--json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)["runs"]
    assert [(run["inserted"], run["updated"], run["landed"]) for run in again] == [(0, 0, 0)] * 3
    assert count(engine, "SELECT count(*) FROM prices") == prices
