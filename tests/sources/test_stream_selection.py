"""One stream of a source per run (what each deployment runs), and history for the top N coins."""

import json
from typing import Any

import pytest
from sqlalchemy import Engine

from flows.coingecko_ingest import ingest_coingecko
from flows.ingest import ingest
from flows.run_summary import RunSummary
from models.settings import Settings, get_settings
from tests.sources.conftest import SourceServer, count, rows

MARKETS = "/api/v3/coins/markets"
CHART = "/api/v3/coins/{}/market_chart/range"
MARKETS_ROWS = 120  # data/sources/coingecko/coins_markets.json


def run(source: str, streams: list[str] | None) -> list[RunSummary]:
    state = ingest(source=source, streams=streams, return_state=True)
    result: Any = state.result(raise_on_failure=False)
    return result


@pytest.fixture
def flow_env(engine: Engine, source_settings: Settings, prefect_api_url: str) -> Engine:
    return engine


def test_a_markets_run_fetches_and_stores_only_the_markets_snapshot(
    flow_env: Engine, source_server: SourceServer
) -> None:
    [summary] = run("coingecko", ["markets"])
    assert summary.status == "succeeded", summary.error
    assert summary.inserted == MARKETS_ROWS
    assert [r["path"] for r in source_server.requests() if "/api/v3/" in r["path"]] == [MARKETS] * 3
    btc = rows(
        flow_env,
        "SELECT p.price_usd, p.rank FROM prices p JOIN coin_sources s ON s.coin_id = p.coin_id "
        "WHERE s.source = 'coingecko' AND s.source_coin_id = 'bitcoin'",
    )
    assert btc == [(84085.0, 1)]  # the recorded markets row (its USD version), no history point
    assert rows(flow_env, "SELECT source, stream, status FROM etl_runs") == [("coingecko", "markets", "succeeded")]
    assert count(flow_env, "SELECT count(*) FROM checkpoints WHERE stream <> 'markets'") == 0


def test_a_coinpaprika_tickers_run_records_its_stream(flow_env: Engine, source_server: SourceServer) -> None:
    [summary] = run("coinpaprika", ["tickers"])
    assert summary.status == "succeeded", summary.error
    assert [r["path"] for r in source_server.requests() if r["path"].startswith("/v1/")] == ["/v1/tickers"]
    assert rows(flow_env, "SELECT stream FROM etl_runs") == [("tickers",)]
    assert count(flow_env, "SELECT count(*) FROM prices WHERE source = 'coinpaprika' AND rank IS NULL") == 0


def test_history_covers_the_explicit_coins_and_the_top_n_of_the_latest_snapshot(
    flow_env: Engine, source_server: SourceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COINFLOW_COINGECKO_HISTORY_COINS", json.dumps(["tether"]))
    monkeypatch.setenv("COINFLOW_COINGECKO_HISTORY_TOP_N", "3")
    get_settings.cache_clear()
    [summary] = run("coingecko", None)
    assert summary.status == "succeeded", summary.error
    charted = [r["path"] for r in source_server.requests() if r["path"].endswith("/market_chart/range")]
    assert charted == [CHART.format(c) for c in ("tether", "bitcoin", "ethereum", "ripple")]  # ranks 1, 2, 3
    ripple_points = count(
        flow_env,
        "SELECT count(*) FROM prices p JOIN coin_sources s ON s.coin_id = p.coin_id "
        "WHERE s.source = 'coingecko' AND s.source_coin_id = 'ripple' AND p.rank IS NULL",
    )
    assert ripple_points > 0
    [[stream]] = rows(flow_env, "SELECT stream FROM etl_runs")
    assert stream == "coins_list,markets,market_chart"


def test_an_unknown_stream_is_refused_naming_the_valid_ones(flow_env: Engine, source_settings: Settings) -> None:
    with pytest.raises(ValueError, match="expected some of coins_list, markets, market_chart"):
        ingest_coingecko(flow_env, source_settings, None, streams=["tickers"])
    assert count(flow_env, "SELECT count(*) FROM etl_runs") == 0
