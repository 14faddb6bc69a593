"""Pandera over price rows in coinflow's unified CSV format: rows/s and the process's peak memory.

Run as its own process (`python -m bench.validation_rows --rows N`) so the peak RSS is validation's
alone; prints one JSON object: {"rows", "seconds", "rows_per_s", "peak_rss_mib", "rejected"}.
One row in 1,000 is bad (a negative price), so the rejection path runs too.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from validation.csv_file import csv_prices_schema
from validation.quarantine import split_valid


def frame(rows: int, seed: int = 3) -> pd.DataFrame:
    """``rows`` rows as the CSV reader hands them over: text timestamps, float values, 1/1000 bad."""
    rng = np.random.default_rng(seed)
    coins = 1000
    prices = rng.uniform(0.01, 70_000, rows)
    prices[::1000] = -1.0
    stamps = pd.date_range("2020-01-01", periods=rows // coins + 1, freq="h", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    return pd.DataFrame(
        {
            "symbol": [f"C{i % coins}" for i in range(rows)],
            "name": [f"Coin {i % coins}" for i in range(rows)],
            "timestamp": np.asarray(stamps)[np.arange(rows) // coins],
            "price_usd": prices,
            "market_cap_usd": rng.uniform(1e6, 1e12, rows),
            "volume_24h_usd": rng.uniform(1e3, 1e10, rows),
        }
    )


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM), MiB; 0 where /proc is missing."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    line = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    data = frame(args.rows)
    start = time.perf_counter()
    outcome = split_valid(data, csv_prices_schema)
    seconds = time.perf_counter() - start
    figures = {
        "rows": args.rows,
        "seconds": seconds,
        "rows_per_s": args.rows / seconds,
        "peak_rss_mib": peak_rss_mib(),
        "rejected": len(outcome.reasons),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
