"""Build the local source server's data from the recorded real responses in ``recorded/``.

The recordings are small (30 CoinGecko markets rows, a 3-point chart, 13-15 CoinPaprika tickers, one
90-day OHLCV series), so longer histories and more coins are generated from them keeping every field
and type of the real shapes: a deterministic random walk (seeded by the coin id) that ends exactly at
the coin's recorded price, daily points at 00:00 UTC like CoinGecko's >90-day granularity.

    uv run python data/sources/generate.py                     # the committed default set
    uv run python data/sources/generate.py --coins 500 --days 365 --out /tmp/bench-sources
"""

import argparse
import copy
import hashlib
import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "recorded"
# The recorded markets page is in EUR though labelled USD: the USD page derived from it (derive_usd_markets.py).
CG_MARKETS = RECORDED / "coingecko" / "coins_markets__RozanovIgor-monkey_eur-converted-to-usd_2025-03-04.json"
# Recorded (rotki/test-caching, see coins_list.meta.json), kept once: it is 1 MB.
CG_LIST = HERE / "coingecko" / "coins_list.json"
CP_TICKERS = RECORDED / "coinpaprika" / "tickers__smartcontractkit-external-adapters-js_readme_2021-10-22.json"
CP_TICKERS_2020 = RECORDED / "coinpaprika" / "tickers__unidentified-redux-portfolio-demo_2020-06-10.json"
CP_COINS = RECORDED / "coinpaprika" / "coins_list__unidentified-react-coins-page_2023-early.json"
CP_OHLCV = RECORDED / "coinpaprika" / "coins_id_ohlcv_historical__openbb_eth-ethereum_2022-01-19_2022-04-19.json"
# The day the recorded CoinGecko markets snapshot was taken; generated histories end on it.
HISTORY_END = datetime(2025, 3, 4, tzinfo=UTC)
DAY_MS = 86_400_000


def main() -> None:
    """Write the generated data set (see the module docstring for the options)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--coins", type=int, default=120, help="CoinGecko markets rows (30 are recorded)")
    parser.add_argument("--history-coins", type=int, default=5, help="coins with a generated history, per source")
    parser.add_argument("--days", type=int, default=400, help="days of history per coin")
    args = parser.parse_args()
    write_coingecko(args.out / "coingecko", args.coins, args.history_coins, args.days)
    write_coinpaprika(args.out / "coinpaprika", args.history_coins, args.days)


def write_coingecko(out: Path, coins: int, history_coins: int, days: int) -> None:
    """``coins_markets.json``, ``coins_list.json``, ``market_chart/<id>.json`` and the 429 body."""
    recorded = json.loads(CG_MARKETS.read_text())
    coin_list = json.loads(CG_LIST.read_text())
    markets = recorded + _more_markets(recorded, coin_list, coins - len(recorded))
    _reset(out / "market_chart")
    _dump(out / "coins_markets.json", markets)
    if out / "coins_list.json" != CG_LIST:
        shutil.copyfile(CG_LIST, out / "coins_list.json")
    shutil.copyfile(RECORDED / "coingecko" / "error_429__issue-logs.json", out / "error_429.json")
    for row in markets[:history_coins]:
        points = _walk(row["id"], float(row["current_price"]), days)
        caps = row["market_cap"] / row["current_price"]
        volumes = row["total_volume"] / row["current_price"]
        chart = {
            "prices": [[t, p] for t, p in points],
            "market_caps": [[t, p * caps] for t, p in points],
            "total_volumes": [[t, p * volumes * _wiggle(row["id"], t)] for t, p in points],
        }
        _dump(out / "market_chart" / f"{row['id']}.json", chart)


def write_coinpaprika(out: Path, history_coins: int, days: int) -> None:
    """``coins.json``, ``tickers.json``, ``historical/<id>.json``, ``ohlcv/<id>.json`` and error bodies."""
    tickers = json.loads(CP_TICKERS.read_text())
    known = {t["id"] for t in tickers}
    tickers += [t for t in json.loads(CP_TICKERS_2020.read_text()) if t["id"] not in known]
    _reset(out / "historical")
    _reset(out / "ohlcv")
    _dump(out / "tickers.json", tickers)
    shutil.copyfile(CP_COINS, out / "coins.json")
    for name in ("error_404", "error_429"):
        found = (RECORDED / "coinpaprika").glob(f"{name}__*.json")
        source = next(path for path in found if not path.name.endswith(".meta.json"))
        shutil.copyfile(source, out / f"{name}.json")
    ohlcv_shape = json.loads(CP_OHLCV.read_text())[0]
    for ticker in tickers[:history_coins]:
        quote = ticker["quotes"]["USD"]
        points = _walk(ticker["id"], float(quote["price"]), days)
        supply = quote["market_cap"] / quote["price"]
        historical = [
            {
                "timestamp": _rfc3339(t),
                "price": round(p, 8),
                "volume_24h": int(quote["volume_24h"] * _wiggle(ticker["id"], t)),
                "market_cap": int(p * supply),
            }
            for t, p in points
        ]
        _dump(out / "historical" / f"{ticker['id']}.json", historical)
        candles = []
        for (t, p), (_, close) in zip(points, points[1:] + points[-1:], strict=True):
            candle = copy.deepcopy(ohlcv_shape)
            candle.update(
                time_open=_rfc3339(t),
                time_close=_rfc3339(t + DAY_MS - 1000),
                open=p,
                high=max(p, close) * 1.01,
                low=min(p, close) * 0.99,
                close=close,
                volume=int(quote["volume_24h"] * _wiggle(ticker["id"], t)),
                market_cap=int(close * supply),
            )
            candles.append(candle)
        _dump(out / "ohlcv" / f"{ticker['id']}.json", candles)


def _more_markets(recorded: list[dict[str, Any]], coin_list: list[dict[str, str]], count: int) -> list[dict[str, Any]]:
    """Markets rows for real listed coins, shaped like a recorded row, with market values below the last
    recorded row's, halving every ten ranks.

    Prices are the template's times a factor of the coin's own (0.001x-10x, seeded by its id), with the
    supplies adjusted so market cap = price x circulating supply still holds: a generated coin never carries
    a recorded coin's real price (a demo "trinique" at Bitcoin's $84,085 looked like a wrong stored value).
    """
    taken = {row["id"] for row in recorded}
    candidates = [c for c in coin_list if c["id"] not in taken and c["id"].isascii() and " " not in c["id"]]
    rng = random.Random(20250304)
    picked = rng.sample(candidates, max(0, count))
    rows = []
    for offset, coin in enumerate(picked):
        template = copy.deepcopy(recorded[offset % len(recorded)])
        rank = len(recorded) + offset + 1
        # Below the last recorded row's market cap, halving every ten ranks: ranks stay in market-cap order.
        scale = recorded[-1]["market_cap"] / template["market_cap"] * 0.5 ** (1 + offset / 10)
        for field in ("market_cap", "fully_diluted_valuation", "total_volume", "market_cap_change_24h"):
            if template.get(field) is not None:
                template[field] = round(template[field] * scale, 2)
        factor = _price_factor(coin["id"])
        for field in PRICE_FIELDS:
            if template.get(field) is not None:
                template[field] = float(f"{template[field] * factor:.6g}")
        for field in SUPPLY_FIELDS:
            if template.get(field) is not None:
                template[field] = round(template[field] * scale / factor, 2)
        template.update(
            id=coin["id"],
            symbol=coin["symbol"],
            name=coin["name"],
            image=f"https://coin-images.coingecko.com/coins/images/{rank}/large/{coin['id']}.png",
            market_cap_rank=rank,
        )
        rows.append(template)
    return rows


PRICE_FIELDS = ("current_price", "high_24h", "low_24h", "price_change_24h", "ath", "atl")
SUPPLY_FIELDS = ("circulating_supply", "total_supply", "max_supply")


def _price_factor(coin_id: str) -> float:
    """A per-coin price multiplier in [0.001, 10), log-uniform, from the id's hash."""
    unit = int(hashlib.sha256(f"price:{coin_id}".encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    return 10 ** (-3 + 4 * unit)


def _walk(coin_id: str, end_price: float, days: int) -> list[tuple[int, float]]:
    """``days`` daily (ms timestamp, price) points ending at ``end_price`` on HISTORY_END."""
    rng = random.Random(int(hashlib.sha256(coin_id.encode()).hexdigest()[:8], 16))
    prices = [end_price]
    for _ in range(days - 1):
        prices.append(prices[-1] / (1 + rng.gauss(0, 0.03)))
    end_ms = int(HISTORY_END.timestamp() * 1000)
    return [(end_ms - i * DAY_MS, price) for i, price in enumerate(prices)][::-1]


def _wiggle(coin_id: str, t: int) -> float:
    return 0.7 + (int(hashlib.sha256(f"{coin_id}{t}".encode()).hexdigest()[:4], 16) / 65535) * 0.6


def _rfc3339(ms: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reset(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def _dump(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, separators=(",", ":")))


if __name__ == "__main__":
    main()
