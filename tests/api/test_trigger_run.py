"""On-demand runs: POST /runs and the triggerRun mutation create flow runs on a real Prefect server."""

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from prefect.client.orchestration import SyncPrefectClient
from prefect.settings import PREFECT_API_URL, temporary_settings
from pydantic import SecretStr

from deployments.serve import runner_deployments
from graphql_api.app import create_app
from models.settings import Settings
from tests.api.conftest import ApiClient

TOKEN = "s3cret-trigger-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
MUTATION = """mutation Trigger($source: Source!, $streams: [String!]) {
  triggerRun(source: $source, streams: $streams) { source flowRuns { flowRunId deployment stream } }
}"""


@pytest.fixture(scope="module")
def deployed(prefect_api_url: str) -> dict[str, UUID]:
    """Every deployment of definitions.py registered on the session's Prefect server, by name."""
    return {d.name: d.apply() for d in runner_deployments(Settings())}  # type: ignore[misc]


def _client(tmp_path: Path, sqlite_template: Path, token: str | None) -> Iterator[ApiClient]:
    path = tmp_path / "coinflow.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", api_trigger_token=SecretStr(token) if token else None)
    app: FastAPI = create_app(settings.model_copy(update={"prefect_request_timeout_s": 5.0}))
    yield ApiClient(app)
    app.state.engine.dispose()


@pytest.fixture
def client(tmp_path: Path, sqlite_template: Path, deployed: dict[str, UUID]) -> Iterator[ApiClient]:
    yield from _client(tmp_path, sqlite_template, TOKEN)


def flow_run(run_id: str) -> Any:
    with SyncPrefectClient(str(PREFECT_API_URL.value())) as prefect:
        return prefect.read_flow_run(UUID(run_id))


def test_post_runs_with_the_token_creates_a_run_of_the_streams_deployment(
    client: ApiClient, deployed: dict[str, UUID]
) -> None:
    response = client.post("/runs", json={"source": "coingecko", "streams": ["markets"]}, headers=BEARER)
    assert response.status_code == 202, response.text
    [created] = response.json()["flow_runs"]
    assert created["deployment"] == "coingecko-markets" and created["stream"] == "markets"
    run = flow_run(created["flow_run_id"])
    assert run.deployment_id == deployed["coingecko-markets"]
    assert run.parameters == {"source": "coingecko", "streams": ["markets"]}
    assert run.state.is_scheduled()


def test_post_runs_without_streams_creates_one_run_per_deployed_stream(client: ApiClient) -> None:
    response = client.post("/runs", json={"source": "coinpaprika"}, headers=BEARER)
    assert response.status_code == 202, response.text
    streams = sorted(r["stream"] for r in response.json()["flow_runs"])
    assert streams == ["coins", "tickers", "tickers_historical"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_post_runs_without_the_right_token_is_401_and_creates_nothing(
    client: ApiClient, headers: dict[str, str]
) -> None:
    before = _count_runs()
    response = client.post("/runs", json={"source": "coingecko"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "bearer token" in response.json()["detail"]
    assert _count_runs() == before


def test_post_runs_is_disabled_without_a_configured_token(
    tmp_path: Path, sqlite_template: Path, deployed: dict[str, UUID]
) -> None:
    for client in _client(tmp_path, sqlite_template, None):
        response = client.post("/runs", json={"source": "coingecko"}, headers=BEARER)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert (problem["status"], problem["instance"]) == (403, "/runs")
        assert problem["detail"] == (
            "on-demand runs are disabled: set COINFLOW_API_TRIGGER_TOKEN on the API to enable them"
        )


def test_an_unknown_source_or_stream_is_422_naming_the_valid_ones(client: ApiClient) -> None:
    response = client.post("/runs", json={"source": "binance"}, headers=BEARER)
    assert response.status_code == 422
    assert "expected one of csv, coingecko, coinpaprika" in response.json()["detail"]
    response = client.post("/runs", json={"source": "coingecko", "streams": ["tickers"]}, headers=BEARER)
    assert response.status_code == 422
    assert "expected some of coins_list, market_chart, markets" in response.json()["detail"]


def test_prefect_unreachable_is_503_with_a_message(client: ApiClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # bound, never listening: connections are refused
        with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{closed}/api"}):
            response = client.post("/runs", json={"source": "coingecko"}, headers=BEARER)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert f"the Prefect server at http://127.0.0.1:{closed}/api did not answer" in response.json()["detail"]
    assert "Traceback" not in response.text


def test_trigger_run_mutation_creates_a_run_each_time_it_is_asked(client: ApiClient) -> None:
    body = {"query": MUTATION, "variables": {"source": "CSV"}}
    ids = []
    for _ in range(2):  # the same document twice: two runs, never a cached answer
        response = client.post("/graphql", json=body, headers=BEARER)
        assert response.status_code == 202, response.text
        [created] = response.json()["data"]["triggerRun"]["flowRuns"]
        assert created["deployment"] == "csv-inbox"
        ids.append(created["flowRunId"])
    assert len(set(ids)) == 2
    assert all(flow_run(run_id).state.is_scheduled() for run_id in ids)


def test_trigger_run_mutation_without_the_token_is_401(client: ApiClient) -> None:
    response = client.post("/graphql", json={"query": MUTATION, "variables": {"source": "CSV"}})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.json()["data"] is None


def _count_runs() -> int:
    with SyncPrefectClient(str(PREFECT_API_URL.value())) as prefect:
        return prefect.count_flow_runs()
