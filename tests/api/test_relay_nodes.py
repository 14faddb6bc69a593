"""Relay object identification and enums: global ids a normalized client cache can key on, refetched by node(s)."""

import base64

from flows.api_normalize import MATCH_METHOD
from flows.identity_market import MARKET
from flows.identity_rules import AMBIGUOUS
from flows.normalize import CSV_MATCH_METHOD
from graphql_api.gql.scalars import MatchMethod
from models.coins import CROSS_SOURCE_METHODS
from tests.api.conftest import ApiClient, gql
from tests.api.market_fixture import Market

NODE_FIELDS = "id __typename ... on Coin { canonicalId symbol } ... on Run { runId source status stream }"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_coins_and_runs_carry_global_ids_that_node_refetches(client: ApiClient, market: Market) -> None:
    listed = gql(client, "{ coins { nodes { id canonicalId } } runs { nodes { id runId } } }")["data"]
    coin_ids = {c["canonicalId"]: c["id"] for c in listed["coins"]["nodes"]}
    run_ids = {r["runId"]: r["id"] for r in listed["runs"]["nodes"]}
    assert coin_ids["bitcoin"] == b64("Coin:bitcoin")
    assert run_ids[market.csv_run] == b64(f"Run:{market.csv_run}")
    assert len(set(coin_ids.values()) | set(run_ids.values())) == len(coin_ids) + len(run_ids)

    query = f"query($id: ID!) {{ node(id: $id) {{ {NODE_FIELDS} }} }}"
    coin = gql(client, query, id=coin_ids["ethereum"])["data"]["node"]
    assert coin == {"id": coin_ids["ethereum"], "__typename": "Coin", "canonicalId": "ethereum", "symbol": "ETH"}
    run = gql(client, query, id=run_ids[market.gecko_run])["data"]["node"]
    assert run == {
        "id": run_ids[market.gecko_run],
        "__typename": "Run",
        "runId": market.gecko_run,
        "source": "COINGECKO",
        "status": "FAILED",
        "stream": "markets",
    }


def test_nodes_keeps_the_order_and_answers_null_for_what_does_not_exist(client: ApiClient, market: Market) -> None:
    ids = [b64(f"Run:{market.csv_run}"), b64("Coin:no-such-coin"), b64("Coin:bitcoin"), b64("Run:999999")]
    body = gql(client, f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODE_FIELDS} }} }}", ids=ids)
    assert "errors" not in body, body
    found = body["data"]["nodes"]
    assert [n and n["__typename"] for n in found] == ["Run", None, "Coin", None]
    assert found[0]["runId"] == market.csv_run and found[0]["status"] == "SUCCEEDED"
    assert found[2]["canonicalId"] == "bitcoin"


def test_a_bad_global_id_is_bad_user_input(client: ApiClient, market: Market) -> None:
    query = "query($id: ID!) { node(id: $id) { id } }"
    for bad in ("not base64!", b64("no separator"), b64("Price:1"), b64("Coin:"), "x" * 1000):
        body = gql(client, query, id=bad)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (bad, error)
        assert error["message"].startswith("id: not a global id"), error
        assert body["data"] == {"node": None}
    body = gql(client, '{ nodes(ids: ["Q29pbjpiaXRjb2lu", "%%%"]) { id } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith("ids: ")


def test_closed_value_sets_are_enums_and_filter_like_them(client: ApiClient, market: Market) -> None:
    body = gql(
        client,
        """{ coin(canonicalId: "bitcoin") { sources { source matchMethod } latestPrice(source: COINGECKO) { source } }
             runs(source: CSV, status: SUCCEEDED) { nodes { source status } }
             schemaDrift { nodes { source kind } } }""",
    )
    assert "errors" not in body, body
    result = body["data"]
    assert result["coin"]["sources"] == [
        {"source": "COINGECKO", "matchMethod": "OVERRIDE"},
        {"source": "CSV", "matchMethod": "CSV_DECLARED"},
    ]
    assert result["coin"]["latestPrice"] == {"source": "COINGECKO"}
    assert result["runs"]["nodes"] == [{"source": "CSV", "status": "SUCCEEDED"}]
    assert result["schemaDrift"]["nodes"] == [{"source": "CSV", "kind": "ADDED"}]
    lower = gql(client, '{ runs(status: "succeeded") { nodes { runId } } }')
    assert lower["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_every_match_method_the_pipeline_writes_has_an_enum_value() -> None:
    written = {*CROSS_SOURCE_METHODS, MARKET, AMBIGUOUS, MATCH_METHOD, CSV_MATCH_METHOD}
    assert written == {method.value for method in MatchMethod}


def test_lineage_rejected_records_and_drift_events_are_nodes_too(client: ApiClient, market: Market) -> None:
    listed = gql(
        client,
        """query($run: Int!) {
          coin(canonicalId: "bitcoin") { prices(source: CSV, last: 1) { nodes { lineage { id rawRecordId } } } }
          rejectedRecords(runId: $run) { nodes { id rejectedRecordId naturalKey } }
          schemaDrift { nodes { id schemaDriftId field } } }""",
        run=market.csv_run,
    )["data"]
    [lineage] = [n["lineage"] for n in listed["coin"]["prices"]["nodes"]]
    [rejected] = listed["rejectedRecords"]["nodes"]
    [drift] = listed["schemaDrift"]["nodes"]
    assert lineage["id"] == b64(f"Lineage:{lineage['rawRecordId']}")
    assert rejected["id"] == b64(f"RejectedRecord:{rejected['rejectedRecordId']}")
    assert drift["id"] == b64(f"SchemaDriftEvent:{drift['schemaDriftId']}")
    fields = """__typename ... on Lineage { naturalKey payload } ... on RejectedRecord { naturalKey reasons }
                ... on SchemaDriftEvent { field kind }"""
    ids = [lineage["id"], rejected["id"], drift["id"], b64("Lineage:99999999999999999999")]
    body = gql(client, f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {fields} }} }}", ids=ids)
    assert body["data"]["nodes"] == [
        {"__typename": "Lineage", "naturalKey": "sample.csv:3", "payload": {"row": 3}},
        {"__typename": "RejectedRecord", "naturalKey": "sample.csv:7", "reasons": ["price_usd: greater_than(0)"]},
        {"__typename": "SchemaDriftEvent", "field": "extra", "kind": "ADDED"},
        None,
    ]
