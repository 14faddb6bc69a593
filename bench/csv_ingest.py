"""Benchmark the CSV path end to end beside the load step on the same rows (issue 18).

Generates a file in coinflow's own format (``symbol,name,timestamp,price_usd,market_cap_usd,
volume_24h_usd``; COINS coins x hourly rows), runs ``coinflow ingest --file`` on it as a real
subprocess (its own Prefect temporary server unless PREFECT_API_URL is set), then times
``models.load.load_batch`` on the very prices the ingest stored (deleted first, loaded again in
batches of the chunk size). Prints per backend: wall, rows/s, rows per CPU-second and peak RSS of
the ingest process, the load step's rows/s and the ratio, database growth against the file's size,
and the nothing-new re-run's wall.

Usage: uv run python bench/csv_ingest.py [--rows N] [--backend postgresql|sqlite|both] [--chunk N]
         [--file PATH]   (an existing coinflow-format file instead of a generated one)
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from bench.load_prices import database
from models.db import make_engine
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.migrate import upgrade
from models.run_log import start_run

REPO = Path(__file__).resolve().parent.parent
COINS = 690


def generate(path: Path, rows: int, seed: int = 18) -> int:
    """Write ``rows`` (rounded down to whole coins) hourly rows of COINS coins; returns the row count."""
    rng = np.random.default_rng(seed)
    per_coin = max(1, rows // COINS)
    stamps = pd.date_range("2020-01-01", periods=per_coin, freq="h", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    with path.open("w", encoding="utf-8") as handle:
        handle.write("symbol,name,timestamp,price_usd,market_cap_usd,volume_24h_usd\n")
        for coin in range(COINS):
            frame = pd.DataFrame(
                {
                    "symbol": f"C{coin}",
                    "name": f"Coin {coin}",
                    "timestamp": stamps,
                    "price_usd": rng.uniform(0.0001, 70_000, per_coin).round(6),
                    "market_cap_usd": rng.uniform(1e6, 1e12, per_coin).round(0),
                    "volume_24h_usd": rng.uniform(1e3, 1e10, per_coin).round(2),
                }
            )
            frame.to_csv(handle, header=False, index=False, lineterminator="\n")
    return per_coin * COINS


def database_bytes(engine: Engine, url: str) -> int:
    """The database's size on disk (SQLite: the file; PostgreSQL: pg_database_size)."""
    if engine.dialect.name == "sqlite":
        return Path(url.removeprefix("sqlite:///")).stat().st_size
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def run_ingest(url: str, path: Path, chunk: int) -> tuple[float, float, int]:
    """Run ``coinflow ingest --file path``; (wall s, CPU s, peak RSS KiB) of the process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COINFLOW_")}
    env.update(COINFLOW_DATABASE_URL=url, COINFLOW_CSV_CHUNK_ROWS=str(chunk))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deployments.cli", "ingest", "--file", str(path)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, after.ru_maxrss


def load_step(engine: Engine, chunk: int) -> tuple[int, float]:
    """Reload the stored prices with ``load_batch`` in batches of ``chunk`` rows; (rows, seconds)."""
    with engine.connect() as conn:
        prices = pd.read_sql(f"SELECT {', '.join(PRICE_COLUMNS)} FROM prices", conn)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM prices")
    run_id = start_run(engine, "csv", "bench-load", None, None)
    prices["observed_at"] = pd.to_datetime(prices["observed_at"], utc=True).astype("datetime64[us, UTC]")
    prices["run_id"] = run_id
    prices["rank"] = prices["rank"].astype("Int64")
    prices["raw_record_id"] = prices["raw_record_id"].astype("Int64")
    start = time.perf_counter()
    for n, begin in enumerate(range(0, len(prices), chunk)):
        part = prices.iloc[begin : begin + chunk]
        load_batch(engine, Batch(run_id, "csv", "bench-load", part, {"batch": n}, counts={"read": len(part)}))
    return len(prices), time.perf_counter() - start


def bench(backend: str, path: Path, rows: int, chunk: int) -> None:
    size = path.stat().st_size
    with database(backend) as url:
        upgrade(url)
        engine = make_engine(url)
        empty = database_bytes(engine, url)
        wall, cpu, rss = run_ingest(url, path, chunk)
        grown = database_bytes(engine, url) - empty
        rerun, _, _ = run_ingest(url, path, chunk)
        loaded, load_s = load_step(engine, chunk)
        engine.dispose()
    csv_rate, load_rate = rows / wall, loaded / load_s
    print(f"\n== {backend}: {rows:,} rows, {size / 2**20:,.0f} MiB file, chunks of {chunk:,} ==")
    print(f"csv ingest   {wall:8.1f} s wall  {csv_rate:>10,.0f} rows/s  {rows / cpu:>10,.0f} rows/CPU-s  "
          f"peak RSS {rss / 1024:,.0f} MiB (largest child so far)")  # fmt: skip
    print(f"load step    {load_s:8.1f} s wall  {load_rate:>10,.0f} rows/s  ({loaded:,} rows)")
    print(f"ratio csv/load rows/s {csv_rate / load_rate:.2f}   (target >= 0.5)")
    print(f"database growth {grown / 2**20:,.0f} MiB = {grown / size:.2f}x the file   (target <= 1.5)")
    net = wall - rerun  # without the process and Prefect start-up the re-run pays too
    print(f"nothing-new re-run {rerun:.1f} s wall (start-up + fingerprint check)")
    print(
        f"csv ingest net of start-up {net:8.1f} s  {rows / net:>10,.0f} rows/s  "
        f"ratio to load {rows / net / load_rate:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_022_200)
    parser.add_argument("--chunk", type=int, default=int(os.environ.get("COINFLOW_CSV_CHUNK_ROWS", "200000")))
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--file", type=Path, help="an existing coinflow-format file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.file or Path(folder) / "big.csv"
        rows = sum(1 for _ in path.open("rb")) - 1 if args.file else generate(path, args.rows)
        for backend in ("postgresql", "sqlite") if args.backend == "both" else (args.backend,):
            bench(backend, path, rows, args.chunk)


if __name__ == "__main__":
    main()
