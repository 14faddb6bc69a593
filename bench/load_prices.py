"""Benchmark the load step: 1,000,000 validated price rows into PostgreSQL and SQLite.

Prints rows/s of ``models.load.load_batch`` (upsert + checkpoint + run counts, one transaction per
batch) beside two baselines measured in the same run on the same data:
  * floor: a plain COPY (PostgreSQL) / executemany (SQLite) into an unindexed table;
  * naive: SQLModel ``session.merge`` per row, on a 20,000-row sample (what the seed repos did).
Then a second pass of the same rows (all unchanged) and a pass with 10% of the values changed.

Usage: uv run python bench/load_prices.py [--rows N] [--batch N] [--backend postgresql|sqlite|both]
PostgreSQL: COINFLOW_BENCH_POSTGRES_URL (default: the local server); a scratch database is created
and dropped.
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from flows.identity import resolve_coins
from models.coins import DeclaredCoin
from models.db import make_engine
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.market import Price
from models.migrate import upgrade
from models.run_log import start_run
from models.staging import copy_frame

ADMIN_URL = os.environ.get("COINFLOW_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
COINS = 1000


def generate(rows: int, coin_ids: list[int], run_id: int, seed: int = 7) -> pd.DataFrame:
    """``rows`` daily observations spread over the coins: a validated, normalized frame."""
    rng = np.random.default_rng(seed)
    per_coin = rows // len(coin_ids)
    stamps = pd.date_range("2020-01-01", periods=per_coin, freq="D", tz="UTC")
    frame = pd.DataFrame(
        {
            "coin_id": np.repeat(coin_ids, per_coin),
            "source": "csv",
            "observed_at": np.tile(stamps, len(coin_ids)),
            "price_usd": rng.uniform(0.01, 70_000, per_coin * len(coin_ids)),
            "market_cap_usd": rng.uniform(1e6, 1e12, per_coin * len(coin_ids)),
            "volume_24h_usd": rng.uniform(1e3, 1e10, per_coin * len(coin_ids)),
            "change_24h_pct": rng.normal(0, 5, per_coin * len(coin_ids)),
            "rank": pd.array(rng.integers(1, 5000, per_coin * len(coin_ids)), dtype="Int64"),
            "raw_record_id": pd.array([None] * (per_coin * len(coin_ids)), dtype="Int64"),
            "run_id": run_id,
        }
    )
    frame["observed_at"] = frame["observed_at"].dt.tz_convert("UTC")
    return frame[list(PRICE_COLUMNS)]


def batches(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def load_all(engine: Engine, frame: pd.DataFrame, run_id: int, size: int) -> tuple[float, list[int]]:
    totals = [0, 0, 0]

    def run() -> None:
        for n, part in enumerate(batches(frame, size)):
            result = load_batch(engine, Batch(run_id, "csv", "bench", part, {"batch": n}, counts={"read": len(part)}))
            totals[0] += result.inserted
            totals[1] += result.updated
            totals[2] += result.unchanged

    return timed(run), totals


def floor_copy(engine: Engine, frame: pd.DataFrame) -> float:
    """The fastest way in: no index, no conflict handling."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_floor")
        conn.exec_driver_sql("CREATE TABLE bench_floor AS SELECT * FROM prices WHERE false")
    start = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            copy_frame(conn, "bench_floor", frame)  # the same serialization as the load step
        else:
            rows = frame.assign(observed_at=frame["observed_at"].dt.strftime("%Y-%m-%d %H:%M:%S.%f"))
            rows = rows.astype(object).where(rows.notna(), None)
            conn.exec_driver_sql(
                f"INSERT INTO bench_floor ({', '.join(frame.columns)}) VALUES ({', '.join('?' * len(frame.columns))})",
                list(rows.itertuples(index=False, name=None)),
            )
    elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_floor")
    return elapsed


def naive_merge(engine: Engine, frame: pd.DataFrame) -> float:
    """One ORM merge per row, as the seed repos did."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    start = time.perf_counter()
    with Session(engine) as session:
        for record in records:
            session.merge(Price(**{str(name): value for name, value in record.items()}))
        session.commit()
    return time.perf_counter() - start


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"coinflow_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench(backend: str, rows: int, size: int, repeats: int) -> None:
    with database(backend) as url:
        upgrade(url)
        engine = make_engine(url)
        coins = resolve_coins(
            engine, "csv", [DeclaredCoin(f"c{i}", f"C{i}", f"Coin {i}") for i in range(COINS)], "csv-declared"
        )
        run_id = start_run(engine, "csv", "bench", None, None)
        frame = generate(rows, sorted(coins.values()), run_id)
        n = len(frame)

        floors = [floor_copy(engine, frame) for _ in range(repeats)]
        first, counts_first = load_all(engine, frame, run_id, size)
        second, counts_second = load_all(engine, frame, run_id, size)
        changed = frame.copy()
        changed.loc[changed.index % 10 == 0, "price_usd"] *= 1.01
        third, counts_third = load_all(engine, changed, run_id, size)

        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM prices")
        sample = frame.iloc[:20_000]
        merge = naive_merge(engine, sample)
        engine.dispose()

    floor = statistics.median(floors)
    print(f"\n== {backend}: {n:,} rows, batches of {size:,} ==")
    print(f"floor  (bulk into unindexed table)   {n / floor:>12,.0f} rows/s   median of {repeats}")
    print(f"upsert first load (all inserted)     {n / first:>12,.0f} rows/s   {first / floor:5.2f}x floor time   "
          f"ratio to floor {floor / first:.2f}   counts {counts_first}")  # fmt: skip
    print(f"upsert same rows  (all unchanged)    {n / second:>12,.0f} rows/s   counts {counts_second}")
    print(f"upsert 10% changed                   {n / third:>12,.0f} rows/s   counts {counts_third}")
    print(f"naive session.merge per row (20k)    {len(sample) / merge:>12,.0f} rows/s   "
          f"upsert is {(n / first) / (len(sample) / merge):.0f}x faster")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3, help="floor runs (median reported)")
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    args = parser.parse_args()
    for backend in ("postgresql", "sqlite") if args.backend == "both" else (args.backend,):
        bench(backend, args.rows, args.batch, args.repeats)


if __name__ == "__main__":
    main()
