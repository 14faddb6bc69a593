"""The database down: data routes and GraphQL answer 503 with Retry-After; liveness stays 200."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text

from graphql_api.app import create_app
from models.settings import Settings
from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["postgresql", "sqlite"])
def down_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    """The app on a PostgreSQL URL whose port is closed, or on a SQLite path that cannot be opened."""
    if request.param == "postgresql":
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{_closed_port()}/coinflow"
    else:
        url = f"sqlite:///{tmp_path}"  # a directory: "unable to open database file"
    app = create_app(Settings(database_url=url))
    yield app
    app.state.engine.dispose()


@pytest.mark.parametrize("path", ["/data", "/runs", "/runs/1", "/coins/bitcoin", "/stats", "/runs/compare?a=1&b=2"])
def test_rest_data_routes_are_503_problems(down_app: FastAPI, path: str) -> None:
    response = ApiClient(down_app).get(path)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] == "The database is unavailable; retry after 5 s."
    assert "127.0.0.1" not in response.text and "sqlite" not in response.text.lower()


@pytest.mark.parametrize(
    "query",
    [
        "{ coins { nodes { symbol } } }",
        '{ coin(canonicalId: "bitcoin") { symbol latestPrice { priceUsd } } }',
        "{ runs { nodes { id } } }",
    ],
)
def test_graphql_is_503_service_unavailable(down_app: FastAPI, query: str) -> None:
    response = ApiClient(down_app).post("/graphql", json={"query": query})
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["message"] == "The database is unavailable; retry after 5 s."


def test_graphql_uncached_path_is_503_too(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}", api_response_cache_size=0))
    response = ApiClient(app).post("/graphql", json={"query": "{ coins { nodes { symbol } } }"})
    app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


def test_liveness_stays_200_and_readiness_is_503(down_app: FastAPI) -> None:
    client = ApiClient(down_app)
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["failing"] == [{"check": "database", "ok": False, "detail": "database unreachable"}]


def test_a_broken_query_is_not_an_outage(client: ApiClient, market: Market, engine: Engine) -> None:
    # SQLite reports a missing table as OperationalError too: it must stay a masked 500, never "retry later"
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE etl_runs RENAME TO etl_runs_away"))
    try:
        response = client.get("/runs")
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE etl_runs_away RENAME TO etl_runs"))
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert "etl_runs" not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/data", None),
        ("post", "/graphql", {"query": "{ coins { nodes { symbol latestPrice { priceUsd } } } }"}),
    ],
)
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_statement_past_the_timeout_is_cancelled_with_503(
    database_url: str, market: Market, method: str, path: str, body: dict | None
) -> None:
    # PostgreSQL only: SQLite has no statement timeout (and WAL readers are never blocked by a writer).
    # A migration-like lock holds every reader; the API's statement_timeout must cancel the request,
    # not let it hold a connection until the lock goes.
    app = create_app(Settings(database_url=database_url, api_statement_timeout_ms=300, api_response_cache_size=0))
    locker = create_engine(database_url)
    try:
        with locker.connect() as conn:
            conn.execute(text("LOCK TABLE prices, coins IN ACCESS EXCLUSIVE MODE"))
            kwargs = {"json": body} if body else {}
            response = getattr(ApiClient(app), method)(path, **kwargs)
            conn.rollback()
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert "statement timeout" not in response.text and "canceling" not in response.text
        if path == "/graphql":  # the compiled statement was cancelled: answered at once, not by the resolvers again
            assert response.headers["x-coinflow-execution"] == "compiled"
        after = getattr(ApiClient(app), method)(path, **({"json": body} if body else {}))
        assert after.status_code == 200, after.text  # the lock gone, the same request answers
    finally:
        app.state.engine.dispose()
        locker.dispose()
