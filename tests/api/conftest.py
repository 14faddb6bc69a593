"""API test fixtures: the real app on the test database, with the small market loaded."""

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from graphql_api.app import create_app
from models.settings import Settings
from tests.api.market_fixture import Market, load_market


@pytest.fixture
def market(engine: Engine) -> Market:
    """The fixture market, loaded."""
    return load_market(engine)


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    """The real app reading the test database."""
    app = create_app(Settings(database_url=database_url, prefect_ui_url="http://prefect.local"))
    yield app
    app.state.engine.dispose()


class ApiClient:
    """A synchronous face on ``httpx.AsyncClient(transport=ASGITransport(app))``: the real app, in process.

    (Starlette's TestClient warns that its httpx support is deprecated; the ASGI transport is the
    supported way in.) Each call runs on a fresh event loop; the app keeps no loop-bound state.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request through the app."""

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
                return await client.request(method, path, **kwargs)

        return anyio.run(send)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """POST ``path``."""
        return self.request("POST", path, **kwargs)


@pytest.fixture
def client(app: FastAPI) -> ApiClient:
    """An HTTP client on the app (in-process ASGI)."""
    return ApiClient(app)


def gql(client: ApiClient, query: str, **variables: Any) -> dict[str, Any]:
    """POST a GraphQL query; returns the whole response body."""
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
