"""Every REST error is one RFC 9457 problem document, and /openapi.json says so."""

from typing import Any

import pytest
from fastapi import FastAPI, HTTPException

from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market

INVALID = {"type": "tag:coinflow,2026:problem:invalid-parameter", "title": "Invalid parameter"}


@pytest.mark.parametrize(
    ("method", "path", "status", "expected"),
    [
        (
            "GET",
            "/data?cursor=not-a-cursor",
            400,
            {**INVALID, "detail": "cursor: malformed cursor", "instance": "/data", "parameter": "cursor"},
        ),
        (
            "GET",
            "/runs/999",
            404,
            {"type": "about:blank", "title": "Not Found", "detail": "run_id: no run 999", "parameter": "run_id"},
        ),
        ("GET", "/no-such-route", 404, {"type": "about:blank", "title": "Not Found", "detail": "Not Found"}),
        (
            "DELETE",
            "/data",
            405,
            {"type": "about:blank", "title": "Method Not Allowed", "detail": "Method Not Allowed"},
        ),
        (
            "GET",
            "/data?limit=501",
            422,
            {
                **INVALID,
                "detail": "limit: Input should be less than or equal to 500",
                "parameter": "limit",
                "errors": [{"parameter": "limit", "detail": "Input should be less than or equal to 500"}],
            },
        ),
        (
            "POST",
            "/graphql",
            400,
            {"type": "about:blank", "title": "Bad Request", "detail": "Unable to parse request body as JSON"},
        ),
    ],
)
def test_each_error_status_has_the_problem_shape(
    client: ApiClient, market: Market, method: str, path: str, status: int, expected: dict[str, Any]
) -> None:
    headers = {"X-Request-ID": "problem-1", "Content-Type": "application/json"}
    response = client.request(method, path, headers=headers, content=b"{not json" if method == "POST" else None)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    instance = path.split("?")[0]
    assert response.json() == {"status": status, "instance": instance, "request_id": "problem-1", **expected}


def test_a_422_lists_every_invalid_parameter(client: ApiClient) -> None:
    problem = client.get("/data", params={"limit": 0, "source": "binance"}).json()
    assert problem["status"] == 422 and problem["parameter"] == "source"
    assert [item["parameter"] for item in problem["errors"]] == ["source", "limit"]
    assert problem["detail"] == "; ".join(f"{item['parameter']}: {item['detail']}" for item in problem["errors"])


def test_http_errors_raised_by_a_route_keep_their_status_and_headers(app: FastAPI) -> None:
    # The route an operator's auth or rate limit would be: raising FastAPI's HTTPException is enough.
    @app.get("/guarded/{status}")
    def guarded(status: int) -> None:
        headers = {401: {"WWW-Authenticate": "Bearer"}, 429: {"Retry-After": "7"}}[status]
        raise HTTPException(status, "token: missing" if status == 401 else "quota exhausted", headers=headers)

    client = ApiClient(app)
    unauthorized = client.get("/guarded/401", headers={"X-Request-ID": "auth-1"})
    assert unauthorized.status_code == 401 and unauthorized.headers["www-authenticate"] == "Bearer"
    assert unauthorized.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "token: missing",
        "instance": "/guarded/401",
        "request_id": "auth-1",
    }
    limited = client.get("/guarded/429", headers={"X-Request-ID": "quota-1"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "quota exhausted",
        "instance": "/guarded/429",
        "request_id": "quota-1",
    }


def test_openapi_documents_every_error_as_a_problem(client: ApiClient) -> None:
    spec = client.get("/openapi.json").json()
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"title", "status", "detail", "instance", "request_id"}
    assert {"type", "parameter", "errors"} <= set(problem["properties"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    reference = {"schema": {"$ref": "#/components/schemas/Problem"}}
    data = spec["paths"]["/data"]["get"]["responses"]
    for status in ("400", "422", "500"):
        assert data[status]["content"] == {"application/problem+json": reference}
    assert spec["paths"]["/runs/{run_id}"]["get"]["responses"]["404"]["content"] == {
        "application/problem+json": reference
    }
    # Not problems: the readiness probe's 503 (its own body of checks) and Strawberry's note that GET
    # /graphql is a 404 when GraphiQL and GET queries are off (they are on; a 404 would be a problem).
    exempt = {("/health/ready", "get", "503"), ("/graphql", "get", "404")}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and (path, method, status) not in exempt:
                    assert set(response.get("content", {})) == {"application/problem+json"}, (method, path, status)
