"""Coin identity across sources on real coin lists: never merged by symbol, ties never guessed."""

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text

from flows.identity import resolve_coins
from models.coins import DeclaredCoin
from models.identity_queries import explain, unmatched
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.run_log import start_run
from tests.db_snapshot import count

FIXTURES = Path(__file__).parent / "fixtures" / "identity"
GECKO = json.loads((FIXTURES / "coingecko_coins_list_subset.json").read_text())
PAPRIKA = {c["id"]: c for c in json.loads((FIXTURES / "coinpaprika_coins_recorded.json").read_text())}


def gecko_coins() -> list[DeclaredCoin]:
    return [DeclaredCoin(c["id"], c["symbol"], c["name"], canonical_hint=c["id"]) for c in GECKO]


def paprika(*ids: str) -> list[DeclaredCoin]:
    return [DeclaredCoin(i, PAPRIKA[i]["symbol"], PAPRIKA[i]["name"]) for i in ids]


def canonical(engine: Engine, source: str, source_coin_id: str) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.canonical_id, cs.match_method FROM coin_sources cs JOIN coins c ON c.id = cs.coin_id "
                "WHERE cs.source = :s AND cs.source_coin_id = :i"
            ),
            {"s": source, "i": source_coin_id},
        ).one()
    return row[0], row[1]


def test_colliding_symbols_stay_separate_coins(engine: Engine, overrides: Path) -> None:
    ids = resolve_coins(engine, "coingecko", gecko_coins(), "source-id")
    assert len(set(ids.values())) == len(GECKO) == count(engine, "coins")  # 304 coins, 16 symbols
    usdt = [c["id"] for c in GECKO if c["symbol"] == "usdt"]
    assert len(usdt) > 20 and len({ids[i] for i in usdt}) == len(usdt)
    resolve_coins(engine, "coinpaprika", paprika("usdt-tether", "usdc-usd-coin", "sol-solana"), "source-id")
    assert canonical(engine, "coinpaprika", "usdt-tether") == ("tether", "symbol+name")
    assert canonical(engine, "coinpaprika", "sol-solana") == ("solana", "symbol+name")
    # CoinGecko calls it "USDC", CoinPaprika "USD Coin": not the same pair; CoinPaprika's id carries
    # CoinGecko's id "usd-coin" as its slug, and the symbol agrees, so the slug matches it
    assert canonical(engine, "coinpaprika", "usdc-usd-coin") == ("usd-coin", "slug")


def test_wrapped_tokens_stay_separate_from_their_underlying_coin(engine: Engine, overrides: Path) -> None:
    resolve_coins(engine, "coingecko", gecko_coins(), "source-id")
    resolve_coins(
        engine, "coinpaprika", paprika("btc-bitcoin", "wbtc-wrapped-bitcoin", "eth-ethereum", "weth-weth"), "source-id"
    )
    assert canonical(engine, "coinpaprika", "btc-bitcoin") == ("bitcoin", "symbol+name")
    assert canonical(engine, "coinpaprika", "wbtc-wrapped-bitcoin") == ("wrapped-bitcoin", "symbol+name")
    assert canonical(engine, "coinpaprika", "eth-ethereum") == ("ethereum", "symbol+name")
    assert canonical(engine, "coinpaprika", "weth-weth") == ("weth", "symbol+name")


def test_a_symbol_alone_never_merges(engine: Engine, overrides: Path) -> None:
    resolve_coins(engine, "coingecko", gecko_coins(), "source-id")
    resolve_coins(engine, "coinpaprika", [DeclaredCoin("btc-bitcoin-gold-x", "BTC", "Bitcoin Gold X")], "source-id")
    assert canonical(engine, "coinpaprika", "btc-bitcoin-gold-x") == ("bitcoin-gold-x", "source-id")


def test_a_tie_stays_unmatched_and_is_listed_with_its_candidates(engine: Engine, overrides: Path) -> None:
    resolve_coins(engine, "coingecko", gecko_coins(), "source-id")  # holds ("dash", "Dash") and ("dash", "DASH")
    resolve_coins(engine, "coinpaprika", paprika("dash-dash"), "source-id")
    tied_id, method = canonical(engine, "coinpaprika", "dash-dash")
    assert method == "ambiguous" and tied_id not in ("dash", "dash-2")
    with engine.connect() as conn:
        total, rows = unmatched(conn, source="coinpaprika")
    assert total == 1
    assert (rows[0].source_coin_id, rows[0].match_method, rows[0].candidates) == (
        "dash-dash", "ambiguous", ["dash", "dash-2"],
    )  # fmt: skip


def test_an_override_wins_and_moving_a_mapping_moves_its_prices_and_is_recorded(
    engine: Engine, overrides: Path
) -> None:
    resolve_coins(engine, "coingecko", gecko_coins(), "source-id")
    ids = resolve_coins(engine, "coinpaprika", paprika("dash-dash"), "source-id")
    run_id = start_run(engine, "coinpaprika", "tickers", None, None)
    price = pd.DataFrame([{
        "coin_id": ids["dash-dash"], "source": "coinpaprika", "observed_at": pd.Timestamp("2024-01-01", tz="UTC"),
        "price_usd": 30.5, "market_cap_usd": None, "volume_24h_usd": None, "change_24h_pct": None,
        "rank": None, "raw_record_id": None, "run_id": run_id,
    }])[list(PRICE_COLUMNS)]  # fmt: skip
    load_batch(engine, Batch(run_id, "coinpaprika", "tickers", price, {"n": 1}))
    tied_id = canonical(engine, "coinpaprika", "dash-dash")[0]

    with overrides.open("a") as handle:
        handle.write("coinpaprika,dash-dash,dash\n")
    resolve_coins(engine, "coinpaprika", paprika("dash-dash"), "source-id")
    assert canonical(engine, "coinpaprika", "dash-dash") == ("dash", "override")
    with engine.connect() as conn:
        moved = conn.execute(
            text("SELECT c.canonical_id, p.price_usd FROM prices p JOIN coins c ON c.id = p.coin_id")
        ).all()
        found = explain(conn, "dash")
        assert explain(conn, tied_id) is not None  # the old canonical id stays reserved, never reused
    assert [tuple(row) for row in moved] == [("dash", 30.5)]
    assert found is not None
    mappings, changes = found
    assert {(m.source, m.source_coin_id, m.match_method) for m in mappings} == {
        ("coingecko", "dash", "source-id"), ("coinpaprika", "dash-dash", "override"),
    }  # fmt: skip
    assert [(c.from_canonical_id, c.to_canonical_id) for c in changes] == [(tied_id, "dash")]


def test_assignments_are_stable_when_new_coins_arrive(engine: Engine, overrides: Path) -> None:
    resolve_coins(engine, "coingecko", gecko_coins()[:150], "source-id")
    first = resolve_coins(engine, "coinpaprika", paprika(*PAPRIKA), "source-id")
    before = {i: canonical(engine, "coinpaprika", i) for i in first}
    resolve_coins(engine, "coingecko", gecko_coins(), "source-id")  # the rest of the list arrives later
    again = resolve_coins(engine, "coinpaprika", paprika(*PAPRIKA), "source-id")
    assert again == first
    assert {i: canonical(engine, "coinpaprika", i) for i in first} == before


def test_the_same_contract_on_the_same_platform_matches_across_names(engine: Engine, overrides: Path) -> None:
    zus = DeclaredCoin("0chain", "zcn", "Zus", {"ethereum": "0xb9ef770b6a5e12e45983c5d80545258aa38f3b78"}, "0chain")
    resolve_coins(engine, "coingecko", [zus], "source-id")
    other = DeclaredCoin("zcn-0chain", "ZCN", "0Chain", {"eth-ethereum": "0xB9EF770B6A5E12E45983C5D80545258AA38F3B78"})
    resolve_coins(engine, "coinpaprika", [other], "source-id")
    assert canonical(engine, "coinpaprika", "zcn-0chain") == ("0chain", "contract")


def test_csv_observations_join_the_api_coin_of_the_same_asset(engine: Engine, overrides: Path) -> None:
    resolve_coins(engine, "coingecko", gecko_coins(), "source-id")
    resolve_coins(engine, "csv", [DeclaredCoin("bitcoin:btc", "BTC", "Bitcoin")], "csv-declared")
    assert canonical(engine, "csv", "bitcoin:btc") == ("bitcoin", "symbol+name")


def test_review_commands_list_ties_and_explain_mappings(engine: Engine, overrides: Path) -> None:
    from typer.testing import CliRunner

    from deployments.cli import app

    resolve_coins(engine, "coingecko", gecko_coins(), "source-id")
    resolve_coins(engine, "coinpaprika", paprika("dash-dash", "btc-bitcoin"), "source-id")
    runner = CliRunner()
    listed = runner.invoke(app, ["coins", "unmatched", "--source", "coinpaprika"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "dash-dash" in listed.output and "ambiguous" in listed.output and "dash, dash-2" in listed.output
    explained = runner.invoke(app, ["coins", "explain", "bitcoin"], env={"COLUMNS": "200"})
    assert explained.exit_code == 0, explained.output
    assert "btc-bitcoin" in explained.output and "symbol+name" in explained.output
    missing = runner.invoke(app, ["coins", "explain", "no-such-coin"])
    assert missing.exit_code == 2
