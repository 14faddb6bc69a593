"""Derive the USD markets page the source server replays from the recorded one, which is in EUR.

The recording ``coins_markets__RozanovIgor-monkey_usd_per_page30_2025-03-04.json`` was requested with
``vs_currency=usd`` but its values are euros: its four USD-pegged coins trade at 0.9487-0.9507 and its
bitcoin ATH is 105,495 (the euro figure; the dollar ATH was 108,786). coinflow refuses that page
(validation/quote_currency.py). The demo and the tests replay this derived page instead: every money
field times the USD value of one unit that the page's own pegged coins imply (1 / their median price);
ratios and percentages are unit-free and kept.
Run once, output committed:

    uv run python data/sources/derive_usd_markets.py
"""

import json
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent / "recorded" / "coingecko"
RECORDED = HERE / "coins_markets__RozanovIgor-monkey_usd_per_page30_2025-03-04.json"
DERIVED = HERE / "coins_markets__RozanovIgor-monkey_eur-converted-to-usd_2025-03-04.json"
PEGGED = ("tether", "usd-coin", "usds", "ethena-usde")
PRICE_FIELDS = ("current_price", "high_24h", "low_24h", "price_change_24h", "ath", "atl")  # 6 significant figures
TOTAL_FIELDS = ("market_cap", "fully_diluted_valuation", "total_volume", "market_cap_change_24h")  # whole dollars


def usd_per_unit(rows: list[dict]) -> float:
    """USD per unit of the page's currency: 1 / the median price of its USD-pegged coins."""
    return 1 / statistics.median(row["current_price"] for row in rows if row["id"] in PEGGED)


def in_usd(rows: list[dict], rate: float) -> list[dict]:
    """``rows`` with every money field times ``rate``: prices to 6 significant figures as CoinGecko sends
    them, market caps and volumes to whole dollars (cents where the recording has a fraction)."""
    converted = []
    for row in rows:
        row = dict(row)
        for field in PRICE_FIELDS:
            if row.get(field) is not None:
                row[field] = float(f"{row[field] * rate:.6g}")
        for field in TOTAL_FIELDS:
            if row.get(field) is not None:
                row[field] = round(row[field] * rate) if isinstance(row[field], int) else round(row[field] * rate, 2)
        converted.append(row)
    return converted


def main() -> None:
    rows = json.loads(RECORDED.read_text())
    rate = usd_per_unit(rows)
    DERIVED.write_text(json.dumps(in_usd(rows, rate), indent=4) + "\n")
    meta = {
        "label": "DERIVED",
        "derived_from": RECORDED.name,
        "why": "the recording is labelled vs_currency=usd but its values are EUR: tether 0.949312, usd-coin "
        "0.949885, usds 0.950653, ethena-usde 0.948673; bitcoin ath 105495 on 2025-01-20 is the EUR ATH",
        "how": f"money fields times {rate:.6f} USD per EUR, the rate implied by the median of the four pegged "
        f"coins' prices: prices ({', '.join(PRICE_FIELDS)}) to 6 significant figures, "
        f"totals ({', '.join(TOTAL_FIELDS)}) to whole dollars; everything else as recorded. ath/atl are converted "
        "at the snapshot's rate, not their own day's (bitcoin's becomes 111,094; its real USD ATH then was "
        "108,786): approximate, and coinflow "
        "stores neither",
        "made_by": "data/sources/derive_usd_markets.py",
    }
    DERIVED.with_suffix("").with_suffix(".meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {DERIVED.name}: {len(rows)} rows at {rate:.6f} USD per unit")


if __name__ == "__main__":
    main()
