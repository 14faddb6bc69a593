"""Identity signals on CoinGecko's real 17,892-coin list (both databases): name variants, id slugs,
ticker changes and "(prev. X)" notes match; bridged copies, binance-peg copies, ticker-sharing coins
and namesakes never do; ties stay ties; every automatic match says why (``coinflow coins explain``)."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from flows.identity import resolve_coins
from models.coins import DeclaredCoin

LIST = Path(__file__).resolve().parents[1] / "data" / "sources" / "coingecko" / "coins_list.json"


@pytest.fixture(scope="module")
def gecko() -> list[DeclaredCoin]:
    return [
        DeclaredCoin(c["id"], c["symbol"], c["name"], c.get("platforms"), canonical_hint=c["id"])
        for c in json.loads(LIST.read_text())
    ]


def mappings(engine: Engine) -> dict[str, tuple[str, str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT cs.source_coin_id, c.canonical_id, cs.match_method, cs.evidence FROM coin_sources cs "
                "JOIN coins c ON c.id = cs.coin_id WHERE cs.source = 'coinpaprika'"
            )
        ).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


# (CoinPaprika id, symbol, name as CoinPaprika spells it) -> the CoinGecko coin and the signal.
# CoinGecko spells these "Basic Attention", "Curve DAO", "Bancor Network", "0x Protocol", "Powerledger",
# "SingularityNET", "Solar" (SXP), "Artificial Superintelligence Alliance" (FET), BORG, RENDER, "Frax (prev. FXS)".
MATCHES = {
    ("bat-basic-attention-token", "BAT", "Basic Attention Token"): ("basic-attention-token", "slug"),
    ("crv-curve-dao-token", "CRV", "Curve DAO Token"): ("curve-dao-token", "slug"),
    ("bnt-bancor", "BNT", "Bancor"): ("bancor", "slug"),
    ("zrx-0x", "ZRX", "0x"): ("0x", "slug"),
    ("powr-power-ledger", "POWR", "Power Ledger"): ("power-ledger", "slug"),
    ("agix-singularitynet", "AGIX", "Singularity NET"): ("singularitynet", "slug"),
    ("sxp-swipe", "SXP", "Swipe"): ("swipe", "slug"),
    ("fet-fetch-ai", "FET", "Fetch.AI"): ("fetch-ai", "slug"),
    ("chsb-swissborg", "CHSB", "SwissBorg"): ("swissborg", "slug"),
    ("rndr-render-token", "RNDR", "Render Token"): ("render-token", "slug"),
    ("inj-injective-protocol", "INJ", "Injective Protocol"): ("injective-protocol", "slug"),
    ("fxs-frax-share", "FXS", "Frax Share"): ("frax-share", "slug"),
    ("usdp-paxos-standard-token", "USDP", "Paxos Standard"): ("paxos-standard", "name+symbol"),
    ("btc-bitcoin", "BTC", "Bitcoin"): ("bitcoin", "symbol+name"),
    ("wbtc-wrapped-bitcoin", "WBTC", "Wrapped Bitcoin"): ("wrapped-bitcoin", "symbol+name"),
    ("weth-weth", "WETH", "WETH"): ("weth", "symbol+name"),
    # slug families: CoinGecko numbers a taken slug (apollox-2 "APX", chain-2 "Onyxcoin", blocx-2 "BLOCX.")
    ("apx-apollox-token", "APX", "ApolloX Token"): ("apollox-2", "slug"),
    ("xcn-chain", "XCN", "Chain"): ("chain-2", "slug"),
    ("blocx-blocx", "BLOCX", "BLOCX"): ("blocx-2", "slug"),
}
# Ties that symbol, name and slug cannot break: two CoinGecko "FLUX"/"Flux" and two "DODO", IOTA.
TIES = {
    ("zel-zelcash", "FLUX", "Flux"): {"zelcash", "flux-2"},
    ("dodo-dodo", "DODO", "DODO"): {"dodo", "dodo-2"},
    ("miota-iota", "MIOTA", "IOTA"): {"iota", "iota-2"},
    ("dash-dash", "DASH", "Dash"): {"dash", "dash-2"},
}
# Names and tickers that bridged, pegged and ticker-sharing copies also carry: none may be merged into them.
ALONE = [
    ("bnb-binance-coin-x", "BNB", "Binance-Peg BNB Wormhole"),  # a made-up spelling: nothing shares it
    ("eth-ethereum-wormhole-copy", "ETH", "Ether Bridged"),
    ("pepe-pepe-chain-x", "PEPE", "Pepe Chain X"),
    # Mirror Protocol's CoinPaprika id: its slug family is only the ticker ("mir"), which "Mir Token" shares
    ("mir-mir-coin", "MIR", "Mir Coin"),
    # a noted name (a made-up "[V1]") is another asset than CoinGecko's "Drife" (drife-2) of its family
    ("drf-drife-v1", "DRF", "Drife [V1]"),
]


def test_signals_match_variants_keep_ties_never_merge_decoys_and_explain(
    engine: Engine, gecko: list[DeclaredCoin], overrides: Path
) -> None:
    from deployments.cli import app

    resolve_coins(engine, "coingecko", gecko, "source-id")
    declared = [DeclaredCoin(*k) for k in [*MATCHES, *TIES, *ALONE]]
    declared.append(DeclaredCoin("aleph-alephim", "ALEPH", "Aleph.im"))
    resolve_coins(engine, "coinpaprika", declared, "source-id")
    found = mappings(engine)

    assert {k[0]: found[k[0]][:2] for k in MATCHES} == {k[0]: v for k, v in MATCHES.items()}
    assert "slug 'render-token' = coingecko id 'render-token' (render, Render)" in str(found["rndr-render-token"][2])
    assert "slug family 'apollox' (CoinGecko's -N aside) = coingecko id 'apollox-2' (apx, APX)" in str(
        found["apx-apollox-token"][2]
    )
    for key, candidates in TIES.items():
        canonical_id, method, _ = found[key[0]]
        assert method == "ambiguous" and canonical_id not in candidates, key
    with engine.connect() as conn:
        tied = conn.execute(
            text("SELECT candidates FROM coin_sources WHERE source_coin_id = 'zel-zelcash'")
        ).scalar_one()
    assert set(json.loads(tied) if isinstance(tied, str) else tied) == TIES[("zel-zelcash", "FLUX", "Flux")]

    # every bridged / binance-peg / wormhole copy in CoinGecko's list stays its own coin
    decoys = {
        c.source_coin_id for c in gecko if any(w in c.source_coin_id for w in ("bridged", "binance-peg", "wormhole"))
    }
    assert len(decoys) > 300
    assert not {canonical for canonical, _, _ in found.values()} & decoys
    assert [found[key[0]][1] for key in ALONE] == ["source-id"] * len(ALONE)
    # "Aleph.im (Wormhole)" is a bridged copy: a bracket other than "(prev. X)" is part of the name
    assert found["aleph-alephim"][1] == "source-id"

    result = CliRunner().invoke(app, ["coins", "explain", "swipe"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "sxp-swipe" in result.output and "slug" in result.output and "Solar" in result.output
    family = CliRunner().invoke(app, ["coins", "explain", "apollox-2"], env={"COLUMNS": "300"})
    assert family.exit_code == 0, family.output
    assert "apx-apollox-token" in family.output and "slug family 'apollox'" in family.output


# The partner-absent case of bench/identity_heldout.py: CoinGecko's current token taken out of the list,
# declared as CoinPaprika would (`<symbol>-<its CoinGecko id>`), leaves only the migrated-away copy, which
# keeps the old id ("Liquidus (Old)" is `liquidus`, "SpookySwap [Old]" `spookyswap`); for APX, nothing
# else of the family holds the ticker.
PARTNER_GONE = {
    ("liq-liquidus-2", "LIQ", "Liquidus"): "liquidus-2",
    ("pepu-pepe-unchained-2", "PEPU", "Pepe Unchained"): "pepe-unchained-2",
    ("boo-spookyswap-2", "BOO", "SpookySwap"): "spookyswap-2",
    ("apx-apollox-token", "APX", "ApolloX Token"): "apollox-2",
}


def test_a_coin_whose_partner_is_missing_is_merged_into_no_old_or_bridged_copy(
    engine: Engine, gecko: list[DeclaredCoin], overrides: Path
) -> None:
    gone = set(PARTNER_GONE.values())
    resolve_coins(engine, "coingecko", [c for c in gecko if c.source_coin_id not in gone], "source-id")
    resolve_coins(engine, "coinpaprika", [DeclaredCoin(*key) for key in PARTNER_GONE], "source-id")
    found = mappings(engine)
    # each founds its own coin: the id of "Liquidus (Old)" (`liquidus`) is the old token's name, no name key of it
    assert {key[0]: found[key[0]][1] for key in PARTNER_GONE} == {key[0]: "source-id" for key in PARTNER_GONE}
    assert not {canonical for canonical, _, _ in found.values()} & {c.source_coin_id for c in gecko}
