"""The GraphQL response cache: a repeat is a hit; a committed load makes the next answer fresh."""

import re
from datetime import timedelta

from sqlalchemy import Engine

from graphql_api.metrics import MAX_OPERATION_LABELS
from models.run_log import finish_run, start_run
from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import HOURS, Market, add_prices

QUERY = '{ coin(canonicalId: "bitcoin") { latestPrice(source: CSV) { priceUsd observedAt } } }'


def cache_counts(client: ApiClient) -> dict[str, float]:
    text = client.get("/metrics").text
    found = re.findall(r'^coinflow_graphql_response_cache_total\{result="(hit|miss)"\} (\S+)$', text, re.MULTILINE)
    return {result: float(value) for result, value in found}


def test_hit_then_invalidated_by_a_load(client: ApiClient, market: Market, engine: Engine) -> None:
    first = gql(client, QUERY)
    assert first["data"]["coin"]["latestPrice"]["priceUsd"] == 120.0
    assert cache_counts(client) == {"miss": 1.0}
    assert gql(client, QUERY) == first
    assert cache_counts(client) == {"miss": 1.0, "hit": 1.0}

    add_prices(engine, market.btc, "csv", [HOURS[-1] + timedelta(hours=1)], [130.0])

    fresh = gql(client, QUERY)
    assert fresh["data"]["coin"]["latestPrice"] == {"priceUsd": 130.0, "observedAt": "2024-01-01T03:00:00+00:00"}
    assert cache_counts(client) == {"miss": 2.0, "hit": 1.0}


def test_variables_are_part_of_the_key_and_errors_are_not_cached(client: ApiClient, market: Market) -> None:
    query = "query($id: String!) { coin(canonicalId: $id) { symbol } }"
    assert gql(client, query, id="bitcoin")["data"]["coin"] == {"symbol": "BTC"}
    assert gql(client, query, id="ethereum")["data"]["coin"] == {"symbol": "ETH"}
    bad = "{ coins(first: 501) { nodes { symbol } } }"
    gql(client, bad)
    gql(client, bad)
    assert cache_counts(client) == {"miss": 4.0}


def test_metrics_count_requests_operations_and_etl(client: ApiClient, market: Market) -> None:
    client.get("/data", params={"limit": 1})
    client.get("/data", params={"limit": 501})
    client.post("/graphql", json={"query": "query Dash { coins { nodes { symbol } } }", "operationName": "Dash"})
    client.post("/graphql", json={"query": "query Bad { coins(first: 900) { nodes { symbol } } }"})
    text = client.get("/metrics").text
    assert 'coinflow_http_requests_total{method="GET",route="/data",status="200"} 1.0' in text
    assert 'coinflow_http_requests_total{method="GET",route="/data",status="422"} 1.0' in text
    assert 'coinflow_http_request_duration_seconds_count{method="POST",route="/graphql",status="200"} 2.0' in text
    assert 'coinflow_graphql_operations_total{operation="Dash"} 1.0' in text
    assert 'coinflow_graphql_errors_total{operation="anonymous"} 1.0' in text
    assert 'coinflow_etl_price_rows{source="csv"} 6.0' in text
    assert 'coinflow_etl_rejected_records{source="csv"} 1.0' in text
    assert re.search(r'^coinflow_etl_last_success_timestamp_seconds\{source="csv"\} \d', text, re.MULTILINE)
    assert 'coinflow_etl_last_success_timestamp_seconds{source="coingecko"}' not in text


def test_operation_names_cannot_grow_the_metrics_without_bound(client: ApiClient, market: Market) -> None:
    for n in range(MAX_OPERATION_LABELS + 5):
        body = {"query": f"query Op{n} {{ coins(first: 1) {{ nodes {{ symbol }} }} }}", "operationName": f"Op{n}"}
        assert client.post("/graphql", json=body).status_code == 200
    text = client.get("/metrics").text
    labels = re.findall(r'^coinflow_graphql_operations_total\{operation="([^"]+)"\} (\S+)$', text, re.MULTILINE)
    counts = dict(labels)
    assert len(counts) == MAX_OPERATION_LABELS + 1
    assert counts["Op0"] == "1.0" and counts[f"Op{MAX_OPERATION_LABELS - 1}"] == "1.0"
    assert counts["other"] == "5.0"


def test_a_run_that_loads_nothing_still_shows_in_a_cached_runs_query(
    client: ApiClient, market: Market, engine: Engine
) -> None:
    query = "{ runs(first: 10) { nodes { source stream status } } }"
    before = gql(client, query)["data"]["runs"]["nodes"]
    assert gql(client, query)["data"]["runs"]["nodes"] == before  # a cache hit
    run_id = start_run(engine, "coinpaprika", "tickers", None, None)
    running = gql(client, query)["data"]["runs"]["nodes"]
    assert running[0] == {"source": "COINPAPRIKA", "stream": "tickers", "status": "RUNNING"}
    finish_run(engine, run_id, "succeeded")  # nothing loaded: no price changed
    assert gql(client, query)["data"]["runs"]["nodes"] == [
        {"source": "COINPAPRIKA", "stream": "tickers", "status": "SUCCEEDED"},
        *before,
    ]
