"""Alerting out of the box: the ETL metrics of /metrics, the Prometheus rules and the Grafana dashboard.

The rules are checked and unit-tested by ``promtool`` (Debian/Ubuntu: ``apt-get install
prometheus``); without it the promtool tests skip locally and fail in CI (``CI`` set). Every
metric a rule or a panel reads must be one the real app exports once runs exist.
"""

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, update

from graphql_api.app import create_app
from models.run_log import finish_run, start_run
from models.runs import EtlRun
from models.settings import Settings
from tests.api.conftest import ApiClient
from tests.cli_process import REPO

PROMETHEUS_DIR = REPO / "deployments" / "prometheus"
DASHBOARD = REPO / "deployments" / "grafana" / "dashboards" / "coinflow-etl.json"
# Names a rule may read that the API does not export: Prometheus's own scrape health.
PROMETHEUS_OWN = {"up"}
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        message = "promtool not installed (apt-get install prometheus)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return subprocess.run(["promtool", *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120)


def test_promtool_accepts_the_config_and_the_rules() -> None:
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


def test_alert_rules_fire_on_stale_failing_and_rejecting_sources_only() -> None:
    result = _promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def _run(engine: Engine, source: str, status: str, started: datetime, seconds: float, read: int, rejected: int) -> None:
    run_id = start_run(engine, source, f"{source}-stream", None, None)
    finish_run(
        engine,
        run_id,
        status,
        error=None if status == "succeeded" else "boom",
        counts={"read": read, "rejected": rejected},
    )
    with engine.begin() as conn:  # fixed times, so the durations and timestamps can be asserted
        conn.execute(
            update(EtlRun)
            .where(EtlRun.id == run_id)  # type: ignore[arg-type]
            .values(started_at=started, finished_at=started + timedelta(seconds=seconds))
        )


@pytest.fixture
def scraped(engine: Engine, database_url: str) -> Iterator[dict[str, float]]:
    """/metrics of the real app after a history of runs: {sample name{labels}: value}."""
    _run(engine, "csv", "succeeded", T0, 12.5, read=200, rejected=20)
    _run(engine, "csv", "failed", T0 + timedelta(hours=1), 3.0, read=50, rejected=0)
    _run(engine, "csv", "failed", T0 + timedelta(hours=2), 4.0, read=40, rejected=1)
    _run(engine, "coingecko", "failed", T0, 1.0, read=10, rejected=0)
    _run(engine, "coingecko", "succeeded", T0 + timedelta(minutes=5), 42.0, read=1000, rejected=100)
    start_run(engine, "coinpaprika", "tickers", None, None)  # running: no finished run yet
    app = create_app(Settings(database_url=database_url, api_metrics_cache_s=0))
    try:
        client = ApiClient(app)
        assert client.get("/health").status_code == 200  # one request, so the HTTP series exist
        response = client.get("/metrics")
        assert response.status_code == 200
        samples = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                labels = ",".join(f"{key}={value}" for key, value in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}"] = sample.value
        yield samples
    finally:
        app.state.engine.dispose()


def test_metrics_report_each_sources_run_outcomes(scraped: dict[str, float]) -> None:
    assert scraped["coinflow_etl_runs_total{source=csv,status=succeeded}"] == 1
    assert scraped["coinflow_etl_runs_total{source=csv,status=failed}"] == 2
    assert scraped["coinflow_etl_runs_total{source=coinpaprika,status=running}"] == 1
    assert scraped["coinflow_etl_consecutive_failures{source=csv}"] == 2
    assert scraped["coinflow_etl_consecutive_failures{source=coingecko}"] == 0
    assert scraped["coinflow_etl_consecutive_failures{source=coinpaprika}"] == 0
    # The last finished run: csv's second failure, coingecko's success; coinpaprika has none yet.
    assert scraped["coinflow_etl_last_run_success{source=csv}"] == 0
    assert scraped["coinflow_etl_last_run_success{source=coingecko}"] == 1
    assert scraped["coinflow_etl_last_run_duration_seconds{source=csv}"] == 4.0
    assert scraped["coinflow_etl_last_run_duration_seconds{source=coingecko}"] == 42.0
    assert scraped["coinflow_etl_last_run_read_records{source=coingecko}"] == 1000
    assert scraped["coinflow_etl_last_run_rejected_records{source=coingecko}"] == 100
    assert scraped["coinflow_etl_last_run_rejected_records{source=csv}"] == 1
    finished = (T0 + timedelta(hours=2, seconds=4)).timestamp()
    assert scraped["coinflow_etl_last_run_finished_timestamp_seconds{source=csv}"] == finished
    assert (
        scraped["coinflow_etl_last_success_timestamp_seconds{source=csv}"] == (T0 + timedelta(seconds=12.5)).timestamp()
    )
    assert not any(key.startswith("coinflow_etl_last_run_success{source=coinpaprika") for key in scraped)


_METRIC_NAME = re.compile(r"\b(coinflow_[a-z0-9_]+|up)\b")


def _names_in(expr: str) -> set[str]:
    return set(_METRIC_NAME.findall(expr))


def _rule_exprs() -> list[str]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


@pytest.mark.parametrize("where", ["alerts.yml", "coinflow-etl.json"])
def test_every_metric_a_rule_or_panel_reads_is_exported(scraped: dict[str, float], where: str) -> None:
    exprs = _rule_exprs() if where == "alerts.yml" else _dashboard_exprs()
    exported = {key.split("{")[0] for key in scraped}
    read = set().union(*(_names_in(expr) for expr in exprs))
    assert read, f"{where} reads no metric"
    assert sorted(read - exported - PROMETHEUS_OWN) == []


def test_every_source_has_a_stale_limit_and_every_alert_says_what_to_do() -> None:
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    limits = {rule["labels"]["source"] for rule in rules if rule.get("record") == "coinflow:etl_stale_after_seconds"}
    assert limits == {"csv", "coingecko", "coinpaprika"}
    alerts = [rule for rule in rules if "alert" in rule]
    assert {rule["alert"] for rule in alerts} >= {
        "CoinflowSourceStale",
        "CoinflowRepeatedFailures",
        "CoinflowRejectsAboveThreshold",
    }
    for rule in alerts:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_grafana_dashboard_reads_the_provisioned_prometheus() -> None:
    datasources = yaml.safe_load((REPO / "deployments/grafana/provisioning/datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    uids = {source["uid"] for source in datasources}
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in uids, panel["title"]
