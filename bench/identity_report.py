"""Identity resolution over real coin lists: how many CoinPaprika coins match a CoinGecko coin, by
which rule, which stay unmatched or tied, and how long resolution takes.

Inputs: the full recorded CoinGecko /coins/list (17,892 coins) and every CoinPaprika coin in the
recorded tickers and coin lists, from ../shared/reference (or --reference DIR). Prints each match with
its method and evidence so a reviewer can confirm there is no false merge, then scores the held-out
pairs of data/identity_eval/ (bench/identity_heldout.py): coins the rules were not written against;
the partner-absent stress test (CoinGecko coins declared with their own entry taken out: every match
is a merge into another asset); how many held-out pairs have same-time market readings to score market
evidence on; and the price and market-cap disagreement market evidence's tolerances rest on.

Usage: uv run python bench/identity_report.py [--reference DIR] [--database-url URL]
"""

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import identity_market_gaps
from bench.identity_heldout import (
    PAIRS,
    TEST_PAIRS,
    partner_absent,
    partner_absent_report,
    read_pairs,
    report,
    score,
    universe_of,
)
from flows.identity import decide, read_overrides, resolve_coins
from models.coins import DeclaredCoin
from models.db import make_engine
from models.migrate import upgrade
from models.settings import get_settings

# The shared reference folder beside the checkout (a worktree sits one level deeper than the main clone).
REFERENCE = next(
    (p / "shared" / "reference" for p in Path(__file__).resolve().parents if (p / "shared" / "reference").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "reference",
)


def coingecko_coins(reference: Path) -> list[DeclaredCoin]:
    data = json.loads((reference / "coingecko" / "coins_list__rotki-test-caching.json").read_text())
    return [DeclaredCoin(c["id"], c["symbol"], c["name"], c.get("platforms"), canonical_hint=c["id"]) for c in data]


def coinpaprika_coins(reference: Path) -> list[DeclaredCoin]:
    coins: dict[str, DeclaredCoin] = {}
    for path in sorted((reference / "coinpaprika").glob("*.json")):
        if path.name.endswith(".meta.json") or not path.name.startswith(("tickers__", "coins_list__")):
            continue
        for c in json.loads(path.read_text()):
            coins[c["id"]] = DeclaredCoin(c["id"], c["symbol"], c["name"])
    return list(coins.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = parser.parse_args()
    gecko, paprika = coingecko_coins(args.reference), coinpaprika_coins(args.reference)
    overrides = read_overrides(get_settings().coin_overrides_file)

    # The rules alone, in memory: CoinGecko's list as the existing universe, CoinPaprika's coins declared.
    universe = universe_of(gecko)
    start = time.perf_counter()
    automatic = decide("coinpaprika", paprika, universe, {}, "source-id")
    rules_s = time.perf_counter() - start
    decisions = decide("coinpaprika", paprika, universe, overrides, "source-id")

    # End to end through the database: resolve_coins for both whole lists.
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'identity.db'}"
        upgrade(url)
        engine = make_engine(url)
        start = time.perf_counter()
        resolve_coins(engine, "coingecko", gecko, "source-id")
        gecko_s = time.perf_counter() - start
        start = time.perf_counter()
        resolve_coins(engine, "coinpaprika", paprika, "source-id")
        paprika_s = time.perf_counter() - start
        engine.dispose()

    print(f"CoinGecko coins: {len(gecko):,}   CoinPaprika coins (recorded): {len(paprika)}")
    print(f"rules over {len(gecko):,} x {len(paprika)} coins in memory: {rules_s * 1000:.1f} ms")
    print(f"resolve_coins through the database: CoinGecko list {gecko_s:.2f} s, CoinPaprika list {paprika_s:.2f} s")
    for label, run in (("automatic rules only", automatic), ("with data/coin_overrides.csv", decisions)):
        matched = sum(d.canonical_id is not None for d in run)
        methods = dict(Counter(d.method for d in run))
        print(f"{label}: matched {matched}/{len(paprika)} ({100 * matched / len(paprika):.1f}%) {methods}")
    merged = [d for d in decisions if d.canonical_id is not None]
    print("\nmatches (review for false merges):")
    for d in sorted(merged, key=lambda d: d.coin.source_coin_id):
        print(f"  {d.method:<12} {d.coin.source_coin_id:<32} {d.coin.symbol:<8} {d.coin.name:<32} -> {d.canonical_id}"
              + ("" if d.method == "symbol+name" else f"   [{d.evidence}]"))  # fmt: skip
    print("\nunmatched or tied:")
    for d in sorted((d for d in decisions if d.canonical_id is None), key=lambda d: d.coin.source_coin_id):
        print(f"  {d.method:<12} {d.coin.source_coin_id:<32} {d.coin.symbol:<8} {d.coin.name:<32} {list(d.candidates)}")
    recorded = {c.source_coin_id for c in paprika}
    dev = score(gecko, recorded)
    test = score(gecko, recorded | {p for p, _ in read_pairs(PAIRS)}, TEST_PAIRS)
    print("\nheld-out dev set (data/identity_eval/*ccpw*; rules revised after reading its misses), rules only:")
    for line in report(dev):
        print(line)
    print("\nheld-out test set (data/identity_eval/*komodo*; scored once the rules were written), rules only:")
    for line in report(test):
        print(line)
    window = get_settings().identity_market_window_minutes
    print("\nmarket evidence on the held-out pairs: recorded readings with a market cap (tickers, /coins/markets)")
    for label, held in (("dev", dev), ("test", test)):
        print(f"  {label}: {identity_market_gaps.coverage(args.reference, held.truth, window)}")
    print("\npartner taken out (every 8th CoinGecko coin declared without its partner), rules only:")
    for line in partner_absent_report(partner_absent(gecko)):
        print(line)
    print("\nmarket evidence: disagreement on the recorded data (bench/identity_market_gaps.py)")
    for line in identity_market_gaps.report(args.reference):
        print(line)


if __name__ == "__main__":
    main()
