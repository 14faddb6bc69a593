"""The deployments: declared once, rendered into prefect.yaml, deployable with `prefect deploy --all`, run by a
worker from this checkout."""

import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml
from prefect.client.orchestration import SyncPrefectClient

from deployments.checkout import enter_home
from deployments.definitions import stream_deployments
from deployments.prefect_yaml import render
from deployments.serve import runner_deployments
from models.settings import Settings
from tests.cli_process import REPO, cli_env

PREFECT_YAML = REPO / "prefect.yaml"
EXPECTED_INTERVALS = {  # the schedules issue 11 asks for, in seconds
    "coingecko-markets": 300,
    "coinpaprika-tickers": 600,
    "coingecko-market-chart": 3_600,
    "coinpaprika-tickers-historical": 3_600,
    "coingecko-coins-list": 21_600,
    "coinpaprika-coins": 21_600,
    "csv-inbox": 900,
}


def _prefect(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "prefect", *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_prefect_yaml_is_rendered_from_the_definitions() -> None:
    assert PREFECT_YAML.read_text() == render(Settings(_env_file=None)), "run `coinflow deployments yaml`"


def test_every_stream_has_a_deployment_on_its_schedule_with_one_run_at_a_time() -> None:
    document = yaml.safe_load(PREFECT_YAML.read_text())
    declared = {d["name"]: d for d in document["deployments"]}
    assert {name: d["schedules"][0]["interval"] for name, d in declared.items()} == EXPECTED_INTERVALS
    for d in declared.values():
        assert d["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
        assert d["work_pool"] == {"name": "coinflow"}
    assert declared["coingecko-markets"]["parameters"] == {"source": "coingecko", "streams": ["markets"]}
    assert declared["coingecko-markets"]["tags"] == ["coinflow", "coingecko", "stream:markets"]
    assert document["pull"] == [{"deployments.checkout.enter_home": {}}]


def test_served_deployments_match_prefect_yaml_field_by_field() -> None:
    declared = {d["name"]: d for d in yaml.safe_load(PREFECT_YAML.read_text())["deployments"]}
    served = runner_deployments(Settings(_env_file=None))
    assert sorted(d.name for d in served) == sorted(declared)
    for deployment in served:
        yaml_entry = declared[deployment.name]
        assert deployment.entrypoint == yaml_entry["entrypoint"]
        assert deployment.parameters == yaml_entry["parameters"]
        assert deployment.tags == yaml_entry["tags"]
        assert deployment.description == yaml_entry["description"]
        [schedule] = deployment.schedules or []
        assert schedule.schedule.interval.total_seconds() == yaml_entry["schedules"][0]["interval"]  # type: ignore[union-attr]
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options is not None
        assert deployment.concurrency_options.collision_strategy.value == "CANCEL_NEW"


def test_schedules_follow_the_settings() -> None:
    settings = Settings(_env_file=None, schedule_coingecko_markets_s=120, coinpaprika_history_endpoint="ohlcv")
    by_name = {d.name: d for d in stream_deployments(settings)}
    assert by_name["coingecko-markets"].interval_s == 120
    assert by_name["coinpaprika-ohlcv-historical"].parameters == {
        "source": "coinpaprika",
        "streams": ["ohlcv_historical"],
    }


def test_the_pull_step_enters_the_checkout_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert enter_home() == {"directory": str(REPO)}
    assert (Path.cwd() / "flows" / "ingest.py").is_file()


@pytest.mark.timeout(1_800)  # ~6 min on 2 busy cores: deploy, then a worker and its flow-run process start
def test_prefect_deploy_all_exits_0_and_a_local_worker_runs_a_deployment_run(
    prefect_api_url: str, tmp_path: Path
) -> None:
    # an empty inbox: the run writes nothing, so one (SQLite) database is enough for Prefect's side
    env = cli_env(f"sqlite:///{tmp_path / 'coinflow.db'}", prefect_api_url, csv_inbox=str(tmp_path / "inbox"))
    pool = _prefect(env, "work-pool", "create", "coinflow", "--type", "process", "--overwrite")
    assert pool.returncode == 0, pool.stderr
    deployed = _prefect(env, "--no-prompt", "deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    with SyncPrefectClient(prefect_api_url) as client:
        found = {d.name: d for d in client.read_deployments() if d.work_pool_name == "coinflow"}
        assert sorted(found) == sorted(EXPECTED_INTERVALS)
        inbox = found["csv-inbox"]
        assert inbox.pull_steps == [{"deployments.checkout.enter_home": {}}]
        assert inbox.global_concurrency_limit is not None and inbox.global_concurrency_limit.limit == 1
        run = client.create_flow_run_from_deployment(inbox.id)
    worker_env = {**env, "PREFECT_WORKER_QUERY_SECONDS": "1"}
    worker = subprocess.run(
        [sys.executable, "-m", "prefect", "worker", "start", "--pool", "coinflow", "--run-once"],
        env=worker_env,
        cwd=tmp_path,  # not the checkout: the pull step must find it
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    with SyncPrefectClient(prefect_api_url) as client:
        state: Any = client.read_flow_run(UUID(str(run.id))).state
    assert state is not None and state.is_completed(), (state, worker.stdout[-2000:], worker.stderr[-2000:])
    assert (tmp_path / "inbox").is_dir()  # the flow ran (it creates a missing inbox) and found nothing to load
