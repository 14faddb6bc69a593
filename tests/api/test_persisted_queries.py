"""Automatic persisted queries (Apollo APQ) as Apollo Client uses them: hash first, text once, then GET by hash."""

import hashlib
import json
from typing import Any

from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market

QUERY = 'query Btc { coin(canonicalId: "bitcoin") { symbol latestPrice(source: CSV) { priceUsd } } }'
SHA = hashlib.sha256(QUERY.encode()).hexdigest()
EXPECTED = {"data": {"coin": {"symbol": "BTC", "latestPrice": {"priceUsd": 120.0}}}}


def persisted(sha: str = SHA, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def get_by_hash(client: ApiClient, sha: str = SHA, **headers: str) -> Any:
    return client.get("/graphql", params={"extensions": json.dumps(persisted(sha))}, headers=headers)


def test_unknown_hash_then_text_once_then_a_cacheable_get_by_hash(client: ApiClient, market: Market) -> None:
    unknown = get_by_hash(client)
    assert unknown.status_code == 200
    [error] = unknown.json()["errors"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND" and error["extensions"]["requestId"]
    assert "cache-control" not in unknown.headers and "etag" not in unknown.headers

    registered = client.post("/graphql", json={"query": QUERY, "extensions": persisted()})
    assert registered.json() == EXPECTED

    by_hash = get_by_hash(client)
    assert by_hash.json() == EXPECTED
    assert by_hash.headers["cache-control"] == "public, max-age=5"
    assert get_by_hash(client, **{"If-None-Match": by_hash.headers["etag"]}).status_code == 304
    posted = client.post("/graphql", json={"extensions": persisted(), "operationName": "Btc"})
    assert posted.json() == EXPECTED


def test_a_hash_that_is_not_the_querys_or_a_bad_extension_is_bad_user_input(client: ApiClient, market: Market) -> None:
    wrong = client.post("/graphql", json={"query": QUERY, "extensions": persisted("0" * 64)})
    [error] = wrong.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "BAD_USER_INPUT",
        "persistedQuery: provided sha does not match query",
    )
    assert get_by_hash(client, "0" * 64).json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    for extensions in (persisted(version=2), persisted("not-a-hash"), {"persistedQuery": "x"}):
        body = client.post("/graphql", json={"query": QUERY, "extensions": extensions}).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "data" not in body
