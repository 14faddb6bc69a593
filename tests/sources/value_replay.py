"""A small replay data set for value tests: the recorded payloads of the cases issue 12 names (empty
symbols, zero sentinels, candles incl. partial ones), served by the real replay server.

Built per test session in a temporary folder in the layout ``deployments/source_server`` reads; every
file comes from ``data/sources`` (recordings, see their ``.meta.json``) or is stated below.
"""

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data" / "sources"
RECORDED = DATA / "recorded"
CG_LIST_IDS = ("bitcoin", "ethereum", "arcium", "nyla-ai", "hyperion-staked-aptos")
OHLCV_ETH = "coins_id_ohlcv_historical__openbb_eth-ethereum_2022-01-19_2022-04-19.json"
OHLCV_TODAY_BTC = "coins_id_ohlcv_today__be-nazil-CoinInfo_btc-bitcoin_2025-09-25.json"
# The recorded markets page is in EUR though labelled USD; its USD version (data/sources/derive_usd_markets.py).
CG_MARKETS_USD = "coins_markets__RozanovIgor-monkey_eur-converted-to-usd_2025-03-04.json"
CHART_BTC = "coins_id_market_chart_range__bitcoin_from-coingecko-export.json"
PRICE_ZERO_AT_MS = 1491264000000  # 2017-04-04 00:00 UTC: a point added with price 0 (a distortion)


def build(root: Path, now: datetime) -> Path:
    """Write the data set under ``root`` and return it; ``now`` dates the still-open candle."""
    cg, cp = root / "coingecko", root / "coinpaprika"
    for folder in (cg / "market_chart", cp / "historical", cp / "ohlcv"):
        folder.mkdir(parents=True)
    _coingecko(cg)
    _coinpaprika(cp, now)
    return root


def open_candle(now: datetime) -> dict[str, Any]:
    """A real closed ETH candle moved to today (UTC): its period ends at the next midnight, after ``now``."""
    row = dict(_read(RECORDED / "coinpaprika" / OHLCV_ETH)[2])
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    row["time_open"] = f"{today:%Y-%m-%dT%H:%M:%SZ}"
    row["time_close"] = f"{today + timedelta(days=1, seconds=-1):%Y-%m-%dT%H:%M:%SZ}"
    return row


def _coingecko(out: Path) -> None:
    listed = [c for c in _read(DATA / "coingecko" / "coins_list.json") if c["id"] in CG_LIST_IDS]
    _write(out / "coins_list.json", listed)
    markets = _read(RECORDED / "coingecko" / CG_MARKETS_USD)[:2]
    markets += _read(RECORDED / "coingecko" / "coins_markets__empty-symbols-and-zero-sentinels_constructed.json")
    _write(out / "coins_markets.json", markets)
    shutil.copyfile(DATA / "coingecko" / "error_429.json", out / "error_429.json")
    chart = _read(RECORDED / "coingecko" / CHART_BTC)
    chart["prices"].append([PRICE_ZERO_AT_MS, 0.0])
    chart["market_caps"].append([PRICE_ZERO_AT_MS, 18e9])
    chart["total_volumes"].append([PRICE_ZERO_AT_MS, 1e8])
    _write(out / "market_chart" / "bitcoin.json", chart)


def _coinpaprika(out: Path, now: datetime) -> None:
    shutil.copyfile(DATA / "coinpaprika" / "coins.json", out / "coins.json")
    for name in ("error_404", "error_429"):
        shutil.copyfile(DATA / "coinpaprika" / f"{name}.json", out / f"{name}.json")
    tickers = _read(RECORDED / "coinpaprika" / "tickers__unidentified-redux-portfolio-demo_2020-06-10.json")
    sentinels = _read(RECORDED / "coinpaprika" / "tickers__zero-and-empty-sentinels_constructed.json")
    replaced = {t["id"] for t in sentinels}
    _write(out / "tickers.json", [t for t in tickers if t["id"] not in replaced] + sentinels)
    _write(out / "ohlcv" / "eth-ethereum.json", [*_read(RECORDED / "coinpaprika" / OHLCV_ETH), open_candle(now)])
    _write(out / "ohlcv" / "btc-bitcoin.json", _read(RECORDED / "coinpaprika" / OHLCV_TODAY_BTC))
    for coin in ("btc-bitcoin", "eth-ethereum"):
        shutil.copyfile(DATA / "coinpaprika" / "historical" / f"{coin}.json", out / "historical" / f"{coin}.json")


def _read(path: Path) -> Any:
    return json.loads(path.read_text())


def _write(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload))
