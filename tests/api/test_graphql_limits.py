"""Abuse limits and error handling of /graphql: bombs, oversized pages, bad input, masking, error codes."""

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text

from graphql_api.app import create_app
from models.settings import Settings
from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import Market

DEPTH_BOMB = "{ coins { nodes { " + "prices { nodes { coin { " * 3 + "symbol" + " } } }" * 3 + " } } }"
ALIAS_BOMB = '{ coin(canonicalId: "bitcoin") { ' + " ".join(f"a{i}: symbol" for i in range(31)) + " } }"
TOKEN_BOMB = '{ coin(canonicalId: "bitcoin") { ' + "symbol " * 2100 + "} }"


@pytest.mark.parametrize(
    ("query", "variables", "message", "code"),
    [
        (DEPTH_BOMB, {}, "'anonymous' exceeds maximum operation depth of 8", "DEPTH_LIMIT"),
        (ALIAS_BOMB, {}, "31 aliases found. Allowed: 30", "COST_LIMIT"),
        (TOKEN_BOMB, {}, "Syntax Error: Document contains more than 2000 tokens. Parsing aborted.", "COST_LIMIT"),
        ("{ coins(first: 501) { nodes { symbol } } }", {}, "first: must be between 1 and 500 (got 501)", "PAGE_LIMIT"),
        (
            "query($n: Int) { coins(last: $n) { nodes { symbol } } }",
            {"n": 1000},
            "last: must be between 1 and 500 (got 1000)",
            "PAGE_LIMIT",
        ),
        ("{ coins(first: 0) { nodes { symbol } } }", {}, "first: must be between 1 and 500 (got 0)", "PAGE_LIMIT"),
        (
            "{ coins(first: 500) { nodes { prices(last: 500) { nodes { priceUsd } } } } }",
            {},
            "query cost 250500 exceeds the limit of 50000 "
            "(requested list sizes multiplied along each path; ask for smaller pages)",
            "COST_LIMIT",
        ),
        ('{ coins(after: "garbage") { nodes { symbol } } }', {}, "after: malformed cursor", "BAD_CURSOR"),
        (
            "{ coins(first: 1, last: 1) { nodes { symbol } } }",
            {},
            "first: give first or last, not both",
            "BAD_USER_INPUT",
        ),
        (
            '{ prices(from: "2024-13-45") { nodes { priceUsd } } }',
            {},
            "Expected value of type 'DateTime', but encountered error "
            "'expected an ISO 8601 date-time such as 2024-01-01T00:00:00Z'; found: \"2024-13-45\".",
            "BAD_USER_INPUT",
        ),
        (
            "query($t: DateTime) { prices(to: $t) { nodes { priceUsd } } }",
            {"t": "yesterday"},
            "Variable '$t' has invalid value: Expected value of type 'DateTime', but encountered error "
            "'expected an ISO 8601 date-time such as 2024-01-01T00:00:00Z'; found: 'yesterday'.",
            "BAD_USER_INPUT",
        ),
    ],
)
def test_rejected_with_a_clear_message_and_code(
    client: ApiClient, market: Market, query: str, variables: dict[str, object], message: str, code: str
) -> None:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"X-Request-ID": "limits-1"}
    )
    body = response.json()
    assert [error["message"] for error in body["errors"]] == [message]
    assert [error["extensions"] for error in body["errors"]] == [{"code": code, "requestId": "limits-1"}]
    assert body.get("data") is None


def test_cost_counts_fragments_and_variables(client: ApiClient, market: Market) -> None:
    query = """query($n: Int) { coins(first: $n) { ...withPrices } }
      fragment withPrices on CoinConnection { nodes { prices(first: 200) { nodes { priceUsd } } } }"""
    assert gql(client, query, n=250)["errors"][0]["message"].startswith("query cost 50250 exceeds")
    assert "errors" not in gql(client, query, n=2)


def test_a_cursor_of_another_ordering_is_refused(client: ApiClient, market: Market) -> None:
    by_symbol = gql(client, "{ coins(first: 1, orderBy: {field: SYMBOL}) { pageInfo { endCursor } } }")
    cursor = by_symbol["data"]["coins"]["pageInfo"]["endCursor"]
    body = gql(client, "query($c: String) { coins(after: $c) { nodes { symbol } } }", c=cursor)
    assert body["errors"][0]["message"] == "after: cursor does not belong to this list or ordering"
    assert body["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


def test_unexpected_errors_are_masked(client: ApiClient, market: Market, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE etl_runs RENAME TO etl_runs_away"))
    try:
        response = client.post(
            "/graphql", json={"query": "{ runs { nodes { id } } }"}, headers={"X-Request-ID": "gql-boom"}
        )
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE etl_runs_away RENAME TO etl_runs"))
    body = response.json()
    assert response.headers["x-request-id"] == "gql-boom"
    assert [e["message"] for e in body["errors"]] == [
        "Unexpected error; quote the X-Request-ID response header when reporting it."
    ]
    assert [e["extensions"] for e in body["errors"]] == [{"code": "INTERNAL", "requestId": "gql-boom"}]
    assert "etl_runs" not in response.text and "SELECT" not in response.text


def test_introspection_on_by_default_and_off_by_setting(database_url: str, client: ApiClient) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    assert client.post("/graphql", json=query).json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    closed: FastAPI = create_app(Settings(database_url=database_url, api_introspection=False))
    try:
        body = ApiClient(closed).post("/graphql", json=query).json()
    finally:
        closed.state.engine.dispose()
    assert body["errors"][0]["message"].startswith("GraphQL introspection has been disabled")


def test_graphiql_on_get(client: ApiClient) -> None:
    response = client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "GraphiQL" in response.text


@pytest.mark.parametrize(
    ("series", "cost"),
    [
        # RAW, or no window: up to 10,000 points each (10 points count one row)
        ("series(source: CSV) { points }", 490 + 490 * 1_000),
        ('series(source: CSV, interval: DAY, from: "2020-01-01T00:00:00Z") { points }', 490 + 490 * 1_000),
    ],
)
def test_series_is_costed_by_the_points_it_can_return(client: ApiClient, series: str, cost: int) -> None:
    body = gql(client, "{ coins(first: 490) { nodes { " + series + " } } }")
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith(f"query cost {cost} exceeds the limit of 50000")
    assert body["errors"][0]["extensions"]["code"] == "COST_LIMIT"


def test_a_windowed_daily_series_of_a_page_of_coins_is_allowed(client: ApiClient, market: Market) -> None:
    # 50 coins x a year of days (366 points, cost 37 each): 50 + 1,850, well within the limit
    query = """query($from: DateTime, $to: DateTime) { coins(first: 50) { nodes { canonicalId
        series(source: CSV, interval: DAY, from: $from, to: $to) { points priceUsd } } } }"""
    body = gql(client, query, **{"from": "2023-06-01T00:00:00Z", "to": "2024-06-01T00:00:00Z"})
    assert "errors" not in body, body
    by_coin = {node["canonicalId"]: node["series"] for node in body["data"]["coins"]["nodes"]}
    assert by_coin["bitcoin"] == {"points": 1, "priceUsd": [110.0]}  # the day's average of 100, 110, 120
