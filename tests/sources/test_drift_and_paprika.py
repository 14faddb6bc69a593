"""Schema drift per policy, CoinPaprika end to end, keys, `--source all` isolation and failure injection."""

import json
import logging
from typing import Any

import pytest
from sqlalchemy import Engine

from flows.ingest import ingest, run_summaries
from flows.run_summary import RunSummary
from models.settings import Settings, get_settings
from tests.sources.conftest import SourceServer, count, rows

MARKETS = "/api/v3/coins/markets"
TICKERS = "/v1/tickers"
BTC_HISTORY = "/v1/tickers/btc-bitcoin/historical"


def run(source: str) -> list[RunSummary]:
    return run_summaries(ingest(source=source, return_state=True))


@pytest.fixture
def flow_env(engine: Engine, source_settings: Settings, prefect_api_url: str) -> Engine:
    return engine


def _set(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"COINFLOW_{name.upper()}", value)
    get_settings.cache_clear()


def test_drift_evolve_loads_what_validates_and_records_the_drift(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(MARKETS, "drift-renamed", times=1, query={"page": "1"}, field="current_price")
    source_server.fault(MARKETS, "drift-type", times=1, query={"page": "2"}, field="market_cap")
    [summary] = run("coingecko")
    assert summary.status == "succeeded", summary.error
    drift = rows(flow_env, "SELECT field, kind FROM schema_drift WHERE source = 'coingecko' ORDER BY field, kind")
    assert drift == [
        ("current_price", "missing"),
        ("current_price_v2", "added"),
        ("market_cap", "type_changed"),
    ]
    # Page 1 lost its price: all 50 rows quarantined with the reason; page 2's market caps failed coercion.
    reasons = rows(flow_env, "SELECT natural_key, reasons FROM rejected_records WHERE source = 'coingecko'")
    assert len(reasons) == 100
    assert all("current_price" in str(r) or "market_cap" in str(r) for _, r in reasons)
    # The renamed field is kept in raw: the whole drifted response landed.
    [(payload,)] = rows(
        flow_env, "SELECT payload FROM raw_records WHERE natural_key = 'coingecko markets page 1:response'"
    )
    payload = payload if isinstance(payload, list) else json.loads(payload)
    assert payload[0]["current_price_v2"] == 84085
    assert count(flow_env, "SELECT count(*) FROM prices WHERE source = 'coingecko' AND rank IS NOT NULL") == 20


def test_drift_freeze_rejects_the_batch_naming_the_fields(
    flow_env: Engine, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set(monkeypatch, coingecko_drift_policy="freeze")
    source_server.fault(MARKETS, "drift-missing", times=1, query={"page": "2"}, field="last_updated")
    [summary] = run("coingecko")
    assert summary.status == "failed"
    assert "freeze" in (summary.error or "") and "last_updated (missing)" in (summary.error or "")
    reasons = [str(r[0]) for r in rows(flow_env, "SELECT reasons FROM rejected_records")]
    assert len([r for r in reasons if "schema_drift(freeze)" in r and "last_updated" in r]) == 50
    state = rows(flow_env, "SELECT state FROM checkpoints WHERE source = 'coingecko' AND stream = 'markets'")[0][0]
    assert (state if isinstance(state, dict) else json.loads(state))["page"] == 1


def test_coinpaprika_tickers_and_paged_history_then_incremental(flow_env: Engine, source_server: SourceServer) -> None:
    [summary] = run("coinpaprika")
    assert summary.status == "succeeded", summary.error
    # 63 daily rows per coin, 30 per page: 30 + 30 + 3.
    starts = [r["query"]["start"] for r in source_server.requests(BTC_HISTORY)]
    assert starts == ["2025-01-01T00:00:00Z", "2025-01-30T00:00:01Z", "2025-03-01T00:00:01Z"]
    tickers = count(flow_env, "SELECT count(*) FROM prices WHERE source = 'coinpaprika' AND rank IS NOT NULL")
    assert tickers == 24  # 15 + 13 recorded tickers, 4 ids in both
    assert summary.inserted == 24 + 2 * 63
    source_server.reset()
    [again] = run("coinpaprika")
    assert (again.status, again.inserted, again.updated, again.landed) == ("succeeded", 0, 0, 0)
    assert [r["query"]["start"] for r in source_server.requests(BTC_HISTORY)] == ["2025-03-02T00:00:00Z"]
    assert source_server.requests("/v1/coins") == []


def test_coinpaprika_ohlcv_endpoint_by_settings(
    flow_env: Engine, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set(monkeypatch, coinpaprika_history_endpoint="ohlcv")
    [summary] = run("coinpaprika")
    assert summary.status == "succeeded", summary.error
    assert len(source_server.requests("/v1/coins/eth-ethereum/ohlcv/historical")) == 3
    assert summary.inserted == 24 + 2 * 63


def test_coinpaprika_429_without_retry_after_is_retried(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(TICKERS, "429", times=2)
    [summary] = run("coinpaprika")
    assert summary.status == "succeeded", summary.error
    assert [r["status"] for r in source_server.requests(TICKERS)] == [429, 429, 200]


def test_keys_go_in_headers_and_never_into_storage_or_logs(
    flow_env: Engine,
    source_server: SourceServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _set(monkeypatch, coingecko_api_key="cg-Zq8vK3xW", coingecko_key_plan="pro", coinpaprika_api_key="cp-Jm4tR7yP")
    caplog.set_level(logging.DEBUG)
    source_server.fault(MARKETS, "401", times=1)
    [cg, cp] = [run("coingecko")[0], run("coinpaprika")[0]]
    assert cg.status == "failed" and cp.status == "succeeded"
    [markets] = source_server.requests(MARKETS)
    assert markets["headers"]["x-cg-pro-api-key"] == "cg-Zq8vK3xW"
    assert source_server.requests(TICKERS)[0]["headers"]["authorization"] == "cp-Jm4tR7yP"
    for table in ("raw_records", "etl_runs", "rejected_records", "checkpoints"):
        dump = str(rows(flow_env, f"SELECT * FROM {table}"))
        assert "Zq8vK3xW" not in dump and "Jm4tR7yP" not in dump, table
    assert "Zq8vK3xW" not in caplog.text and "Jm4tR7yP" not in caplog.text
    assert "Zq8vK3xW" not in str(cg.error)


def test_all_sources_one_failing_does_not_stop_the_others(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(MARKETS, "503", times=-1)
    state = ingest(source="all", return_state=True)
    summaries = run_summaries(state)
    assert state.is_failed()
    assert "coingecko run" in (state.message or "") and "HTTP 503" in (state.message or "")
    assert {s.source: s.status for s in summaries} == {
        "csv": "succeeded",
        "coingecko": "failed",
        "coinpaprika": "succeeded",
    }
    assert count(flow_env, "SELECT count(*) FROM prices WHERE source = 'coinpaprika'") == 24 + 2 * 63
    assert count(flow_env, "SELECT count(*) FROM etl_runs WHERE source = 'coingecko' AND status = 'failed'") == 1


def _snapshot(engine: Engine) -> list[Any]:
    return rows(
        engine,
        "SELECT s.source_coin_id, p.source, p.observed_at, p.price_usd, p.market_cap_usd, p.volume_24h_usd, p.rank "
        "FROM prices p JOIN coin_sources s ON s.coin_id = p.coin_id AND s.source = p.source "
        "ORDER BY 1, 2, 3",
    )


def test_failure_injection_then_resume_equals_an_uninterrupted_run(
    flow_env: Engine, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set(monkeypatch, fail_after_n_records="17950")  # after the coin list (17,892) and page 2 of markets
    [failed] = run("coingecko")
    assert failed.status == "failed" and "COINFLOW_FAIL_AFTER_N_RECORDS" in (failed.error or "")
    monkeypatch.delenv("COINFLOW_FAIL_AFTER_N_RECORDS")
    get_settings.cache_clear()
    [resumed] = run("coingecko")
    assert resumed.status == "succeeded", resumed.error
    pages = [int(r["query"]["page"]) for r in source_server.requests(MARKETS)]
    assert pages == [1, 2, 3]  # the second run resumed at page 3
    interrupted = _snapshot(flow_env)
    with flow_env.begin() as conn:
        from sqlalchemy import text

        for table in ("prices", "rejected_records", "schema_drift", "raw_records", "checkpoints", "coin_sources"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("DELETE FROM etl_runs"))
        conn.execute(text("DELETE FROM coins"))
    [clean] = run("coingecko")
    assert clean.status == "succeeded", clean.error
    assert _snapshot(flow_env) == interrupted
    assert len(interrupted) == 246
