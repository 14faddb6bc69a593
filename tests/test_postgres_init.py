"""deployments/postgres/init.sh, run as the postgres image runs it, on a private PostgreSQL cluster.

The roles it creates must log in with the passwords from the environment (the compose stack's
.env) and nothing else: the ETL role migrates and writes, the API role only reads. The cluster
is a throwaway ``initdb`` on a free port (the shared server's roles stay untouched); PostgreSQL
refuses to run as root, so as root the commands run as the ``postgres`` user.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from models.migrate import current_revision, head_revision, upgrade
from tests.cli_process import REPO

INIT_SH = REPO / "deployments" / "postgres" / "init.sh"
INIT_SQL = REPO / "deployments" / "postgres" / "init.sql"
PASSWORDS = {"ETL_ROLE_PASSWORD": "etl-Secret_1", "API_ROLE_PASSWORD": "api-Secret_2", "PREFECT_ROLE_PASSWORD": "pf-3"}
TIMEOUT_S = 120


@dataclass(frozen=True)
class Cluster:
    """A running private PostgreSQL: its TCP port and its socket folder."""

    port: int
    socket_dir: Path


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_as_postgres(argv), env=env, capture_output=True, text=True, timeout=TIMEOUT_S)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """initdb + pg_ctl start on a free port, password logins over TCP; stopped and removed afterwards."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        message = "initdb/pg_ctl not installed (PostgreSQL server binaries)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="coinflow-pginit-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    initdb = _run(["initdb", "-D", str(data), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256"])
    assert initdb.returncode == 0, initdb.stderr
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = _run(["pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"])
    assert started.returncode == 0, started.stderr + (root / "log").read_text()
    try:
        yield Cluster(port, root)
    finally:
        _run(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def _init(cluster: Cluster, **passwords: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "PGHOST": str(cluster.socket_dir), "PGPORT": str(cluster.port)}
    env.update(POSTGRES_USER="postgres", INIT_SQL=str(INIT_SQL), **passwords)
    return _run(["sh", str(INIT_SH)], env=env)


def _url(role: str, password: str, cluster: Cluster, database: str = "coinflow") -> str:
    return f"postgresql+psycopg2://{role}:{password}@127.0.0.1:{cluster.port}/{database}"


def test_a_missing_password_stops_the_init_naming_the_env_variable(cluster: Cluster) -> None:
    passwords = {key: value for key, value in PASSWORDS.items() if key != "API_ROLE_PASSWORD"}
    result = _init(cluster, **passwords)
    assert result.returncode != 0
    assert "COINFLOW_API_PASSWORD" in result.stderr
    assert "CREATE ROLE" not in result.stdout


def test_roles_log_in_with_the_env_passwords_the_etl_role_migrates_and_the_api_role_only_reads(
    cluster: Cluster,
) -> None:
    result = _init(cluster, **PASSWORDS)
    assert result.returncode == 0, result.stderr

    etl_url = _url("coinflow_etl", PASSWORDS["ETL_ROLE_PASSWORD"], cluster)
    upgrade(etl_url)
    assert current_revision(etl_url) == head_revision(etl_url)
    etl = create_engine(etl_url)
    with etl.begin() as conn:
        conn.execute(
            text("INSERT INTO coins (canonical_id, symbol, name, created_at) VALUES ('btc', 'BTC', 'Bitcoin', now())")
        )
    etl.dispose()

    api = create_engine(_url("coinflow_api", PASSWORDS["API_ROLE_PASSWORD"], cluster))
    try:
        with api.connect() as conn:
            assert conn.execute(text("SELECT symbol FROM coins")).scalars().all() == ["BTC"]
        with pytest.raises(DBAPIError, match="read-only transaction"), api.begin() as conn:
            conn.execute(text("DELETE FROM coins"))
    finally:
        api.dispose()

    prefect = create_engine(_url("prefect", PASSWORDS["PREFECT_ROLE_PASSWORD"], cluster, database="prefect"))
    with prefect.connect() as conn:
        assert conn.execute(text("SELECT current_database()")).scalar_one() == "prefect"
    prefect.dispose()

    wrong = create_engine(_url("coinflow_api", "coinflow_api", cluster))
    with pytest.raises(OperationalError, match="password authentication failed"):
        wrong.connect().close()
    wrong.dispose()
