"""How far apart two readings of the same asset are, and of decoys, on the recorded data: the basis of
the market-evidence tolerances (``COINFLOW_IDENTITY_*_TOLERANCE_PCT``).

- Same asset, two sources: every recorded CoinPaprika ticker of Bitcoin (2020, 2021, 2022) against
  CoinGecko's daily export points on either side of it (the only asset both sources recorded for the
  same days): price gap, market-cap gap, and the hours between the readings.
- Decoys, one instant: every pair of coins in the recorded CoinGecko /coins/markets snapshot
  (2025-03-04 14:45) whose prices agree within 5 %: their market-cap gap. These are the copies and
  pegs (USDT/USDC, BTC/WBTC, ETH/stETH/WETH) that price alone would merge.
"""

import csv
import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from flows.identity_market import relative_gap_pct

_TICKERS = (
    "coinpaprika/tickers__unidentified-redux-portfolio-demo_2020-06-10.json",
    "coinpaprika/tickers__smartcontractkit-external-adapters-js_readme_2021-10-22.json",
    "coinpaprika/tickers_id__openbb_btc-bitcoin_2022-04-19.json",
)
_EXPORT = "csv/coingecko_export_btc-usd-max__AmbiguousError-btc.csv"
_MARKETS = "coingecko/coins_markets__RozanovIgor-monkey_usd_per_page30_2025-03-04.json"


def same_asset_gaps(reference: Path) -> list[tuple[float, float, float]]:
    """(hours apart, price gap %, market-cap gap %) for Bitcoin, CoinPaprika vs CoinGecko."""
    with (reference / _EXPORT).open(newline="") as handle:
        daily = {row["snapped_at"][:10]: row for row in csv.DictReader(handle)}
    gaps = []
    for name in _TICKERS:
        body = json.loads((reference / name).read_text())
        [btc] = [t for t in (body if isinstance(body, list) else [body]) if t["id"] == "btc-bitcoin"]
        at = _at(btc["last_updated"])
        usd = btc["quotes"]["USD"]
        for day in (at.date(), at.date() + timedelta(days=1)):
            point = daily[day.isoformat()]
            hours = abs((datetime.combine(day, time(), UTC) - at).total_seconds()) / 3600
            price = relative_gap_pct(float(point["price"]), usd["price"])
            cap = relative_gap_pct(float(point["market_cap"]), usd["market_cap"])
            gaps.append((hours, price, cap))
    return gaps


def decoy_gaps(reference: Path, price_within_pct: float = 5.0) -> list[tuple[float, float, str, str]]:
    """(price gap %, market-cap gap %, id, id) for coin pairs of one snapshot whose prices agree."""
    coins = json.loads((reference / _MARKETS).read_text())
    pairs = []
    for i, a in enumerate(coins):
        for b in coins[i + 1 :]:
            price = relative_gap_pct(a["current_price"], b["current_price"])
            if price <= price_within_pct:
                pairs.append((price, relative_gap_pct(a["market_cap"], b["market_cap"]), a["id"], b["id"]))
    return sorted(pairs, key=lambda p: p[1])


def readings(reference: Path) -> tuple[dict[str, list[datetime]], dict[str, list[datetime]]]:
    """When each coin was read: CoinPaprika id -> ticker times, CoinGecko id -> /coins/markets times,
    from every recorded tickers and markets file (the only recorded readings with a market cap)."""
    paprika: dict[str, list[datetime]] = {}
    for path in sorted((reference / "coinpaprika").glob("tickers*.json")):
        if path.name.endswith(".meta.json"):
            continue
        body = json.loads(path.read_text())
        for t in body if isinstance(body, list) else [body]:
            paprika.setdefault(t["id"], []).append(_at(t["last_updated"]))
    gecko: dict[str, list[datetime]] = {}
    for path in sorted((reference / "coingecko").glob("coins_markets*.json")):
        if not path.name.endswith(".meta.json"):
            for c in json.loads(path.read_text()):
                gecko.setdefault(c["id"], []).append(_at(c["last_updated"]))
    return paprika, gecko


def coverage(reference: Path, truth: dict[str, str], window_minutes: float) -> str:
    """How many held-out pairs (CoinPaprika id -> CoinGecko id) market evidence could be scored on:
    each side read at all, and both read within ``window_minutes`` of each other."""
    paprika, gecko = readings(reference)
    both = [
        p
        for p, g in truth.items()
        if any(abs(a - b) <= timedelta(minutes=window_minutes) for a in paprika.get(p, []) for b in gecko.get(g, []))
    ]
    return (
        f"{len(truth)} pairs: CoinPaprika reading for {sum(p in paprika for p in truth)}, CoinGecko reading for "
        f"{sum(g in gecko for g in truth.values())}, both within {window_minutes:g} min: {len(both)}"
    )


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def report(reference: Path) -> list[str]:
    """Lines for bench/identity_report.py."""
    lines = ["same asset (Bitcoin), CoinPaprika ticker vs CoinGecko daily point:"]
    for hours, price, cap in same_asset_gaps(reference):
        lines.append(f"  {hours:5.1f} h apart: price {price:5.2f} %, market cap {cap:5.2f} %")
    lines.append("decoys, one CoinGecko snapshot, prices within 5 %:")
    for price, cap, a, b in decoy_gaps(reference):
        lines.append(f"  {a} / {b}: price {price:.2f} %, market cap {cap:.1f} %")
    return lines
