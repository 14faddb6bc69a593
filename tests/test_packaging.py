"""The built wheel, installed into a fresh virtualenv, runs the CLI from any directory.

Built with ``uv build --wheel``, installed with ``uv pip install`` beside the locked dependencies
(``uv export``), run from an empty temporary directory against the session's Prefect server.
"""

import csv
import os
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_process import REPO

UV_TIMEOUT_S = 300


@dataclass(frozen=True)
class InstalledWheel:
    """A wheel and the virtualenv it is installed in."""

    wheel: Path
    venv: Path

    @property
    def coinflow(self) -> Path:
        return self.venv / "bin" / "coinflow"


def _uv(*args: str, cwd: Path = REPO) -> None:
    subprocess.run(["uv", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=UV_TIMEOUT_S)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    """The project's wheel, installed with its locked dependencies into a new virtualenv."""
    root = tmp_path_factory.mktemp("wheel")
    _uv("build", "--wheel", "--out-dir", str(root / "dist"))
    (wheel,) = (root / "dist").glob("coinflow-*.whl")
    requirements = root / "requirements.txt"
    _uv("export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--quiet", "-o", str(requirements))
    venv = root / "venv"
    _uv("venv", "--quiet", str(venv))
    _uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-r", str(requirements), str(wheel))
    return InstalledWheel(wheel, venv)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """An empty directory to start the installed CLI in."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    yield folder


def _env(prefect_api_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COINFLOW_", "VIRTUAL_ENV"))}
    env.update(PREFECT_API_URL=prefect_api_url, PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def _run(installed: InstalledWheel, cwd: Path, prefect_api_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.coinflow), *args],
        cwd=cwd,
        env=_env(prefect_api_url),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_wheel_carries_the_cli_data_and_migrations_but_no_tests_or_bench(installed: InstalledWheel) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    top_level = {name.split("/")[0] for name in names if "/" in name}
    assert top_level == {"flows", "graphql_api", "models", "validation", "deployments", "coinflow-0.1.0.dist-info"}
    expected = [
        "models/data/sample_prices.csv",
        "models/data/coin_overrides.csv",
        "models/data/sources/coingecko/coins_markets.json",
        "models/data/sources/coinpaprika/tickers.json",
        "models/migrations/env.py",
        "models/migrations/script.py.mako",
        "models/migrations/versions/0001_initial_schema.py",
    ]
    assert [name for name in expected if name not in names] == []


def test_installed_cli_ingests_the_bundled_sample_into_the_current_directory(
    installed: InstalledWheel, workdir: Path, prefect_api_url: str
) -> None:
    result = _run(installed, workdir, prefect_api_url, "ingest", "--json")

    assert result.returncode == 0, result.stderr[-3000:]
    database = workdir / "data" / "coinflow.db"
    assert database.is_file()
    with (REPO / "data" / "sample_prices.csv").open(newline="") as file:
        sample = list(csv.DictReader(file))
    first = sample[0]
    with sqlite3.connect(database) as conn:
        (count,) = conn.execute("SELECT count(*) FROM prices WHERE source = 'csv'").fetchone()
        stored = conn.execute(
            "SELECT c.symbol, p.price_usd FROM prices p JOIN coins c ON c.id = p.coin_id "
            "WHERE p.source = 'csv' AND c.symbol = ? ORDER BY p.observed_at LIMIT 1",
            (first["symbol"],),
        ).fetchone()
    assert count == len(sample)
    earliest = min((row for row in sample if row["symbol"] == first["symbol"]), key=lambda row: row["timestamp"])
    assert stored[0] == first["symbol"]
    assert float(stored[1]) == pytest.approx(float(earliest["price_usd"]), rel=1e-12)
    site_packages = next((installed.venv / "lib").glob("python3*/site-packages"))
    assert list(site_packages.rglob("*.db")) == []


def test_installed_cli_replays_every_source_offline(
    installed: InstalledWheel, workdir: Path, prefect_api_url: str
) -> None:
    result = _run(installed, workdir, prefect_api_url, "ingest", "--source", "all", "--offline", "--json")

    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(workdir / "data" / "coinflow.db") as conn:
        per_source = dict(conn.execute("SELECT source, count(*) FROM prices GROUP BY source").fetchall())
        statuses = {row[0] for row in conn.execute("SELECT status FROM etl_runs")}
    assert set(per_source) == {"csv", "coingecko", "coinpaprika"}
    assert min(per_source.values()) > 0
    assert statuses == {"succeeded"}
