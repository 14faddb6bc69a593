"""Runs an operator reads in Prefect: one named, tagged flow run per source, its counts and issues
as artifacts (matching ``etl_runs``), and a failing source failing only its own run."""

import json
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import Artifact, FlowRun
from sqlalchemy import Engine, text

from flows.ingest import ingest, run_summaries
from models.settings import Settings, get_settings
from tests.csv_files import sample_rows, write_csv
from tests.sources.conftest import SourceServer

MARKETS = "/api/v3/coins/markets"
TIME = r"\d{4}-\d\d-\d\d \d\d:\d\dZ"
BAD_ROW = "BTC,Bitcoin,2013-05-30T00:00:00Z,not-a-price,1,2"


@pytest.fixture
def small_sample(source_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 20-row CSV with one unreadable price as the bundled sample, so ``all`` stays quick."""
    path = write_csv(tmp_path / "small_prices.csv", [*sample_rows(0, 20), BAD_ROW])
    monkeypatch.setenv("COINFLOW_SAMPLE_CSV", str(path))
    get_settings.cache_clear()
    return path


def _etl_runs(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM etl_runs ORDER BY id")).mappings().all()
    return {row["source"]: row for row in rows}


def _flow_run(flow_run_id: str) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(flow_run_id))


def _artifacts(flow_run_id: str) -> dict[str, Any]:
    """The flow run's artifacts by type. Sent as raw JSON: the 3.8 client sends null for unused filters,
    which the server refuses (422), and an empty task-run filter would drop flow-level artifacts."""
    body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 50, "offset": 0, "sort": "CREATED_DESC"}
    with get_client(sync_client=True) as client:
        found = Artifact.model_validate_list(client.request("POST", "/artifacts/filter", json=body).json())
    return {str(artifact.type): artifact for artifact in found}


def _log_text(flow_run_id: str) -> str:
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(flow_run_id)])), limit=200, offset=0
        )
    return "\n".join(log.message for log in logs)


def test_all_runs_each_source_as_its_own_named_tagged_flow_run_with_artifacts(
    small_sample: Path, engine: Engine, prefect_api_url: str
) -> None:
    state = ingest(source="all", return_state=True)
    assert state.is_completed(), state.message
    runs = _etl_runs(engine)
    assert set(runs) == {"csv", "coingecko", "coinpaprika"}
    parent = state.state_details.flow_run_id
    names = {
        "csv": rf"csv · small_prices\.csv · {TIME}",
        "coingecko": rf"coingecko · coins_list, markets, market_chart · {TIME}",
        "coinpaprika": rf"coinpaprika · coins, tickers, tickers_historical · {TIME}",
    }
    for source, row in runs.items():
        flow_run = _flow_run(row["flow_run_id"])
        assert re.fullmatch(names[source], flow_run.name), flow_run.name
        assert {"coinflow", f"source:{source}"} <= set(flow_run.tags)
        assert flow_run.state is not None and flow_run.state.is_completed()
        assert flow_run.parent_task_run_id is not None and flow_run.id != parent
        artifacts = _artifacts(row["flow_run_id"])
        table = artifacts["table"].data
        counts = {item["count"]: item["value"] for item in (json.loads(table) if isinstance(table, str) else table)}
        assert counts == {name: row[name] for name in counts}
        assert set(counts) == {"read", "landed", "valid", "rejected", "inserted", "updated", "unchanged"}
    assert runs["csv"]["read"] == 21 and runs["csv"]["rejected"] == 1 and runs["csv"]["inserted"] == 20
    issues = _artifacts(runs["csv"]["flow_run_id"])["markdown"].data
    assert "Rejected rows: 1" in issues and "price_usd" in issues and "not-a-price" in issues
    assert "Schema drift: none" in issues


def test_a_failing_source_fails_only_its_own_run_without_spurious_errors(
    small_sample: Path, engine: Engine, source_server: SourceServer, prefect_api_url: str
) -> None:
    source_server.fault(MARKETS, "503", times=-1)
    state = ingest(source="all", return_state=True)
    assert state.is_failed()
    assert "1 of 3 source runs failed: coingecko run" in (state.message or "")
    summaries = {s.source: s.status for s in run_summaries(state)}
    assert summaries == {"csv": "succeeded", "coingecko": "failed", "coinpaprika": "succeeded"}
    runs = _etl_runs(engine)
    states = {source: _flow_run(row["flow_run_id"]).state for source, row in runs.items()}
    assert {source: s.type.value for source, s in states.items() if s} == {
        "csv": "COMPLETED",
        "coingecko": "FAILED",
        "coinpaprika": "COMPLETED",
    }
    assert "HTTP 503" in (states["coingecko"].message or "")  # type: ignore[union-attr]
    gecko = _artifacts(runs["coingecko"]["flow_run_id"])
    assert "HTTP 503" in gecko["markdown"].data
    parent = str(state.state_details.flow_run_id)
    for flow_run_id in (parent, runs["coingecko"]["flow_run_id"]):
        assert "Unexpected result for failed state" not in _log_text(flow_run_id)
