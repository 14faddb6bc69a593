"""Benchmark the API sources against the local source server, end to end through the Prefect flow.

1. First run of CoinGecko with 500 coins x 365 days of history (+ a 500-coin markets snapshot) and
   CoinPaprika (tickers + history of its recorded coins): rows/s end to end.
2. A full incremental run of both sources with nothing new: requests sent, rows written, wall time.

    uv run python bench/sources/bench_sources.py [--database-url postgresql+psycopg2://...] [--coins 500]

Flows run against a temporary Prefect server on SQLite (``prefect_test_harness``), or against the
server ``PREFECT_API_URL`` names when it is set. On the temporary server the next flow run waits
(503 "database is locked", client backoff) while the server records the last run's ~2,500 task
runs: ~60 s of a 90 s nothing-new run at 500 coins, ~0 s on a Prefect server backed by PostgreSQL.

Data is generated into a temp folder with data/sources/generate.py (same shapes as the committed set).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from deployments.source_server.runner import serve_in_thread  # noqa: E402

HISTORY_END = "2025-03-04"
HISTORY_START = "2024-03-06"  # 365 daily points up to HISTORY_END


def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--coins", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "sources"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "data/sources/generate.py"),
                "--out",
                str(data),
                "--coins",
                str(args.coins),
                "--history-coins",
                str(args.coins),
                "--days",
                "400",
            ],
            check=True,
        )
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        with serve_in_thread(data) as (server_url, book):
            _configure(url, server_url, data)
            _measure(url, book)


def _configure(database_url: str, server_url: str, data: Path) -> None:
    markets = json.loads((data / "coingecko" / "coins_markets.json").read_text())
    tickers = json.loads((data / "coinpaprika" / "tickers.json").read_text())
    paprika_history = sorted(p.stem for p in (data / "coinpaprika" / "historical").glob("*.json"))
    known = {c["id"] for c in json.loads((data / "coinpaprika" / "coins.json").read_text())}
    os.environ.update(
        {
            "COINFLOW_DATABASE_URL": database_url,
            "COINFLOW_COINGECKO_BASE_URL": f"{server_url}/api/v3",
            "COINFLOW_COINPAPRIKA_BASE_URL": f"{server_url}/v1",
            "COINFLOW_COINGECKO_REQUESTS_PER_MINUTE": "1000000",
            "COINFLOW_COINPAPRIKA_REQUESTS_PER_SECOND": "100000",
            "COINFLOW_COINPAPRIKA_REQUESTS_PER_MINUTE": "1000000",
            "COINFLOW_HISTORY_START": HISTORY_START,
            "COINFLOW_HISTORY_END": HISTORY_END,
            "COINFLOW_COINGECKO_MARKETS_PER_PAGE": "250",
            "COINFLOW_COINGECKO_MARKETS_MAX_PAGES": "10",
            "COINFLOW_COINGECKO_HISTORY_COINS": json.dumps([row["id"] for row in markets]),
            "COINFLOW_COINPAPRIKA_HISTORY_COINS": json.dumps([c for c in paprika_history if c in known]),
        }
    )
    print(
        f"CoinGecko: {len(markets)} markets rows, {len(markets)} coins of history; CoinPaprika: "
        f"{len(tickers)} tickers, {len([c for c in paprika_history if c in known])} coins of history"
    )


def _measure(database_url: str, book: Any) -> None:
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from flows.ingest import ingest, run_summaries
    from models.migrate import upgrade

    upgrade(database_url)
    server = nullcontext() if PREFECT_API_URL.value() else prefect_test_harness(server_startup_timeout=120)
    with server:
        for label in ("first run", "incremental run (nothing new)"):
            book.clear()
            totals: dict[str, int] = {"read": 0, "landed": 0, "inserted": 0, "updated": 0}
            started = time.perf_counter()
            for source in ("coingecko", "coinpaprika"):
                state = ingest(source=source, return_state=True)
                summaries = run_summaries(state)
                for summary in summaries:
                    if summary.status != "succeeded":
                        raise SystemExit(f"{source} failed: {summary.error}")
                    for key in totals:
                        totals[key] += getattr(summary, key)
            elapsed = time.perf_counter() - started
            written = totals["landed"] + totals["inserted"] + totals["updated"]
            print(f"\n{label} ({database_url.split(':')[0]}): {elapsed:.1f} s wall, {len(book.requests)} requests")
            print(
                f"  prices inserted {totals['inserted']}, updated {totals['updated']}, raw landed {totals['landed']}, "
                f"records read {totals['read']}; rows written {written}"
            )
            if totals["inserted"]:
                print(
                    f"  {totals['inserted'] / elapsed:,.0f} price rows/s end to end "
                    f"({totals['read'] / elapsed:,.0f} records/s incl. the 17,892-coin list)"
                )


if __name__ == "__main__":
    main()
