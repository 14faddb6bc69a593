"""Values no column can hold are refused at the boundary, naming the parameter, alike on both databases."""

import base64
from typing import Any

import orjson
import pytest

from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import Market

INVALID = "tag:coinflow,2026:problem:invalid-parameter"


def cursor(*parts: Any) -> str:
    """A cursor as the API writes them (base64url JSON, no padding), holding ``parts``."""
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "parameter", "detail"),
    [
        ("/runs/9223372036854775808", "run_id", "must be between"),
        ("/runs/-9223372036854775809", "run_id", "must be between"),
        ("/runs/compare?a=1&b=99999999999999999999", "b", "must be between"),
        ("/runs?cursor=WyJyIiw5MjIzMzcyMDM2ODU0Nzc1ODA4XQ", "cursor", "cursor"),
        ("/data?from=9999-12-31T23:59:59-05:00", "from", "outside years 1..9999"),
        ("/data?to=0001-01-01T00:00:00%2B05:00", "to", "outside years 1..9999"),
        (f"/data?cursor={cursor('p', 1, 'csv', '9999-12-31T23:59:59-05:00')}", "cursor", "malformed cursor"),
        (f"/data?cursor={cursor('p', 2**63, 'csv', '2024-01-01T00:00:00+00:00')}", "cursor", "malformed cursor"),
        ("/data?cursor=" + cursor("p", 1, "c\x00sv", "2024-01-01T00:00:00+00:00"), "cursor", "malformed cursor"),
        ("/data?q=%00", "q", "NUL"),
        ("/data?symbol=BT%00C", "symbol", "NUL"),
        ("/coins/a%00b", "canonical_id", "NUL"),
        ("/runs?source=csv%00", "source", "NUL"),
    ],
)
def test_out_of_bounds_parameters_are_400_naming_them(
    client: ApiClient, path: str, parameter: str, detail: str
) -> None:
    response = client.get(path)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == INVALID and problem["parameter"] == parameter
    assert problem["detail"].startswith(f"{parameter}: ") and detail in problem["detail"]


def test_values_at_the_bounds_still_work(client: ApiClient, market: Market) -> None:
    assert client.get("/runs/9223372036854775807").status_code == 404  # fits a BIGINT: simply no such run
    widest = {"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z", "source": "csv", "symbol": "BTC"}
    page = client.get("/data", params=widest)
    assert page.status_code == 200 and [row["price_usd"] for row in page.json()["data"]] == [100.0, 110.0, 120.0]
    # an offset whose UTC instant exists is converted, not refused: 2024-01-01T02:00+02:00 is midnight UTC
    late = client.get("/data", params={"canonical_id": "bitcoin", "source": "csv", "to": "2024-01-01T02:00:00+02:00"})
    assert [row["price_usd"] for row in late.json()["data"]] == [100.0]


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        ('{ coin(canonicalId: "a\\u0000b") { symbol } }', {}, "canonicalId: must not contain a NUL character (U+0000)"),
        (
            '{ prices(from: "9999-12-31T23:59:59-05:00") { nodes { priceUsd } } }',
            {},
            "from: out of range: its UTC time falls outside years 1..9999",
        ),
        (
            "query($t: DateTime) { prices(to: $t) { nodes { priceUsd } } }",
            {"t": "0001-01-01T00:00:00+05:00"},
            "Variable '$t' has invalid value: Expected value of type 'DateTime', but encountered error "
            "'out of range: its UTC time falls outside years 1..9999'; found: '0001-01-01T00:00:00+05:00'.",
        ),
        (
            "query($id: String!) { coin(canonicalId: $id) { symbol } }",
            {"id": "bit\x00coin"},
            "Variable '$id': must not contain a NUL character (U+0000)",
        ),
        (
            "query($ids: [String!]) { prices(canonicalIds: $ids) { nodes { priceUsd } } }",
            {"ids": ["bitcoin", "\x00"]},
            "Variable '$ids': must not contain a NUL character (U+0000)",
        ),
    ],
)
def test_graphql_out_of_bounds_arguments_are_bad_user_input(
    client: ApiClient, query: str, variables: dict[str, Any], message: str
) -> None:
    body = gql(client, query, **variables)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == message
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_graphql_cursor_out_of_bounds_is_bad_cursor(client: ApiClient, market: Market) -> None:
    query = "query($c: String) { runs(after: $c) { nodes { id } } }"
    body = gql(client, query, c=cursor("r", 2**63))
    assert body["errors"][0]["message"] == "after: malformed cursor"
    assert body["errors"][0]["extensions"]["code"] == "BAD_CURSOR"
