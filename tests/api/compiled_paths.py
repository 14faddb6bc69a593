"""Asking one GraphQL request of both paths — compiled and resolvers — and comparing the answers strictly.

``strict`` parses a response keeping key order and the exact text of every number (``3`` and ``3.0``
differ, as do ``1e-05`` and ``1e-5``), with request ids (different per request by design) blanked.
"""

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from graphql_api.app import create_app
from graphql_api.gql.router import EXECUTION_HEADER
from models.db import make_engine
from models.settings import Settings
from tests.api.compiled_market import load_compiled_market
from tests.conftest import BACKENDS, wipe_database


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_paths(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, FastAPI, FastAPI]]:
    """Per backend, once per module: the compiled-path market and both apps on it (read-only tests)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("compiled") / "coinflow.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        wipe_database(url)
    engine = make_engine(url)
    load_compiled_market(engine)
    engine.dispose()
    with both_paths(url) as (compiling, resolving):
        yield request.param, compiling, resolving


@contextmanager
def both_paths(database_url: str, **settings: Any) -> Iterator[tuple[FastAPI, FastAPI]]:
    """Two apps on ``database_url``, response cache off, other ``settings`` alike: (compilation on, off)."""
    apps = [
        create_app(Settings(database_url=database_url, api_response_cache_size=0, api_compile_graphql=flag, **settings))
        for flag in (True, False)
    ]
    try:
        yield apps[0], apps[1]
    finally:
        for app in apps:
            app.state.engine.dispose()


def ask(app: FastAPI, query: str, variables: dict[str, Any] | None = None) -> tuple[str, str]:
    """POST one operation in process; (the path that answered, the response text)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            return await client.post("/graphql", json={"query": query, "variables": variables or {}})

    response = anyio.run(send)
    assert response.status_code == 200, response.text
    return response.headers[EXECUTION_HEADER], response.text


def strict(text: str) -> Any:
    """The response as nested (key, value) lists, numbers as their text, request ids blanked."""
    parsed = json.loads(
        text, object_pairs_hook=list, parse_float=lambda s: ("float", s), parse_int=lambda s: ("int", s)
    )
    return _blank_request_ids(parsed)


def _blank_request_ids(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):  # a (key, value) pair
        return (value[0], "<request id>") if value[0] == "requestId" else (value[0], _blank_request_ids(value[1]))
    if isinstance(value, list):
        return [_blank_request_ids(item) for item in value]
    return value
