"""The peer pipeline of the load rows: dlt loading the same price rows with ``write_disposition="merge"``.

dlt (bench dependency group, never a runtime one) merges on the same primary key (coin_id, source,
observed_at) into PostgreSQL (``postgres`` destination) or SQLite (``sqlalchemy`` destination). Every
merge strategy dlt offers that applies to a keyed table is tried ("delete-insert", "upsert"; "scd2"
keeps history, a different job); the caller reports the best. Each strategy gets its own dataset
(schema), so runs do not see each other's rows.
"""

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
from sqlalchemy.engine import make_url

from models.load import PRICE_KEY

STRATEGIES = ("delete-insert", "upsert")


@dataclass(frozen=True)
class DltRun:
    """Wall seconds of a first load and of a re-run of the same rows, per strategy (None: not applicable)."""

    strategy: str
    first_s: float | None
    rerun_s: float | None
    error: str = ""


def dlt_version() -> str:
    """dlt's version, or "" when the bench group is not installed."""
    try:
        import dlt
    except ImportError:
        return ""
    return str(dlt.__version__)


def measure(url: str, frame: pd.DataFrame, batch: int, limit_s: float) -> list[DltRun]:
    """Load ``frame`` twice with each strategy into the database at ``url`` (SQLAlchemy URL).

    Each strategy runs in its own process, stopped after ``limit_s`` seconds: dlt's SQLite re-run
    can take many minutes, and the table then says "over limit" instead of waiting.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prices.parquet"
        frame.to_parquet(path, index=False)
        return [_in_process_of_its_own(url, path, batch, strategy, limit_s) for strategy in STRATEGIES]


def _in_process_of_its_own(url: str, path: Path, batch: int, strategy: str, limit_s: float) -> DltRun:
    command = [sys.executable, "-m", "bench.dlt_peer", url, str(path), str(batch), strategy]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit_s, check=False)
        output, error = done.stdout, "" if done.returncode == 0 else (done.stderr.strip().splitlines() or [""])[-1]
    except subprocess.TimeoutExpired as stopped:
        raw = stopped.stdout or b""
        output = raw.decode() if isinstance(raw, bytes) else raw
        error = f"stopped after {limit_s:.0f} s"
    times = [float(line) for line in output.split()]
    if not times and not error:
        error = "no figures"
    first, rerun = (times[0] if times else None), (times[1] if len(times) > 1 else None)
    return DltRun(strategy, first, rerun, error[:120])


def best(runs: list[DltRun]) -> DltRun | None:
    """The fastest first load among the strategies that ran."""
    ran = [run for run in runs if run.first_s is not None]
    return min(ran, key=lambda run: run.first_s or 0.0) if ran else None


def _measure_one(url: str, frame: pd.DataFrame, batch: int, strategy: str) -> None:
    """Print the first load's seconds, then the re-run's, one a line, as each finishes."""
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")  # dlt warns per batch about Arrow vs dlt column hints
    import dlt

    table = pa.Table.from_pandas(frame, preserve_index=False)
    with tempfile.TemporaryDirectory() as folder:
        destination = (
            dlt.destinations.postgres(credentials=_postgres_dsn(url))
            if url.startswith("postgresql")
            else dlt.destinations.sqlalchemy(credentials=url)
        )
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{strategy.replace('-', '_')}",
            destination=destination,
            dataset_name=f"dlt_{strategy.replace('-', '_')}",
            pipelines_dir=folder,
        )

        @dlt.resource(  # type: ignore[call-overload]
            name="prices",
            primary_key=list(PRICE_KEY),
            write_disposition={"disposition": "merge", "strategy": strategy},  # type: ignore[arg-type]
        )
        def prices():  # type: ignore[no-untyped-def]
            for start in range(0, table.num_rows, batch):
                yield table.slice(start, batch)

        print(_timed(lambda: pipeline.run(prices())), flush=True)
        print(_timed(lambda: pipeline.run(prices())), flush=True)


def _postgres_dsn(url: str) -> str:
    """dlt wants a libpq URL with a password; trust authentication (the local server) ignores it."""
    parsed = make_url(url).set(drivername="postgresql")
    if not parsed.password:
        parsed = parsed.set(password="unused-under-trust-auth")
    return parsed.render_as_string(hide_password=False)


def main() -> None:
    """`python -m bench.dlt_peer URL PARQUET BATCH STRATEGY`: one strategy's two loads (see measure)."""
    url, path, batch, strategy = sys.argv[1:5]
    try:
        _measure_one(url, pd.read_parquet(path), int(batch), strategy)
    except Exception as error:  # noqa: BLE001 — a strategy this destination refuses is reported, not fatal
        sys.exit(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")


def _timed(work: object) -> float:
    start = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
