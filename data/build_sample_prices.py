"""Rebuild data/sample_prices.csv from the real files in ../shared/reference (run once, output committed).

BTC: CoinGecko's "Download CSV" export (daily, 2013-2025). ETH: the Kaggle 2021 data set (daily
close, volume, market cap). 28 more coins: one real /coins/markets snapshot (2025-03-04), in the USD
version the source server replays (the recording's values are EUR: data/sources/derive_usd_markets.py).
Rows are sorted by time, so rows appended later are newer observations, as in a growing export.
"""

import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
MARKETS = (
    Path(__file__).resolve().parent
    / "sources/recorded/coingecko/coins_markets__RozanovIgor-monkey_eur-converted-to-usd_2025-03-04.json"
)
HEADER = ["symbol", "name", "timestamp", "price_usd", "market_cap_usd", "volume_24h_usd"]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _btc() -> list[list[str]]:
    path = REFERENCE / "csv" / "coingecko_export_btc-usd-max__AmbiguousError-btc.csv"
    with path.open(newline="") as handle:
        return [
            [
                "BTC",
                "Bitcoin",
                _iso(datetime.strptime(r["snapped_at"], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)),
                r["price"],
                r["market_cap"],
                r["total_volume"],
            ]
            for r in csv.DictReader(handle)
        ]


def _eth() -> list[list[str]]:
    path = REFERENCE / "csv" / "kaggle2021_coin_Ethereum__Thanos6988-Cryptocurrency-Historical-Prices-Data-Analysis.csv"
    with path.open(newline="") as handle:
        return [
            [
                "ETH",
                "Ethereum",
                _iso(datetime.strptime(r["Date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)),
                r["Close"],
                r["Marketcap"],
                r["Volume"],
            ]
            for r in csv.DictReader(handle)
        ]


def _markets() -> list[list[str]]:
    rows = []
    for coin in json.loads(MARKETS.read_text()):
        if coin["symbol"] in ("btc", "eth"):
            continue  # already covered by full histories
        stamp = datetime.fromisoformat(coin["last_updated"].replace("Z", "+00:00"))
        rows.append(
            [
                coin["symbol"].upper(),
                coin["name"],
                _iso(stamp),
                str(coin["current_price"]),
                str(coin["market_cap"] or ""),
                str(coin["total_volume"] or ""),
            ]
        )
    return rows


def main(out: Path) -> None:
    rows = sorted(_btc() + _eth() + _markets(), key=lambda r: (r[2], r[0]))
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("sample_prices.csv"))
