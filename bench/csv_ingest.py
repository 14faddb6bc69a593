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
         [--json PATH]   (also write the figures: a list of one object per backend)
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
    """Run ``coinflow ingest --file path``; (wall s, CPU s of it and its children, its own peak RSS KiB)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COINFLOW_")}
    env.update(COINFLOW_DATABASE_URL=url, COINFLOW_CSV_CHUNK_ROWS=str(chunk))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "deployments.cli", "ingest", "--file", str(path)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while process.poll() is None:  # the process's own high-water mark, not its Prefect server's
        peak = max(peak, _high_water_kib(process.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(
            f"ingest failed ({process.returncode}): {(process.stderr.read() if process.stderr else '')[-2000:]}"
        )
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, peak


def _high_water_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def table_bytes(engine: Engine) -> dict[str, int]:
    """Bytes of prices and raw_records with their indexes (SQLite: dbstat; PostgreSQL: total relation size)."""
    parts = part_bytes(engine)
    return {table: sum(size for (owner, _), size in parts.items() if owner == table) for table in _TABLES}


_TABLES = ("prices", "raw_records")


def part_bytes(engine: Engine) -> dict[tuple[str, str], int]:
    """Bytes of each part of prices and raw_records: ``(table, part)`` -> bytes, a part being the table
    itself (its heap; SQLite: its b-tree), its TOAST data (PostgreSQL) or one of its indexes, by name."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            heap = (
                "SELECT pg_relation_size(:t), pg_total_relation_size(:t) - pg_relation_size(:t) - pg_indexes_size(:t)"
            )
            indexes = (
                "SELECT indexname, pg_relation_size(quote_ident(indexname)::regclass) "
                "FROM pg_indexes WHERE tablename = :t"
            )
            found: dict[tuple[str, str], int] = {}
            for table in _TABLES:
                own, toast = conn.execute(text(heap), {"t": table}).one()
                found[(table, table)], found[(table, "toast")] = int(own), int(toast)
                found.update({(table, name): int(size) for name, size in conn.execute(text(indexes), {"t": table})})
            return found
        rows = conn.execute(
            text("SELECT tbl_name, name FROM sqlite_master WHERE tbl_name IN ('prices', 'raw_records')")
        )
        owners = {name: table for table, name in rows}
        sizes = conn.execute(text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all()
    return {(owners[name], name): int(size) for name, size in sizes if name in owners}


def load_step(engine: Engine, chunk: int) -> tuple[int, float, float]:
    """Reload the stored prices with ``load_batch`` in batches of ``chunk`` rows; (rows, wall s, CPU s)."""
    with engine.connect() as conn:
        prices = pd.read_sql(f"SELECT {', '.join(PRICE_COLUMNS)} FROM prices", conn)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM prices")
    run_id = start_run(engine, "csv", "bench-load", None, None)
    prices["observed_at"] = pd.to_datetime(prices["observed_at"], utc=True).astype("datetime64[us, UTC]")
    prices["run_id"] = run_id
    prices["rank"] = prices["rank"].astype("Int64")
    prices["raw_record_id"] = prices["raw_record_id"].astype("Int64")
    start, cpu = time.perf_counter(), time.process_time()
    for n, begin in enumerate(range(0, len(prices), chunk)):
        part = prices.iloc[begin : begin + chunk]
        load_batch(engine, Batch(run_id, "csv", "bench-load", part, {"batch": n}, counts={"read": len(part)}))
    return len(prices), time.perf_counter() - start, time.process_time() - cpu


def bench(backend: str, path: Path, rows: int, chunk: int) -> dict[str, Any]:
    """Ingest ``path`` into a fresh ``backend`` database, print the figures and return them (see ``--json``)."""
    size = path.stat().st_size
    with database(backend) as url:
        upgrade(url)
        engine = make_engine(url)
        empty = database_bytes(engine, url)
        wall, cpu, rss = run_ingest(url, path, chunk)
        grown, parts = database_bytes(engine, url) - empty, part_bytes(engine)
        tables = {table: sum(size for (owner, _), size in parts.items() if owner == table) for table in _TABLES}
        print(f"[{backend}] ingest {wall:.1f} s, {cpu:.1f} CPU-s, peak RSS {rss / 1024:,.0f} MiB, growth "
              f"{grown / size:.2f}x; re-run and load step next", flush=True)  # fmt: skip
        rerun, rerun_cpu, rerun_rss = run_ingest(url, path, chunk)
        loaded, load_s, load_cpu = load_step(engine, chunk)
        engine.dispose()
    net, net_cpu = wall - rerun, cpu - rerun_cpu  # less what a nothing-new run pays: start-up, fingerprint
    print(f"\n== {backend}: {rows:,} rows, {size / 2**20:,.0f} MiB file, chunks of {chunk:,} ==")
    print(
        f"csv ingest        {wall:7.1f} s wall {rows / wall:>9,.0f} rows/s  {cpu:7.1f} CPU-s  "
        f"peak RSS {rss / 1024:,.0f} MiB"
    )
    print(f"nothing-new rerun {rerun:7.1f} s wall                   {rerun_cpu:7.1f} CPU-s  (start-up + fingerprint)")
    print(f"csv ingest, net   {net:7.1f} s wall {rows / net:>9,.0f} rows/s  {net_cpu:7.1f} CPU-s "
          f"{rows / net_cpu:>9,.0f} rows/CPU-s")  # fmt: skip
    print(f"load step         {load_s:7.1f} s wall {loaded / load_s:>9,.0f} rows/s  {load_cpu:7.1f} CPU-s "
          f"{loaded / load_cpu:>9,.0f} rows/CPU-s")  # fmt: skip
    print(f"ratio csv/load: rows/s net {rows / net / (loaded / load_s):.2f}, rows/CPU-s "
          f"{rows / net_cpu / (loaded / load_cpu):.2f}   (target >= 0.5)")  # fmt: skip
    print(f"database growth {grown / 2**20:,.0f} MiB = {grown / size:.2f}x the file (target <= 1.5): prices "
          f"{tables['prices'] / size:.2f}x, raw_records {tables['raw_records'] / size:.2f}x")  # fmt: skip
    for (table, part), part_size in sorted(parts.items()):
        print(f"  {table:<12} {part:<40} {part_size / 2**20:9,.1f} MiB = {part_size / size:.3f}x the file")
    print(f"nothing-new rerun peak RSS {rerun_rss / 1024:,.0f} MiB (the process's floor: imports, Prefect)")
    return {
        "rows": rows,
        "file_bytes": size,
        "backend": backend,
        "chunk_rows": chunk,
        "csv_rows_per_s": rows / net,
        "load_step_rows_per_s": loaded / load_s,
        "ratio": rows / net / (loaded / load_s),
        "peak_rss_mib": rss / 1024,
        "db_growth_ratio": grown / size,
        "wall_s": wall,
        "rerun_wall_s": rerun,
        "rerun_peak_rss_mib": rerun_rss / 1024,
        "prices_bytes": tables["prices"],
        "raw_records_bytes": tables["raw_records"],
        "parts_bytes": {f"{table}.{part}": part_size for (table, part), part_size in sorted(parts.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_022_200)
    parser.add_argument("--chunk", type=int, default=int(os.environ.get("COINFLOW_CSV_CHUNK_ROWS", "200000")))
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--file", type=Path, help="an existing coinflow-format file")
    parser.add_argument("--json", type=Path, help="write the figures there: a list of one object per backend")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = args.file or Path(folder) / "big.csv"
        rows = sum(1 for _ in path.open("rb")) - 1 if args.file else generate(path, args.rows)
        for backend in ("postgresql", "sqlite") if args.backend == "both" else (args.backend,):
            results.append(bench(backend, path, rows, args.chunk))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
