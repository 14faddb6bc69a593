"""CoinGecko end to end over real HTTP against the local source server, on SQLite and PostgreSQL."""

from typing import Any

import pytest
from sqlalchemy import Engine

from flows.ingest import ingest, run_summaries
from flows.run_summary import RunSummary
from models.settings import Settings
from tests.sources.conftest import SourceServer, count, rows

MARKETS = "/api/v3/coins/markets"
BTC_CHART = "/api/v3/coins/bitcoin/market_chart/range"
ETH_CHART = "/api/v3/coins/ethereum/market_chart/range"
MARKETS_ROWS = 120  # data/sources/coingecko/coins_markets.json
HISTORY_POINTS = 63  # 2025-01-01 .. 2025-03-04, daily


def run(source: str = "coingecko") -> list[RunSummary]:
    state = ingest(source=source, return_state=True)
    return run_summaries(state)


def checkpoint(engine: Engine, stream: str) -> Any:
    found = rows(engine, "SELECT state FROM checkpoints WHERE source = 'coingecko' AND stream = :s", s=stream)
    if not found:
        return None
    state = found[0][0]
    return state if isinstance(state, dict) else __import__("json").loads(state)


@pytest.fixture
def flow_env(engine: Engine, source_settings: Settings, prefect_api_url: str) -> Engine:
    return engine


def test_first_run_loads_markets_pages_and_history(flow_env: Engine, source_server: SourceServer) -> None:
    [summary] = run()
    assert summary.status == "succeeded", summary.error
    assert summary.inserted == MARKETS_ROWS + 2 * HISTORY_POINTS
    pages = [int(r["query"]["page"]) for r in source_server.requests(MARKETS)]
    assert pages == [1, 2, 3]  # 50 + 50 + 20: the short third page ends the snapshot
    assert count(flow_env, "SELECT count(*) FROM prices WHERE source = 'coingecko'") == 246
    btc = rows(
        flow_env,
        "SELECT p.price_usd, p.rank FROM prices p JOIN coin_sources s ON s.coin_id = p.coin_id "
        "WHERE s.source = 'coingecko' AND s.source_coin_id = 'bitcoin' AND p.rank IS NOT NULL",
    )
    assert btc == [(84085.0, 1)]  # the recorded markets row (its USD version)
    assert checkpoint(flow_env, "markets") == {"page": 3, "per_page": 50, "complete": True}
    assert checkpoint(flow_env, "market_chart") == {"coins": {"bitcoin": 1741046400000, "ethereum": 1741046400000}}
    methods = set(r[0] for r in rows(flow_env, "SELECT DISTINCT match_method FROM coin_sources"))
    assert methods == {"source-id"}


def test_incremental_run_asks_only_for_new_data_and_writes_nothing(
    flow_env: Engine, source_server: SourceServer
) -> None:
    run()
    raw_before = count(flow_env, "SELECT count(*) FROM raw_records")
    source_server.reset()
    [summary] = run()
    assert summary.status == "succeeded", summary.error
    assert (summary.inserted, summary.updated, summary.landed) == (0, 0, 0)
    assert count(flow_env, "SELECT count(*) FROM raw_records") == raw_before
    assert source_server.requests("/api/v3/coins/list") == []  # the coin list is fresh for a day
    [btc] = source_server.requests(BTC_CHART)
    # From the last loaded point (2025-03-04 00:00) minus the 48 h lookback.
    assert btc["query"]["from"] == str(1741046400 - 48 * 3600)


def test_retryable_errors_are_retried_until_success(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(MARKETS, "503", times=2, query={"page": "2"})
    source_server.fault(BTC_CHART, "500", times=1)
    source_server.fault(ETH_CHART, "502", times=1)
    [summary] = run()
    assert summary.status == "succeeded", summary.error
    assert [r["status"] for r in source_server.requests(MARKETS) if r["query"]["page"] == "2"] == [503, 503, 200]
    assert [r["status"] for r in source_server.requests(BTC_CHART)] == [500, 200]
    assert [r["status"] for r in source_server.requests(ETH_CHART)] == [502, 200]
    assert summary.inserted == MARKETS_ROWS + 2 * HISTORY_POINTS


def test_rate_limit_honours_retry_after(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(MARKETS, "429", times=1, query={"page": "1"}, retry_after="1")
    source_server.fault(BTC_CHART, "429", times=1)  # no Retry-After: the backoff alone
    [summary] = run()
    assert summary.status == "succeeded", summary.error
    page_one = [r for r in source_server.requests(MARKETS) if r["query"]["page"] == "1"]
    assert [r["status"] for r in page_one] == [429, 200]
    assert page_one[1]["at"] - page_one[0]["at"] >= 1.0  # never retried before Retry-After
    assert [r["status"] for r in source_server.requests(BTC_CHART)] == [429, 200]


def test_retries_exhausted_fail_the_run_with_the_reason(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(MARKETS, "503", times=-1, query={"page": "2"})
    [summary] = run()
    assert summary.status == "failed"
    assert "HTTP 503" in (summary.error or "")
    assert len([r for r in source_server.requests(MARKETS) if r["query"]["page"] == "2"]) == 4  # 1 + 3 retries
    # Page 1 committed; the checkpoint stops there and the next run resumes at page 2.
    assert checkpoint(flow_env, "markets") == {"page": 1, "per_page": 50, "complete": False}
    source_server.reset()
    [again] = run()
    assert again.status == "succeeded", again.error
    assert [int(r["query"]["page"]) for r in source_server.requests(MARKETS)] == [2, 3]
    assert count(flow_env, "SELECT count(*) FROM prices WHERE source = 'coingecko'") == 246


@pytest.mark.parametrize("kind", ["401", "404"])
def test_client_errors_fail_at_once(flow_env: Engine, source_server: SourceServer, kind: str) -> None:
    source_server.fault(MARKETS, kind, times=-1)
    [summary] = run()
    assert summary.status == "failed"
    assert f"HTTP {kind}" in (summary.error or "")
    assert len(source_server.requests(MARKETS)) == 1  # never retried
    assert checkpoint(flow_env, "markets") is None


def test_timeout_is_retried(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(BTC_CHART, "slow", times=1, delay_s=2.0)  # the client gives up after 1 s
    [summary] = run()
    assert summary.status == "succeeded", summary.error
    assert [r["fault"] for r in source_server.requests(BTC_CHART)] == ["slow", None]


@pytest.mark.parametrize("kind", ["truncated", "html"])
def test_unusable_payload_lands_in_raw_and_is_quarantined(
    flow_env: Engine, source_server: SourceServer, kind: str
) -> None:
    source_server.fault(MARKETS, kind, times=-1, query={"page": "2"})
    [summary] = run()
    assert summary.status == "failed"
    assert "not JSON" in (summary.error or "")
    assert len([r for r in source_server.requests(MARKETS) if r["query"]["page"] == "2"]) == 1  # not retried
    [(key, payload)] = rows(
        flow_env, "SELECT natural_key, payload FROM raw_records WHERE natural_key LIKE :k", k="%:unusable"
    )
    received = payload if isinstance(payload, dict) else __import__("json").loads(payload)
    assert received["status"] == 200 and received["body"]  # the body exactly as it came
    assert key == "coingecko markets page 2:unusable"
    [(reasons,)] = rows(flow_env, "SELECT reasons FROM rejected_records WHERE natural_key = :k", k=key)
    assert "payload_not_json" in str(reasons)
    assert checkpoint(flow_env, "markets") == {"page": 1, "per_page": 50, "complete": False}


def test_empty_page_ends_the_snapshot(flow_env: Engine, source_server: SourceServer) -> None:
    source_server.fault(MARKETS, "empty", times=1, query={"page": "2"})
    [summary] = run()
    assert summary.status == "succeeded", summary.error
    assert [int(r["query"]["page"]) for r in source_server.requests(MARKETS)] == [1, 2]
    assert checkpoint(flow_env, "markets") == {"page": 2, "per_page": 50, "complete": True}
    assert count(flow_env, "SELECT count(*) FROM prices WHERE source = 'coingecko' AND rank IS NOT NULL") == 50
