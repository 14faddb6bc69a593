"""DataLoaders: the statements behind a page of coins do not grow with the page size."""

from collections.abc import Iterator
from datetime import timedelta

import pandas as pd
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event

from flows.identity import resolve_coins
from graphql_api.app import create_app
from models.coins import DeclaredCoin
from models.load import Batch, load_batch
from models.run_log import finish_run, start_run
from models.settings import Settings
from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import T0, price_frame

COINS = 120
POINTS = 25


def load_many(engine: Engine) -> None:
    declared = [DeclaredCoin(f"c{n:03d}", f"C{n:03d}", f"Coin {n:03d}") for n in range(COINS)]
    ids = resolve_coins(engine, "csv", declared, "csv-declared")
    run_id = start_run(engine, "csv", "many.csv", None, None)
    hours = [T0 + timedelta(hours=h) for h in range(POINTS)]
    frames = [
        price_frame(
            coin_id, "csv", run_id, [float(n + h) for h in range(POINTS)], [0.0] * POINTS, n + 1, hours, [None] * POINTS
        )
        for n, coin_id in enumerate(ids[f"c{n:03d}"] for n in range(COINS))
    ]
    load_batch(engine, Batch(run_id, "csv", "many.csv", pd.concat(frames, ignore_index=True), {"row": 1}))
    finish_run(engine, run_id, "succeeded")


QUERY = """query($n: Int) { coins(first: $n, orderBy: {field: SYMBOL}) { nodes {
    canonicalId
    sources { source matchMethod }
    latestPrice { priceUsd }
    spread { absUsd }
    prices(last: 20) { nodes { priceUsd } pageInfo { hasPreviousPage } }
    series(source: CSV, interval: HOUR, from: "2024-01-01T00:00:00Z", to: "2024-01-02T00:00:00Z") { priceUsd }
} } }"""  # a windowed series: an unbounded one costs 10,000 points a coin (graphql_api.gql.series_cost)


def count_statements(app: FastAPI, client: ApiClient, page_size: int) -> tuple[int, dict[str, object]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.strip().upper() != "BEGIN":  # SQLite's explicit BEGIN, not a query
            statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        body = gql(client, QUERY, n=page_size)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)
    return len(statements), body


@pytest.fixture
def resolving_app(database_url: str) -> Iterator[FastAPI]:
    """The app with the compiled path off: on PostgreSQL QUERY would otherwise be one compiled statement."""
    app = create_app(Settings(database_url=database_url, api_compile_graphql=False))
    yield app
    app.state.engine.dispose()


@pytest.mark.parametrize("page_sizes", [(10, 100)])
def test_statement_count_is_constant_in_page_size(
    engine: Engine, resolving_app: FastAPI, page_sizes: tuple[int, int]
) -> None:
    load_many(engine)
    client = ApiClient(resolving_app)
    small, small_body = count_statements(resolving_app, client, page_sizes[0])
    large, large_body = count_statements(resolving_app, client, page_sizes[1])
    # data version + coins page + one per loader (sources, latest, prices, series)
    assert small == large == 6
    nodes = large_body["data"]["coins"]["nodes"]  # type: ignore[index]
    assert len(nodes) == 100
    assert len(small_body["data"]["coins"]["nodes"]) == 10  # type: ignore[index]
    c042 = next(node for node in nodes if node["canonicalId"] == "coin-042")
    assert [p["priceUsd"] for p in c042["prices"]["nodes"]] == [float(42 + h) for h in range(5, 25)]
    assert c042["prices"]["pageInfo"] == {"hasPreviousPage": True}
    assert c042["latestPrice"] == {"priceUsd": 66.0}
    assert c042["series"]["priceUsd"] == [float(42 + h) for h in range(25)]
    assert c042["sources"] == [{"source": "CSV", "matchMethod": "CSV_DECLARED"}]
    assert c042["spread"] is None
