"""Malformed /graphql bodies are 400, oversized bodies 413, variables bounded, the cache held to its byte budget."""

from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI

from graphql_api.app import create_app
from graphql_api.gql.response_cache import ResponseCache
from models.settings import Settings
from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import Market

JSON = {"Content-Type": "application/json"}
DEEP = b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"null", 'expected a JSON object such as {"query": "{ coins { nodes { symbol } } }"}, got null'),
        (b"42", 'expected a JSON object such as {"query": "{ coins { nodes { symbol } } }"}, got a number'),
        (b"[]", 'expected a JSON object such as {"query": "{ coins { nodes { symbol } } }"}, got an array'),
        (b'{"query": "\xff\xfe"}', "Unable to parse request body as JSON: it is not valid UTF-8"),
        (b'{"query": "{ __typename }", "variables": 7}', "must be an object or null"),
        (b'{"query": "{ __typename }", "variables": ["a"]}', "must be an object or null"),
        (DEEP, "Unable to parse request body as JSON: nested deeper than 1024 levels"),
        (b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 40 + b"]" * 40 + b"}}", "nested deeper than 32"),
        (b'{"query": 5}', "`query` must be a string or null"),
    ],
)
def test_malformed_graphql_bodies_are_400_problems(client: ApiClient, body: bytes, detail: str) -> None:
    response = client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_too_many_variables_are_refused(client: ApiClient, market: Market) -> None:
    variables = {f"v{i}": i for i in range(101)}
    response = client.post("/graphql", json={"query": "{ __typename }", "variables": variables})
    assert response.status_code == 400
    assert response.json()["detail"] == "variables: 101 given, at most 100 allowed (COINFLOW_API_MAX_VARIABLES)"
    variables.pop("v100")
    assert gql(client, "{ __typename }", **variables)["data"] == {"__typename": "Query"}


@pytest.fixture
def small_app(database_url: str) -> Iterator[FastAPI]:
    """The app with a 64 KiB body limit and a 40 KB response cache."""
    settings = Settings(database_url=database_url, api_max_body_bytes=65_536, api_response_cache_bytes=40_000)
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


def test_a_body_over_the_limit_is_413_declared_or_streamed(small_app: FastAPI, market: Market) -> None:
    client = ApiClient(small_app)
    padding = "x" * 70_000
    declared = client.post("/graphql", json={"query": "{ __typename }", "variables": {"pad": padding}})
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"
    assert declared.json()["detail"] == "request body larger than 65536 bytes (COINFLOW_API_MAX_BODY_BYTES)"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(10):
            yield b"y" * 10_000
        yield b'"}}'

    assert client.post("/graphql", content=chunks(), headers=JSON).status_code == 413
    just_under = client.post("/graphql", json={"query": "{ __typename }", "variables": {"pad": "z" * 60_000}})
    assert just_under.status_code == 200 and just_under.json()["data"] == {"__typename": "Query"}


def test_many_unique_large_requests_stay_within_the_cache_byte_budget(small_app: FastAPI, market: Market) -> None:
    client = ApiClient(small_app)
    cache = _cache(small_app)
    # the padding rides in an undeclared variable, as in the probe (graphql-core ignores it)
    query = "{ coins { nodes { canonicalId symbol name latestPrice { priceUsd source } } } }"
    answers = []
    for i in range(60):  # 60 unique requests of ~50 KB each; every answer is ~600 bytes
        body = gql(client, query, pad=f"{i}:" + "p" * 50_000)
        answers.append(body)
        assert cache.bytes_used <= cache.max_bytes == 40_000
    assert all(answer == answers[0] for answer in answers) and answers[0]["data"]["coins"]["nodes"]
    assert len(cache) == 60  # a key is a 32-byte digest, not the 50 KB of request text
    assert cache.bytes_used < 60 * 2_000
    wide = "{ coins(first: 3) { nodes { a: prices(first: 100) { nodes { priceUsd observedAt source } } } } }"
    for i in range(1, 40):  # answers of ~2 KB each, unique by page size: least recently used ones go
        gql(client, wide.replace("first: 3", f"first: {i % 3 + 1}").replace("first: 100", f"first: {i + 1}"))
        assert cache.bytes_used <= 40_000
    assert len(cache) < 60 + 39


def _cache(app: FastAPI) -> ResponseCache:
    cache = app.state.response_cache
    assert isinstance(cache, ResponseCache)
    return cache
