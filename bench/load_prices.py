"""Benchmark the load step: 1,000,000 validated price rows into PostgreSQL and SQLite.

Prints rows/s of ``models.load.load_batch`` (upsert + checkpoint + run counts, one transaction per
batch) beside two baselines measured in the same run on the same data:
  * floor: a plain COPY (PostgreSQL) / executemany (SQLite) into an unindexed table;
  * naive: SQLModel ``session.merge`` per row, on a sample (what the seed repos did; --sample);
  * peer: dlt's ``merge`` write disposition on the same key (bench/dlt_peer.py), when installed.
Then a second pass of the same rows (all unchanged) and a pass with 10% of the values changed.
`make bench` puts these figures in its table (bench/run.py).

Usage: uv run python -m bench.load_prices [--rows N] [--batch N] [--backend postgresql|sqlite|both]
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.dlt_peer import DltRun, dlt_version
from bench.dlt_peer import measure as measure_dlt
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


@dataclass(frozen=True)
class LoadFigures:
    """One backend's load figures, all measured in one run on the same rows (seconds unless named)."""

    backend: str
    rows: int
    floor_s: float  # median bulk load into an unindexed table
    first_s: float
    first_counts: list[int]  # inserted, updated, unchanged
    rerun_s: float
    rerun_counts: list[int]
    changed_s: float  # the same rows with 10% of prices changed
    changed_counts: list[int]
    merge_rows_per_s: float  # session.merge per row, on a sample
    merge_sample: int
    dlt: list[DltRun] = field(default_factory=list)
    peer_limit_s: float = 900  # each dlt strategy's process is stopped after this long


def measure(
    backend: str, rows: int, size: int, repeats: int, sample: int, peers: bool = True, peer_limit_s: float = 900
) -> LoadFigures:
    """Every load figure of ``backend`` (dlt's only when ``peers`` and the bench group is installed)."""
    with database(backend) as url:
        upgrade(url)
        engine = make_engine(url)
        coins = resolve_coins(
            engine, "csv", [DeclaredCoin(f"c{i}", f"C{i}", f"Coin {i}") for i in range(COINS)], "csv-declared"
        )
        run_id = start_run(engine, "csv", "bench", None, None)
        frame = generate(rows, sorted(coins.values()), run_id)

        floors = [floor_copy(engine, frame) for _ in range(repeats)]
        first, counts_first = load_all(engine, frame, run_id, size)
        second, counts_second = load_all(engine, frame, run_id, size)
        changed = frame.copy()
        changed.loc[changed.index % 10 == 0, "price_usd"] *= 1.01
        third, counts_third = load_all(engine, changed, run_id, size)

        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM prices")
        merge = naive_merge(engine, frame.iloc[:sample])
        engine.dispose()
        dlt_runs = measure_dlt(url, frame, size, peer_limit_s) if peers and dlt_version() else []
    return LoadFigures(
        backend, len(frame), statistics.median(floors), first, counts_first, second, counts_second, third,
        counts_third, sample / merge, sample, dlt_runs, peer_limit_s,
    )  # fmt: skip


def report(fig: LoadFigures) -> None:
    """Print one backend's figures (the stand-alone output of this script)."""
    n, floor = fig.rows, fig.floor_s
    print(f"\n== {fig.backend}: {n:,} rows ==")
    print(f"floor  (bulk into unindexed table)   {n / floor:>12,.0f} rows/s")
    print(f"load first (all inserted)            {n / fig.first_s:>12,.0f} rows/s   "
          f"ratio to floor {floor / fig.first_s:.2f}   counts {fig.first_counts}")  # fmt: skip
    print(f"load same rows (all unchanged)       {n / fig.rerun_s:>12,.0f} rows/s   "
          f"ratio to floor {floor / fig.rerun_s:.2f}   counts {fig.rerun_counts}")  # fmt: skip
    print(f"load 10% changed                     {n / fig.changed_s:>12,.0f} rows/s   counts {fig.changed_counts}")
    print(f"naive session.merge per row ({fig.merge_sample:,})  {fig.merge_rows_per_s:>10,.0f} rows/s   "
          f"load is {(n / fig.first_s) / fig.merge_rows_per_s:.0f}x faster")  # fmt: skip
    for run in fig.dlt:
        print(f"dlt merge {run.strategy:<14} first {run.first_s} s, re-run {run.rerun_s} s {run.error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3, help="floor runs (median reported)")
    parser.add_argument("--sample", type=int, default=2_000, help="rows of the session.merge baseline")
    parser.add_argument("--no-peers", action="store_true", help="skip dlt")
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    args = parser.parse_args()
    for backend in ("postgresql", "sqlite") if args.backend == "both" else (args.backend,):
        report(measure(backend, args.rows, args.batch, args.repeats, args.sample, not args.no_peers))


if __name__ == "__main__":
    main()
