"""Cross-source spread: only prices observed close in time are compared; stale sources are shown,
not averaged in; `coinflow coins spread` and GraphQL `Coin.spread` give the same answer (issue 12, item 9)."""

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from deployments.cli import app as cli_app
from flows.identity import resolve_coins
from graphql_api.app import create_app
from models.coins import DeclaredCoin
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.run_log import start_run
from models.settings import Settings, get_settings
from models.spread import cross_source_spreads
from tests.api.conftest import ApiClient, gql

WINDOW = timedelta(minutes=15)
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
COINS = {
    "bitcoin": ("BTC", "Bitcoin"),
    "ethereum": ("ETH", "Ethereum"),
    "ripple": ("XRP", "XRP"),
    "tether": ("USDT", "Tether"),
}


def load_latest(engine: Engine, quotes: list[tuple[str, str, timedelta, float]]) -> None:
    """Load (canonical id, source, age before NOW, price) rows, each source's coins under the canonical id."""
    run_id = start_run(engine, "coingecko", "markets", None, None)
    ids: dict[tuple[str, str], int] = {}
    for source in {q[1] for q in quotes}:
        declared = [DeclaredCoin(c, *COINS[c], canonical_hint=c) for c in sorted({q[0] for q in quotes})]
        found = resolve_coins(engine, source, declared, "override")
        ids |= {(source, coin): coin_id for coin, coin_id in found.items()}
    frame = pd.DataFrame(
        [{"coin_id": ids[(s, c)], "source": s, "observed_at": pd.Timestamp(NOW - age), "price_usd": p,
          "market_cap_usd": None, "volume_24h_usd": None, "change_24h_pct": None, "rank": None,
          "raw_record_id": None, "run_id": run_id}
         for c, s, age, p in quotes]
    )[list(PRICE_COLUMNS)]  # fmt: skip
    for source in sorted({q[1] for q in quotes}):
        load_batch(engine, Batch(run_id, source, "s", frame[frame["source"] == source], {"n": 1}))


QUOTES = [
    ("bitcoin", "coingecko", timedelta(minutes=5), 100.0),
    ("bitcoin", "coingecko", timedelta(days=1), 90.0),  # older: not the latest
    ("bitcoin", "coinpaprika", timedelta(minutes=1), 102.0),
    ("bitcoin", "csv", timedelta(hours=2), 110.0),  # 119 min behind the newest: stale
    ("ethereum", "coingecko", timedelta(minutes=5), 2000.0),
    ("ethereum", "coinpaprika", timedelta(minutes=20), 2020.0),  # 15 min behind: the window's edge, kept
    # The offline data's shape: one source's snapshot years older than the other's (issue 12: 56 % "spread").
    ("ripple", "coingecko", timedelta(0), 2.37),
    ("ripple", "coinpaprika", timedelta(days=1229), 1.08),
    ("tether", "coingecko", timedelta(minutes=2), 1.0),
]


def test_only_sources_observed_within_the_window_are_compared(engine: Engine, settings: Settings) -> None:
    load_latest(engine, QUOTES)
    with engine.connect() as conn:
        spreads = {s.canonical_id: s for s in cross_source_spreads(conn, NOW, 2.0, WINDOW)}
    btc, eth, xrp, usdt = (spreads[c] for c in ("bitcoin", "ethereum", "ripple", "tether"))
    assert [(q.source, q.price_usd, q.age_seconds, q.stale) for q in btc.quotes] == [
        ("coingecko", 100.0, 300.0, False), ("coinpaprika", 102.0, 60.0, False), ("csv", 110.0, 7200.0, True),
    ]  # fmt: skip
    assert btc.spread_pct == pytest.approx(2 / 101 * 100) and not btc.flagged  # csv's 110 is not averaged in
    assert eth.spread_pct == pytest.approx(20 / 2010 * 100) and not eth.flagged
    assert [q.stale for q in eth.quotes] == [False, False]
    # Years apart: no spread at all, the old source shown as stale (it was flagged at 74 % before).
    assert xrp.spread_pct is None and not xrp.flagged
    assert [(q.source, q.stale) for q in xrp.quotes] == [("coingecko", False), ("coinpaprika", True)]
    assert usdt.spread_pct is None and [q.source for q in usdt.quotes] == ["coingecko"]
    with engine.connect() as conn:
        order = [s.canonical_id for s in cross_source_spreads(conn, NOW, 2.0, WINDOW)]
    assert order == ["bitcoin", "ethereum", "ripple", "tether"]  # widest first, then nothing compared


def test_sources_agreeing_exactly_sort_before_coins_with_nothing_to_compare(engine: Engine, settings: Settings) -> None:
    load_latest(engine, [
        ("bitcoin", "coingecko", timedelta(0), 100.0), ("bitcoin", "csv", timedelta(0), 100.0),
        ("ethereum", "coingecko", timedelta(0), 2000.0), ("ripple", "coingecko", timedelta(0), 2.0),
    ])  # fmt: skip
    with engine.connect() as conn:
        found = [(s.canonical_id, s.spread_pct) for s in cross_source_spreads(conn, NOW, 2.0, WINDOW)]
    assert found == [("bitcoin", 0.0), ("ethereum", None), ("ripple", None)]


def test_a_wider_window_compares_more_and_flags_the_disagreement(engine: Engine, settings: Settings) -> None:
    load_latest(engine, QUOTES)
    with engine.connect() as conn:
        [btc] = cross_source_spreads(conn, NOW, 2.0, timedelta(hours=3), ["bitcoin"])
    assert [q.stale for q in btc.quotes] == [False, False, False]
    assert btc.spread_pct == pytest.approx((110 - 100) / 102 * 100) and btc.flagged


def test_cli_and_graphql_give_the_same_spread(
    engine: Engine, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_latest(engine, QUOTES)  # staleness is relative to the coin's newest price, not to the clock
    monkeypatch.setenv("COINFLOW_SPREAD_WINDOW_MINUTES", "15")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli_app, ["coins", "spread", "--json"])
    assert result.exit_code == 0, result.output
    cli = {c["canonical_id"]: c for c in json.loads(result.output)["coins"]}
    api = ApiClient(create_app(get_settings().model_copy(update={"database_url": database_url})))
    query = "{ coins(first: 10) { edges { node { canonicalId spread { sources pct flagged staleSources } } } } }"
    body = gql(api, query)
    assert "errors" not in body, body
    served = {e["node"]["canonicalId"]: e["node"]["spread"] for e in body["data"]["coins"]["edges"]}
    assert set(served) == set(cli) == set(COINS)
    for coin, spread in served.items():
        fresh = [q for q in cli[coin]["quotes"] if not q["stale"]]
        if cli[coin]["spread_pct"] is None:
            assert spread is None, coin
            continue
        assert spread == {
            "sources": len(fresh),
            "pct": round(cli[coin]["spread_pct"], 6),
            "flagged": cli[coin]["flagged"],
            "staleSources": [q["source"].upper() for q in cli[coin]["quotes"] if q["stale"]],
        }, coin
    assert served["bitcoin"]["staleSources"] == ["CSV"] and served["ripple"] is None
