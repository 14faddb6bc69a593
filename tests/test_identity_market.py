"""Market evidence, the identity pass after prices (both databases): a lone coin joins the one candidate
sharing a key whose price and market cap agree at close times; pegged and bridged copies trading at
the same price never do; ties are broken only by it; the move carries the prices and is recorded."""

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text

from flows.identity import resolve_coins
from flows.identity_market import lone_candidates, rematch_by_market
from models.coins import DeclaredCoin, priced_coin_ids, read_mappings, read_mappings_of_coins
from models.identity_queries import explain
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.run_log import start_run

LIST = Path(__file__).resolve().parents[1] / "data" / "sources" / "coingecko" / "coins_list.json"
# CoinGecko's own entries (the recorded list): the real coins and their copies under one ticker.
GECKO_IDS = ("tether", "bridged-tether-linea", "bridged-tether-scroll", "zelcash", "flux-2", "tomochain", "bitcoin",
             "wrapped-bitcoin")  # fmt: skip
AT = datetime.fromisoformat("2025-03-04T14:45:45+00:00")  # the recorded /coins/markets snapshot's time
# (price, market cap) per CoinGecko coin at AT; tether, bitcoin and wrapped-bitcoin as recorded then.
GECKO_QUOTES = {
    "tether": (0.949312, 135_310_557_553),
    "bridged-tether-linea": (0.949100, 61_000_000),
    "bridged-tether-scroll": (0.949500, 135_000_000),
    "zelcash": (0.412, 150_000_000),
    "flux-2": (12.10, 90_000_000),
    "tomochain": (0.1903, 23_500_000),
    "bitcoin": (79_847, 1_592_704_518_472),
    "wrapped-bitcoin": (79_539, 10_295_013_721),
}
# CoinPaprika's lone coins (no rule matches them) and their readings 4 minutes later.
PAPRIKA = {
    DeclaredCoin("usdt-tether-omni", "USDT", "Tether Omni"): (0.9496, 135_900_000_000),  # tether, not a bridged copy
    DeclaredCoin("zel-zelcash", "FLUX", "Flux"): (0.4131, 151_200_000),  # a FLUX tie: zelcash by price and cap
    DeclaredCoin("tomo-tomochain", "TOMO", "TomoChain"): (0.1898, 23_410_000),  # renamed VIC (Viction) since
    DeclaredCoin("wbtc-bitcoin-omni", "BTC", "Bitcoin Omni"): (79_700, 10_300_000_000),  # price of BTC, cap of WBTC
}


def load_quotes(
    engine: Engine, source: str, ids: dict[str, int], quotes: Mapping[str, tuple[float, float]], at: datetime
) -> None:
    run_id = start_run(engine, source, "markets", None, None)
    frame = pd.DataFrame([
        {"coin_id": ids[key], "source": source, "observed_at": pd.Timestamp(at), "price_usd": price,
         "market_cap_usd": cap, "volume_24h_usd": None, "change_24h_pct": None, "rank": None,
         "raw_record_id": None, "run_id": run_id}
        for key, (price, cap) in quotes.items()
    ])[list(PRICE_COLUMNS)]  # fmt: skip
    load_batch(engine, Batch(run_id, source, "markets", frame, {"n": len(quotes)}))


def mapping(engine: Engine, source_coin_id: str) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.canonical_id, cs.match_method FROM coin_sources cs JOIN coins c ON c.id = cs.coin_id "
                "WHERE cs.source = 'coinpaprika' AND cs.source_coin_id = :i"
            ),
            {"i": source_coin_id},
        ).one()
    return row[0], row[1]


def test_market_evidence_places_lone_coins_and_never_a_pegged_copy(engine: Engine, overrides: Path) -> None:
    listed = {c["id"]: c for c in json.loads(LIST.read_text())}
    gecko = [DeclaredCoin(i, listed[i]["symbol"], listed[i]["name"], canonical_hint=i) for i in GECKO_IDS]
    gecko_ids = resolve_coins(engine, "coingecko", gecko, "source-id")
    paprika_ids = resolve_coins(engine, "coinpaprika", list(PAPRIKA), "source-id")
    before = {c.source_coin_id: mapping(engine, c.source_coin_id) for c in PAPRIKA}
    assert before["zel-zelcash"][1] == "ambiguous" and before["tomo-tomochain"][1] == "source-id"
    load_quotes(engine, "coingecko", gecko_ids, GECKO_QUOTES, AT)
    assert rematch_by_market(engine, "coinpaprika") == []  # no CoinPaprika reading yet: nothing to compare
    load_quotes(engine, "coinpaprika", paprika_ids, {c.source_coin_id: q for c, q in PAPRIKA.items()},
                AT + timedelta(minutes=4))  # fmt: skip

    moved = rematch_by_market(engine, "coinpaprika")

    assert {m.mapping.source_coin_id: m.to_canonical_id for m in moved} == {
        "usdt-tether-omni": "tether", "zel-zelcash": "zelcash", "tomo-tomochain": "tomochain",
    }  # fmt: skip
    assert mapping(engine, "usdt-tether-omni") == ("tether", "market")
    assert mapping(engine, "wbtc-bitcoin-omni") == before["wbtc-bitcoin-omni"]  # BTC's price, WBTC's cap: no one
    with engine.connect() as conn:
        prices = conn.execute(
            text(
                "SELECT c.canonical_id, p.source, p.price_usd FROM prices p JOIN coins c ON c.id = p.coin_id "
                "WHERE c.canonical_id IN ('tether', 'zelcash') ORDER BY 1, 2"
            ),
        ).all()
        found = explain(conn, "zelcash")
    assert [tuple(r) for r in prices] == [
        ("tether", "coingecko", 0.949312), ("tether", "coinpaprika", 0.9496),
        ("zelcash", "coingecko", 0.412), ("zelcash", "coinpaprika", 0.4131),
    ]  # fmt: skip
    assert found is not None
    mappings, changes = found
    [paprika] = [m for m in mappings if m.source == "coinpaprika"]
    assert paprika.match_method == "market" and paprika.candidates == []
    assert (
        paprika.evidence is not None and "0.412 vs 0.4131 USD" in paprika.evidence and "4 min apart" in paprika.evidence
    )
    assert [(c.source_coin_id, c.from_canonical_id, c.to_canonical_id) for c in changes] == [
        ("zel-zelcash", before["zel-zelcash"][0], "zelcash"),
    ]  # fmt: skip
    assert rematch_by_market(engine, "coinpaprika") == []  # settled: a second pass moves nothing

    # a review disagrees: an override undoes the automatic match, prices and all
    with overrides.open("a") as handle:
        handle.write(f"coinpaprika,tomo-tomochain,{before['tomo-tomochain'][0]}\n")
    resolve_coins(engine, "coinpaprika", [DeclaredCoin("tomo-tomochain", "TOMO", "TomoChain")], "source-id")
    assert mapping(engine, "tomo-tomochain") == (before["tomo-tomochain"][0], "override")
    with engine.connect() as conn:
        back = conn.execute(
            text(
                "SELECT c.canonical_id FROM prices p JOIN coins c ON c.id = p.coin_id WHERE p.source = 'coinpaprika' "
                "AND p.price_usd = 0.1898"
            )
        ).scalar_one()
    assert back == before["tomo-tomochain"][0]
    assert rematch_by_market(engine, "coinpaprika") == []  # an override is never moved by market evidence


def test_readings_too_far_apart_are_no_evidence(engine: Engine, overrides: Path) -> None:
    listed = {c["id"]: c for c in json.loads(LIST.read_text())}
    gecko_ids = resolve_coins(engine, "coingecko", [DeclaredCoin("tomochain", listed["tomochain"]["symbol"],
                              listed["tomochain"]["name"], canonical_hint="tomochain")], "source-id")  # fmt: skip
    tomo = DeclaredCoin("tomo-tomochain", "TOMO", "TomoChain")
    paprika_ids = resolve_coins(engine, "coinpaprika", [tomo], "source-id")
    load_quotes(engine, "coingecko", gecko_ids, {"tomochain": GECKO_QUOTES["tomochain"]}, AT)
    load_quotes(engine, "coinpaprika", paprika_ids, {"tomo-tomochain": PAPRIKA[tomo]}, AT + timedelta(minutes=40))
    assert rematch_by_market(engine, "coinpaprika") == []
    assert mapping(engine, "tomo-tomochain")[1] == "source-id"


def test_the_pass_reads_only_priced_coins_and_finds_what_all_mappings_would(engine: Engine, overrides: Path) -> None:
    """Coins without a price (most of a listed source's coins) cannot be evidence: the pass leaves their
    mappings unread, and the lone ids and candidates it finds are those a read of every mapping gives."""
    listed = {c["id"]: c for c in json.loads(LIST.read_text())}
    unpriced = [i for i, c in listed.items() if c["symbol"].upper() in {"USDT", "FLUX", "TOMO", "BTC"}]
    gecko = [DeclaredCoin(i, listed[i]["symbol"], listed[i]["name"], canonical_hint=i)
             for i in dict.fromkeys([*GECKO_IDS, *unpriced])]  # fmt: skip
    gecko_ids = resolve_coins(engine, "coingecko", gecko, "source-id")
    paprika_ids = resolve_coins(engine, "coinpaprika", list(PAPRIKA), "source-id")
    load_quotes(engine, "coingecko", gecko_ids, GECKO_QUOTES, AT)
    load_quotes(engine, "coinpaprika", paprika_ids, {c.source_coin_id: q for c, q in PAPRIKA.items()},
                AT + timedelta(minutes=4))  # fmt: skip
    with engine.connect() as conn:
        priced = priced_coin_ids(conn)
        every = read_mappings(conn)
        read = read_mappings_of_coins(conn, priced)
    assert len(gecko) > len(GECKO_IDS) and {m.coin_id for m in read} == priced
    assert sorted(read, key=str) == sorted((m for m in every if m.coin_id in priced), key=str)
    assert lone_candidates("coinpaprika", read, priced) == lone_candidates("coinpaprika", every, priced)
    moved = rematch_by_market(engine, "coinpaprika")
    assert {m.mapping.source_coin_id: m.to_canonical_id for m in moved} == {
        "usdt-tether-omni": "tether", "zel-zelcash": "zelcash", "tomo-tomochain": "tomochain",
    }  # fmt: skip
