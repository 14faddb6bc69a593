"""Shared fixtures: a real SQLite file and a real PostgreSQL database for every storage test, and
one Prefect test server for the whole session.

PostgreSQL: ``COINFLOW_TEST_POSTGRES_URL`` (default: the local server's ``postgres`` database) is
used to create a database for this session, dropped at the end. When it is unreachable the
PostgreSQL half is skipped locally, and fails loudly when ``CI`` is set.
"""

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import models
from models.db import make_engine
from models.migrate import upgrade
from models.run_lease import release_all_leases
from models.settings import Settings, get_settings

POSTGRES_ADMIN_URL = os.environ.get(
    "COINFLOW_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")

# A test must not depend on the machine's speed: no Hypothesis deadline (on a busy 2-core machine a
# 200 ms deadline failed a correct test); timing goals live in bench/.
hypothesis_settings.register_profile("coinflow", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("coinflow")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (cheaper than migrating per test)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # fold the WAL into the file so a plain copy has everything
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database for this session, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"coinflow_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no PostgreSQL"
        admin.dispose()
        message = f"PostgreSQL unreachable at {make_url(POSTGRES_ADMIN_URL).render_as_string()}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database on each backend, fresh for every test."""
    if request.param == "sqlite":
        path = tmp_path / "coinflow.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        wipe_database(url)
    yield url
    # Runs a test left open in this process (simulated crashes) keep their leases: give them back.
    engine = make_engine(url)
    release_all_leases(engine)
    engine.dispose()


def wipe_database(url: str) -> None:
    """Empty every table of a test database (keeping the schema), on either backend."""
    engine = make_engine(url)
    release_all_leases(engine)  # run ids restart: leases of this process's unfinished runs would block them
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at the test's database, also visible to flows through the environment."""
    monkeypatch.setenv("COINFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def prefect_api_url() -> Iterator[str]:
    """One Prefect test server for the session (start-up costs ~20 s); yields its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=600):  # a busy 2-core machine: minutes, not seconds
        yield str(PREFECT_API_URL.value())


models.register_tables()  # every table on the metadata before the fixtures use it


@pytest.fixture
def overrides(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty coin-identity overrides file, so the rules alone decide; a test may write lines into it."""
    path = tmp_path / "coin_overrides.csv"
    path.write_text("source,source_coin_id,canonical_id\n")
    monkeypatch.setenv("COINFLOW_COIN_OVERRIDES_FILE", str(path))
    get_settings.cache_clear()
    return path


# Longest first: with two xdist workers and `--dist loadscope` (a module at a time, handed out in collection
# order), a long module collected last runs alone at the end while the other worker idles (test_up.py and the
# crash harness were collected near the end). Measured with `--durations=80` (2026-12-01): these modules each
# take 1.5-5 min of a worker; the rest keeps its order.
LONGEST_FIRST = (
    "tests/test_cli.py",
    "tests/reliability/test_crash_harness.py",
    "tests/sources/test_coingecko_flow.py",
    "tests/sources/test_drift_and_paprika.py",
    "tests/test_up.py",
    "tests/sources/test_ingest_runs.py",
    "tests/csv/test_cli_csv.py",
    "tests/reliability/test_concurrent_runs.py",
    "tests/sources/test_offline_cli.py",
    "tests/csv/test_stored_values.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the :data:`LONGEST_FIRST` modules first, in that order (a stable sort: tests keep their order)."""
    rank = {module: index for index, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
