"""The API's PostgreSQL role (deployments/postgres/readonly_role.sql) reads everything and writes nothing."""

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from graphql_api.app import create_app
from models.db import make_engine
from models.settings import Settings
from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market

ROLE_SQL = Path(__file__).resolve().parents[2] / "deployments" / "postgres" / "readonly_role.sql"


@pytest.fixture
def api_url(database_url: str) -> Iterator[str]:
    owner = make_engine(database_url)
    raw = owner.raw_connection()  # the script as psql would send it (no parameter interpolation)
    try:
        with closing(raw.cursor()) as cursor:
            cursor.execute(ROLE_SQL.read_text())
            cursor.execute(ROLE_SQL.read_text())  # idempotent
        raw.commit()
    finally:
        raw.close()
        owner.dispose()
    yield make_url(database_url).set(username="coinflow_api").render_as_string(hide_password=False)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_api_reads_through_the_read_only_role(database_url: str, api_url: str, market: Market) -> None:
    app = create_app(Settings(database_url=database_url, api_database_url=api_url))
    try:
        client = ApiClient(app)
        assert [r["price_usd"] for r in client.get("/data", params={"symbol": "ETH"}).json()["data"]] == [
            10.0,
            9.0,
            8.0,
        ]
        assert client.get("/stats").json()["market"]["coin_count"] == 2
        with app.state.engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar_one() == "coinflow_api"
            with pytest.raises(DBAPIError, match="read-only transaction"):
                conn.execute(text("DELETE FROM prices"))
            # Even with read-only switched off for the session, the role has no write grant.
            conn.execute(text("SET default_transaction_read_only = off"))
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.execute(text("DELETE FROM prices"))
    finally:
        app.state.engine.dispose()
