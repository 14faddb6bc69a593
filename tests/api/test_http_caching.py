"""HTTP caching and compression as a browser or CDN sees them: ETag, 304, Cache-Control, gzip."""

import re
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import Engine

from graphql_api.app import create_app
from graphql_api.http_cache import app_fingerprint
from models.settings import Settings
from tests.api.conftest import ApiClient
from tests.api.market_fixture import HOURS, Market, add_prices

CACHE_CONTROL = "public, max-age=5"
QUERY = '{ coin(canonicalId: "bitcoin") { latestPrice(source: CSV) { priceUsd } } }'


def graphql_misses(client: ApiClient) -> str:
    found = re.search(
        r'^coinflow_graphql_response_cache_total\{result="miss"\} (\S+)$', client.get("/metrics").text, re.M
    )
    return found.group(1) if found else "0"


def test_rest_get_is_tagged_revalidated_with_304_and_fresh_after_a_load(
    client: ApiClient, market: Market, engine: Engine
) -> None:
    params = {"symbol": "BTC", "source": "csv", "limit": 5}
    first = client.get("/data", params=params)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
    assert first.headers["cache-control"] == CACHE_CONTROL
    assert "Accept-Encoding" in first.headers["vary"]

    again = client.get("/data", params=params, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert again.headers["cache-control"] == CACHE_CONTROL and again.headers["x-request-id"]
    assert client.get("/data", params=params, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get("/data", params={**params, "limit": 4}, headers={"If-None-Match": etag}).status_code == 200

    add_prices(engine, market.btc, "csv", [HOURS[-1] + timedelta(hours=1)], [130.0])
    fresh = client.get("/data", params=params, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    assert [row["price_usd"] for row in fresh.json()["data"]] == [100.0, 110.0, 120.0, 130.0]


def test_errors_posts_probes_and_metrics_are_never_cacheable(client: ApiClient, market: Market) -> None:
    for path in ("/coins/no-such-coin", "/data?limit=9999", "/health", "/health/ready", "/metrics"):
        response = client.get(path)
        assert "cache-control" not in response.headers and "etag" not in response.headers, path
    posted = client.post("/graphql", json={"query": QUERY})
    assert posted.json()["data"]["coin"]["latestPrice"] == {"priceUsd": 120.0}
    assert "cache-control" not in posted.headers and "etag" not in posted.headers
    failed = client.get("/graphql", params={"query": "{ coins(first: 501) { nodes { symbol } } }"})
    assert failed.status_code == 200 and failed.json()["errors"][0]["extensions"]["code"] == "PAGE_LIMIT"
    assert "cache-control" not in failed.headers and "etag" not in failed.headers
    mutation = client.get("/graphql", params={"query": "mutation { triggerRun(source: CSV) { source } }"})
    assert mutation.status_code >= 400 and "cache-control" not in mutation.headers
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "cache-control" not in page.headers


def test_graphql_get_query_is_cacheable_and_a_304_runs_nothing(client: ApiClient, market: Market) -> None:
    first = client.get("/graphql", params={"query": QUERY})
    assert first.json() == {"data": {"coin": {"latestPrice": {"priceUsd": 120.0}}}}
    assert first.headers["cache-control"] == CACHE_CONTROL
    misses = graphql_misses(client)
    again = client.get("/graphql", params={"query": QUERY}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert graphql_misses(client) == misses  # not even the response cache was asked


def test_the_etag_is_the_same_in_every_worker_and_changes_with_settings(app: FastAPI, market: Market) -> None:
    settings = app.state.settings
    twin = create_app(settings)
    other = create_app(settings.model_copy(update={"prefect_ui_url": "http://elsewhere"}))
    try:
        tags = [ApiClient(a).get("/runs").headers["etag"] for a in (app, twin, other)]
    finally:
        twin.state.engine.dispose()
        other.state.engine.dispose()
    assert tags[0] == tags[1] != tags[2]


def test_large_answers_are_gzipped_small_ones_are_not(client: ApiClient, market: Market) -> None:
    plain = client.get("/data", params={"limit": 500}, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) > 1_000
    zipped = client.get("/data", params={"limit": 500}, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json()["data"] == plain.json()["data"]  # httpx decoded it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.headers["etag"] == plain.headers["etag"]  # weak: names the data, not the bytes
    small = client.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers and small.json() == {"status": "ok"}


def test_the_fingerprint_ignores_the_database_password() -> None:
    base = Settings(database_url="postgresql+psycopg2://api:first@db/coinflow")
    same = base.model_copy(update={"database_url": "postgresql+psycopg2://api:second@db/coinflow"})
    other = base.model_copy(update={"database_url": "postgresql+psycopg2://api:first@db/elsewhere"})
    assert app_fingerprint(base) == app_fingerprint(same) != app_fingerprint(other)
