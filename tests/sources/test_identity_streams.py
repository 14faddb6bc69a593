"""Coin lists as their own streams settle identity across sources before prices arrive (both databases)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from flows.ingest import ingest, run_summaries
from models.settings import Settings
from models.spread import cross_source_spreads
from tests.sources.conftest import SourceServer, count, rows

LISTED = 17_892  # data/sources/coingecko/coins_list.json, the recorded full list


def _mapping(engine: Engine, source: str, source_coin_id: str) -> tuple[str, str]:
    [(canonical_id, method)] = rows(
        engine,
        "SELECT c.canonical_id, cs.match_method FROM coin_sources cs JOIN coins c ON c.id = cs.coin_id "
        "WHERE cs.source = :s AND cs.source_coin_id = :i",
        s=source,
        i=source_coin_id,
    )
    return canonical_id, method


def test_both_coin_lists_resolve_to_one_coin_per_asset(
    engine: Engine, source_settings: Settings, prefect_api_url: str, source_server: SourceServer
) -> None:
    gecko = run_summaries(ingest(source="coingecko", return_state=True))
    paprika = run_summaries(ingest(source="coinpaprika", return_state=True))
    assert gecko[0].status == "succeeded" and paprika[0].status == "succeeded", (gecko, paprika)

    # every listed CoinGecko coin has its own coin, whether or not a price arrived for it
    assert count(engine, "SELECT count(*) FROM coin_sources WHERE source = 'coingecko'") == LISTED
    assert _mapping(engine, "coingecko", "weth") == ("weth", "source-id")
    assert _mapping(engine, "coinpaprika", "btc-bitcoin") == ("bitcoin", "symbol+name")
    assert _mapping(engine, "coinpaprika", "wbtc-wrapped-bitcoin") == ("wrapped-bitcoin", "symbol+name")
    assert _mapping(engine, "coinpaprika", "bnb-binance-coin") == ("binancecoin", "override")  # data/coin_overrides.csv
    assert _mapping(engine, "coinpaprika", "luna-terra") == ("terra-luna", "override")
    # 57 listed coins + 6 more that only the tickers name (dash-dash, mkr-maker, nano-nano, ...)
    assert count(engine, "SELECT count(*) FROM coin_sources WHERE source = 'coinpaprika'") == 63
    assert _mapping(engine, "coinpaprika", "dash-dash") == ("dash", "override")  # a real tie, settled by review
    unmatched = rows(
        engine,
        "SELECT cs.source_coin_id FROM coin_sources cs WHERE cs.source = 'coinpaprika' "
        "AND cs.match_method NOT IN ('symbol+name', 'override', 'slug', 'name+symbol')",
    )
    assert unmatched == []  # all 63 recorded CoinPaprika coins joined a CoinGecko coin
    # Each run ended with identity's market pass; the replayed snapshots are years apart (2020/2021 vs
    # 2025), so they are no evidence and nothing moved (luna-terra stays where the override put it).
    assert count(engine, "SELECT count(*) FROM coin_identity_changes WHERE reason LIKE 'market%'") == 0

    with engine.connect() as conn:
        [btc] = cross_source_spreads(conn, datetime.now(UTC), 2.0, timedelta(minutes=15), ["bitcoin"])
    # The replayed CoinGecko snapshot (2025-03-04 14:45) is hours newer than CoinPaprika's last daily
    # point: the sources are shown, not compared (issue 12 item 9: they were flagged at 56 % before).
    assert [(q.source, q.stale) for q in btc.quotes] == [("coingecko", False), ("coinpaprika", True)]
    assert btc.spread_pct is None and not btc.flagged
