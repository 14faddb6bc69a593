"""Keyset pagination walks a whole result with no gap or duplicate while a load inserts rows."""

from datetime import timedelta

from sqlalchemy import Engine

from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import HOURS, T0, Market, add_prices

ORIGINAL = 9  # the fixture's prices


def test_rest_walk_while_rows_arrive(client: ApiClient, market: Market, engine: Engine) -> None:
    seen: list[tuple[int, str, str]] = []
    cursor = None
    pages = 0
    while True:
        body = client.get("/data", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [(r["coin_id"], r["source"], r["observed_at"]) for r in body["data"]]
        pages += 1
        if pages == 1:
            # Between pages: one row sorting before the cursor, one after it.
            add_prices(engine, market.btc, "coingecko", [T0 - timedelta(hours=1)], [99.0])
            add_prices(engine, market.eth, "csv", [HOURS[-1] + timedelta(hours=1)], [7.0])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a row came twice"
    assert seen == sorted(seen)
    # Every original row once, the later row ahead of the cursor too, the one behind it not.
    assert len(seen) == ORIGINAL + 1
    assert (market.eth, "csv", "2024-01-01T03:00:00+00:00") in seen
    assert (market.btc, "coingecko", "2023-12-31T23:00:00+00:00") not in seen


def test_graphql_walk_while_rows_arrive(client: ApiClient, market: Market, engine: Engine) -> None:
    query = """query($after: String) { prices(first: 3, after: $after) {
        edges { cursor node { source priceUsd observedAt coin { symbol } } }
        pageInfo { hasNextPage endCursor } } }"""
    seen: list[tuple[str, str, str]] = []
    after = None
    for page_number in range(10):
        page = gql(client, query, after=after)["data"]["prices"]
        seen += [(e["node"]["coin"]["symbol"], e["node"]["source"], e["node"]["observedAt"]) for e in page["edges"]]
        if page_number == 0:
            add_prices(engine, market.btc, "csv", [HOURS[-1] + timedelta(hours=1)], [130.0])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == ORIGINAL + 1
    assert ("BTC", "CSV", "2024-01-01T03:00:00+00:00") in seen
