"""A browser app on another origin may call the API when, and only when, its origin is configured."""

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from graphql_api.app import create_app
from models.settings import Settings
from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market

APP_ORIGIN = "http://localhost:5173"
OTHER_ORIGIN = "https://evil.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-request-id"}


@pytest.fixture
def cors_client(database_url: str) -> Iterator[ApiClient]:
    """The app allowing the dashboard's dev origin and a production one (as COINFLOW_API_CORS_ORIGINS would)."""
    app: FastAPI = create_app(
        Settings(database_url=database_url, api_cors_origins=f"{APP_ORIGIN}, https://dash.example.com/")
    )
    yield ApiClient(app)
    app.state.engine.dispose()


def test_preflight_from_an_allowed_origin_is_answered_and_cached(cors_client: ApiClient) -> None:
    response = cors_client.request("OPTIONS", "/graphql", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-max-age"] == "3600"
    assert {"GET", "POST"} <= set(response.headers["access-control-allow-methods"].split(", "))
    allowed_headers = response.headers["access-control-allow-headers"].lower().split(", ")
    assert {"content-type", "x-request-id"} <= set(allowed_headers)
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_from_another_origin_is_refused(cors_client: ApiClient) -> None:
    response = cors_client.request("OPTIONS", "/graphql", headers={"Origin": OTHER_ORIGIN, **PREFLIGHT})
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_get_data_from_an_allowed_origin_can_read_the_body_and_request_id(
    cors_client: ApiClient, market: Market
) -> None:
    response = cors_client.get("/data", params={"symbol": "ETH", "limit": 1}, headers={"Origin": APP_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-expose-headers"] == "X-Request-ID, ETag"
    assert [row["price_usd"] for row in response.json()["data"]] == [10.0]
    second = cors_client.get("/data", params={"limit": 1}, headers={"Origin": "https://dash.example.com"})
    assert second.headers["access-control-allow-origin"] == "https://dash.example.com"


def test_get_data_from_another_origin_gets_no_cors_grant(cors_client: ApiClient, market: Market) -> None:
    response = cors_client.get("/data", params={"limit": 1}, headers={"Origin": OTHER_ORIGIN})
    assert response.status_code == 200  # the server answers; the browser keeps the body from the page
    assert "access-control-allow-origin" not in response.headers


def test_errors_reach_an_allowed_origin_too(cors_client: ApiClient) -> None:
    response = cors_client.get("/data", params={"limit": 501}, headers={"Origin": APP_ORIGIN})
    assert response.status_code == 422 and response.json()["parameter"] == "limit"
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_no_origin_is_allowed_by_default(client: ApiClient) -> None:
    response = client.request("OPTIONS", "/graphql", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert response.status_code == 400
    assert "access-control-allow-origin" not in client.get("/health", headers={"Origin": APP_ORIGIN}).headers


def test_origins_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINFLOW_API_CORS_ORIGINS", "https://a.example.com, http://localhost:5173/")
    assert Settings().api_cors_origins == ["https://a.example.com", "http://localhost:5173"]
    monkeypatch.setenv("COINFLOW_API_CORS_ORIGINS", "a.example.com")
    with pytest.raises(ValidationError, match=re.escape("'a.example.com' is not an origin like https://host")):
        Settings()
