"""GraphQL queries through the real app on both databases: exact values of the fixture market."""

from typing import Any

import pytest

from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import Market


def data(client: ApiClient, query: str, **variables: Any) -> dict[str, Any]:
    body = gql(client, query, **variables)
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


COIN_FIELDS = """
  canonicalId symbol name
  sources { source sourceCoinId matchMethod }
  latestPrice { source priceUsd observedAt }
  latestPrices { source priceUsd }
  spread { sources minUsd maxUsd absUsd pct flagged }
"""


def test_coin_with_sources_latest_prices_and_spread(client: ApiClient, market: Market) -> None:
    coin = data(client, f'{{ coin(canonicalId: "bitcoin") {{ {COIN_FIELDS} }} }}')["coin"]
    assert coin["sources"] == [
        {"source": "COINGECKO", "sourceCoinId": "bitcoin", "matchMethod": "OVERRIDE"},
        {"source": "CSV", "sourceCoinId": "btc", "matchMethod": "CSV_DECLARED"},
    ]
    # Both sources observed at 02:00: the tie goes to the later source name, consistently everywhere.
    assert coin["latestPrice"] == {"source": "CSV", "priceUsd": 120.0, "observedAt": "2024-01-01T02:00:00+00:00"}
    assert coin["latestPrices"] == [{"source": "COINGECKO", "priceUsd": 119.0}, {"source": "CSV", "priceUsd": 120.0}]
    assert coin["spread"] == {
        "sources": 2,
        "minUsd": 119.0,
        "maxUsd": 120.0,
        "absUsd": 1.0,
        "pct": 0.83682,
        "flagged": False,
    }  # fmt: skip  (max - min) / median = 1 / 119.5
    assert data(client, '{ coin(canonicalId: "nope") { symbol } }')["coin"] is None
    latest = data(client, '{ coin(canonicalId: "bitcoin") { latestPrice(source: COINGECKO) { priceUsd } } }')
    assert latest["coin"]["latestPrice"] == {"priceUsd": 119.0}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", ["bitcoin", "ethereum", "dogecoin"]),  # rank ascending, the coin without prices last
        ("orderBy: {field: RANK, direction: DESC}", ["ethereum", "bitcoin", "dogecoin"]),
        ("orderBy: {field: MARKET_CAP, direction: DESC}", ["bitcoin", "ethereum", "dogecoin"]),
        ("orderBy: {field: MARKET_CAP, direction: ASC}", ["ethereum", "bitcoin", "dogecoin"]),
        ("orderBy: {field: SYMBOL}", ["bitcoin", "dogecoin", "ethereum"]),
        ("orderBy: {field: NAME, direction: DESC}", ["ethereum", "dogecoin", "bitcoin"]),
        ('filter: {symbol: "eth"}', ["ethereum"]),
        ('filter: {search: "COIN"}', ["bitcoin", "dogecoin"]),
        ("filter: {source: COINGECKO}", ["bitcoin"]),
        ("filter: {matched: true}", ["bitcoin"]),  # CoinGecko's id joined the CSV coin by override
        ("filter: {matched: false}", ["ethereum", "dogecoin"]),  # each known to one source only
        ('filter: {search: "zzz"}', []),
    ],
)
def test_coins_filters_and_orders(client: ApiClient, market: Market, arguments: str, expected: list[str]) -> None:
    query = f"{{ coins{'(' + arguments + ')' if arguments else ''} {{ nodes {{ canonicalId }} totalCount }} }}"
    coins = data(client, query)["coins"]
    assert [node["canonicalId"] for node in coins["nodes"]] == expected
    assert coins["totalCount"] == len(expected)


def test_coins_keyset_pages_forwards_and_backwards(client: ApiClient, market: Market) -> None:
    query = """query($first: Int, $after: String, $last: Int, $before: String) {
      coins(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { canonicalId } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      } }"""
    seen, after = [], None
    for _ in range(3):
        page = data(client, query, first=1, after=after)["coins"]
        seen += [edge["node"]["canonicalId"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
    assert seen == ["bitcoin", "ethereum", "dogecoin"]
    assert page["pageInfo"]["hasNextPage"] is False and page["pageInfo"]["hasPreviousPage"] is True

    tail = data(client, query, last=2)["coins"]
    assert [edge["node"]["canonicalId"] for edge in tail["edges"]] == ["ethereum", "dogecoin"]
    assert tail["pageInfo"]["hasPreviousPage"] is True
    before = data(client, query, last=5, before=tail["pageInfo"]["startCursor"])["coins"]
    assert [edge["node"]["canonicalId"] for edge in before["edges"]] == ["bitcoin"]
    assert before["pageInfo"]["hasPreviousPage"] is False


def test_nested_prices_with_lineage_and_paging(client: ApiClient, market: Market) -> None:
    query = """{ coin(canonicalId: "bitcoin") {
        last2: prices(source: CSV, last: 2) {
          nodes { priceUsd observedAt runId lineage { naturalKey payload runId } }
          pageInfo { hasPreviousPage hasNextPage }
          totalCount
        }
        all: prices { nodes { source priceUsd } }
        window: prices(from: "2024-01-01T01:00:00Z", to: "2024-01-01T01:59:59Z") { nodes { source priceUsd } }
    } }"""
    coin = data(client, query)["coin"]
    last2 = coin["last2"]
    assert [(n["priceUsd"], n["observedAt"]) for n in last2["nodes"]] == [
        (110.0, "2024-01-01T01:00:00+00:00"),
        (120.0, "2024-01-01T02:00:00+00:00"),
    ]
    assert last2["nodes"][1]["lineage"] == {
        "naturalKey": "sample.csv:3",
        "payload": {"row": 3},
        "runId": market.csv_run,
    }
    assert last2["pageInfo"] == {"hasPreviousPage": True, "hasNextPage": False}
    assert last2["totalCount"] == 3
    # Primary-key order within a coin: source, then time.
    assert [(n["source"], n["priceUsd"]) for n in coin["all"]["nodes"]] == [
        ("COINGECKO", 101.0),
        ("COINGECKO", 111.0),
        ("COINGECKO", 119.0),
        ("CSV", 100.0),
        ("CSV", 110.0),
        ("CSV", 120.0),
    ]
    assert coin["window"]["nodes"] == [{"source": "COINGECKO", "priceUsd": 111.0}, {"source": "CSV", "priceUsd": 110.0}]


def test_top_level_prices_for_several_coins(client: ApiClient, market: Market) -> None:
    query = """query($after: String) {
      prices(canonicalIds: ["bitcoin", "ethereum"], source: CSV, first: 4, after: $after) {
        nodes { priceUsd coin { symbol } }
        pageInfo { hasNextPage endCursor }
        totalCount
      } }"""
    first = data(client, query)["prices"]
    assert [(n["coin"]["symbol"], n["priceUsd"]) for n in first["nodes"]] == [
        ("BTC", 100.0),
        ("BTC", 110.0),
        ("BTC", 120.0),
        ("ETH", 10.0),
    ]
    assert first["totalCount"] == 6 and first["pageInfo"]["hasNextPage"] is True
    rest = data(client, query, after=first["pageInfo"]["endCursor"])["prices"]
    assert [(n["coin"]["symbol"], n["priceUsd"]) for n in rest["nodes"]] == [("ETH", 9.0), ("ETH", 8.0)]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_series_is_columnar(client: ApiClient, market: Market) -> None:
    # first: 2, as three unbounded series cost 3 x 1,000 a coin (graphql_api.gql.series_cost)
    query = """{ coins(first: 2, filter: {source: CSV}, orderBy: {field: SYMBOL}) { nodes {
        symbol
        raw: series(source: CSV) { points timestamps priceUsd marketCapUsd volume24hUsd interval }
        daily: series(source: CSV, interval: DAY) { points timestamps priceUsd }
        later: series(source: CSV, from: "2024-01-01T02:00:00Z") { timestamps priceUsd }
    } } }"""
    btc, eth = data(client, query)["coins"]["nodes"]
    assert btc["raw"] == {
        "points": 3,
        "timestamps": [1704067200, 1704070800, 1704074400],
        "priceUsd": [100.0, 110.0, 120.0],
        "marketCapUsd": [100000.0, 110000.0, 120000.0],
        "volume24hUsd": [1000.0, 1100.0, 1200.0],
        "interval": "RAW",
    }
    assert btc["daily"] == {"points": 1, "timestamps": [1704067200], "priceUsd": [110.0]}
    assert eth["daily"]["priceUsd"] == [9.0]
    assert eth["later"] == {"timestamps": [1704074400], "priceUsd": [8.0]}


def test_series_last_keeps_the_newest_points_and_bounds_the_cost(client: ApiClient, market: Market) -> None:
    query = """{ coins(first: 490, filter: {source: CSV}, orderBy: {field: SYMBOL}) { nodes {
        symbol
        tail: series(source: CSV, last: 2) { points timestamps priceUsd }
        one: series(source: CSV, interval: HOUR, last: 1) { timestamps priceUsd }
    } } }"""  # 490 coins x (2 + 1) points: far under the cost limit, unlike 490 unbounded series
    btc, eth = data(client, query)["coins"]["nodes"]
    assert btc["tail"] == {"points": 2, "timestamps": [1704070800, 1704074400], "priceUsd": [110.0, 120.0]}
    assert btc["one"] == {"timestamps": [1704074400], "priceUsd": [120.0]}
    assert eth["one"]["priceUsd"] == [8.0]
    unbounded = client.post("/graphql", json={"query": query.replace(", last: 2", "").replace(", last: 1", "")})
    assert unbounded.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT"
    refused = client.post(
        "/graphql", json={"query": '{ coin(canonicalId: "bitcoin") { series(source: CSV, last: 0) { points } } }'}
    )
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "last" in error["message"]


def test_market_stats_in_sql(client: ApiClient, market: Market) -> None:
    query = """query($source: Source) { marketStats(source: $source) {
        coinCount totalMarketCapUsd
        topGainers { symbol change24hPct priceUsd source }
        topLosers { symbol change24hPct }
    } }"""
    everything = data(client, query)["marketStats"]
    assert (everything["coinCount"], everything["totalMarketCapUsd"]) == (2, 128_000.0)
    assert everything["topGainers"] == [{"symbol": "BTC", "change24hPct": 5.0, "priceUsd": 120.0, "source": "CSV"}]
    assert everything["topLosers"] == [{"symbol": "ETH", "change24hPct": -3.0}]
    gecko = data(client, query, source="COINGECKO")["marketStats"]
    assert (gecko["coinCount"], gecko["totalMarketCapUsd"], gecko["topLosers"]) == (1, 119_000.0, [])
    assert gecko["topGainers"][0]["change24hPct"] == 4.0


def test_runs_compare_rejected_and_drift(client: ApiClient, market: Market) -> None:
    query = """query($csv: Int!, $gecko: Int!) {
      runs { nodes { runId source status error flowRunId prefectUrl read rejected checkpointAfter } totalCount }
      failed: runs(status: FAILED) { nodes { runId } }
      run(id: $csv) { inserted durationS stream }
      compareRuns(a: $csv, b: $gecko) { counts { counter a b delta } statusChanged a { status } b { status } }
      rejectedRecords(runId: $csv) { nodes { naturalKey payload reasons } totalCount }
      schemaDrift(source: CSV) { nodes { field kind exampleValue runId } }
      noDrift: schemaDrift(source: COINGECKO) { nodes { field } }
    }"""
    result = data(client, query, csv=market.csv_run, gecko=market.gecko_run)
    runs = result["runs"]["nodes"]
    assert [(r["runId"], r["source"], r["status"]) for r in runs] == [
        (market.gecko_run, "COINGECKO", "FAILED"),
        (market.csv_run, "CSV", "SUCCEEDED"),
    ]
    assert runs[0]["error"] == "HTTP 429 after 5 attempts"
    assert runs[1]["prefectUrl"] == "http://prefect.local/runs/flow-run/11111111-2222-3333-4444-555555555555"
    assert (runs[1]["read"], runs[1]["rejected"], runs[1]["checkpointAfter"]) == (7, 1, {"row": 7})
    assert result["runs"]["totalCount"] == 2
    assert result["failed"]["nodes"] == [{"runId": market.gecko_run}]
    assert result["run"]["inserted"] == 6 and result["run"]["stream"] == "sample.csv"
    counts = {c["counter"]: (c["a"], c["b"], c["delta"]) for c in result["compareRuns"]["counts"]}
    assert counts["read"] == (7, 3, -4) and counts["inserted"] == (6, 3, -3)
    assert result["compareRuns"]["statusChanged"] is True
    assert result["rejectedRecords"] == {
        "nodes": [
            {"naturalKey": "sample.csv:7", "payload": {"price": "-1"}, "reasons": ["price_usd: greater_than(0)"]}
        ],
        "totalCount": 1,
    }
    assert result["schemaDrift"]["nodes"] == [
        {"field": "extra", "kind": "ADDED", "exampleValue": "x", "runId": market.csv_run}
    ]
    assert result["noDrift"]["nodes"] == []


def test_compare_unknown_run_names_the_argument(client: ApiClient, market: Market) -> None:
    body = gql(client, "{ compareRuns(a: 1, b: 999) { statusChanged } }")
    assert [e["message"] for e in body["errors"]] == ["b: no run 999"]
