"""The harness's world: throwaway databases on both backends, one Prefect server, the CLI as a process."""

import json
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

import models
from models.db import make_engine
from models.migrate import upgrade
from tests.cli_process import REPO, cli_command, cli_env
from tests.conftest import POSTGRES_ADMIN_URL, wipe_database
from tests.db_snapshot import snapshot

models.register_tables()
BACKENDS = ("sqlite", "postgresql")


@dataclass
class Database:
    """One migrated database of the harness: its URL and an engine on it."""

    backend: str
    url: str
    engine: Engine

    def wipe(self) -> None:
        """Empty every table (ids restart): the next run starts from nothing."""
        wipe_database(self.url)


@contextmanager
def database(backend: str, folder: Path) -> Iterator[Database]:
    """A new migrated database on ``backend`` (a file under ``folder``, or a PostgreSQL database), dropped after."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'reliability-{uuid.uuid4().hex[:8]}.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            yield Database(backend, url, engine)
        finally:
            engine.dispose()
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"coinflow_reliability_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(url)
        yield Database(backend, url, engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def prefect_server() -> Iterator[tuple[str, Path | None]]:
    """One Prefect server for every CLI process of the harness; yields its API URL and its SQLite file."""
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL, PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=600):
        database_url = make_url(str(PREFECT_API_DATABASE_CONNECTION_URL.value()))
        path = (
            Path(database_url.database)
            if database_url.get_backend_name() == "sqlite" and database_url.database
            else None
        )
        yield str(PREFECT_API_URL.value()), path


@contextmanager
def workdir() -> Iterator[Path]:
    """A temporary folder for databases and files."""
    with tempfile.TemporaryDirectory(prefix="coinflow-reliability-") as folder:
        yield Path(folder)


def env(db: Database, prefect_url: str, **settings: str) -> dict[str, str]:
    """A CLI process's environment on ``db`` (extra ``COINFLOW_`` settings by lower-case name)."""
    return cli_env(db.url, prefect_url, **settings)


def start(environment: dict[str, str], *args: str, log: IO[str] | None = None) -> subprocess.Popen[str]:
    """Start ``coinflow ARGS`` with its output captured (into ``log`` when given).

    A long-lived process whose output nobody reads until it ends (the API under load) must write to a
    ``log`` file: a pipe holds 64 KiB, and a process blocked on a full pipe stops answering.
    """
    if log is not None:
        return subprocess.Popen(
            cli_command(*args), env=environment, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    return subprocess.Popen(
        cli_command(*args), env=environment, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(environment: dict[str, str], *args: str, timeout: float = 900) -> tuple[int, str, str, float]:
    """Run ``coinflow ARGS`` to its end: (exit code, stdout, stderr, seconds)."""
    began = time.monotonic()
    process = start(environment, *args)
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out, err, time.monotonic() - began


def state(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """What a user sees in ``db`` (``tests.db_snapshot``), without the snapshot streams' fetch times."""
    seen = snapshot(db.engine)
    seen["checkpoints"] = [tuple(_timeless(value) for value in row) for row in seen["checkpoints"]]
    return seen


def differences(expected: dict[str, list[tuple[Any, ...]]], actual: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """``table: N rows missing, M extra`` for each table that differs (empty when identical)."""
    found = []
    for table, rows in expected.items():
        want, got = [json.dumps(r, default=str) for r in rows], [json.dumps(r, default=str) for r in actual[table]]
        missing, extra = len(set(want) - set(got)), len(set(got) - set(want))
        if missing or extra or len(want) != len(got):
            found.append(f"{table}: {missing} missing, {extra} extra ({len(got)} vs {len(want)} rows)")
    return found


def statuses(db: Database) -> list[str]:
    """Every run's status, oldest first."""
    with db.engine.connect() as conn:
        return list(conn.execute(text("SELECT status FROM etl_runs ORDER BY id")).scalars())


def pg_options(environment: dict[str, str], options: str) -> dict[str, str]:
    """``environment`` with libpq's ``PGOPTIONS`` (server settings for every connection the process opens)."""
    return {**environment, "PGOPTIONS": f"{environment.get('PGOPTIONS', '')} {options}".strip()}


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k != "fetched_at"}
    return value
