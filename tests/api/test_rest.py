"""REST routes through the real app on both databases: exact values of the fixture market."""

from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from graphql_api.app import create_app
from models.settings import Settings
from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market


def test_health_needs_no_database_and_echoes_a_well_formed_request_id(client: ApiClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "probe-42"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"] == "probe-42"


def test_a_malformed_request_id_is_replaced_by_a_generated_one(client: ApiClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "bad id; drop table"})
    generated = response.headers["x-request-id"]
    assert generated != "bad id; drop table"
    assert len(generated) == 32 and int(generated, 16) >= 0


def test_ready_checks_the_database(client: ApiClient, market: Market) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == [{"check": "database", "ok": True}]


def test_stats_per_source_and_market(client: ApiClient, market: Market) -> None:
    body = client.get("/stats", headers={"X-Request-ID": "stats-1"}).json()
    by_source = {item["source"]: item for item in body["data"]}
    assert sorted(by_source) == ["coingecko", "coinpaprika", "csv"]
    csv = by_source["csv"]
    assert (csv["runs"], csv["last_run_id"], csv["last_run_status"]) == (1, market.csv_run, "succeeded")
    assert (csv["price_rows"], csv["rejected"], csv["drift_events"]) == (6, 1, 1)
    assert csv["last_success_at"] is not None
    gecko = by_source["coingecko"]
    assert (gecko["last_run_status"], gecko["price_rows"], gecko["last_success_at"]) == ("failed", 3, None)
    assert by_source["coinpaprika"]["runs"] == 0
    market_stats = body["market"]
    assert market_stats["coin_count"] == 2
    assert market_stats["total_market_cap_usd"] == 128_000.0
    assert [(m["symbol"], m["change_24h_pct"]) for m in market_stats["top_gainers"]] == [("BTC", 5.0)]
    assert [(m["symbol"], m["change_24h_pct"]) for m in market_stats["top_losers"]] == [("ETH", -3.0)]
    assert body["meta"]["request_id"] == "stats-1"
    assert body["meta"]["api_latency_ms"] > 0


def test_data_filters_and_values(client: ApiClient, market: Market) -> None:
    body = client.get("/data", params={"symbol": "btc", "source": "csv"}).json()
    assert [(row["canonical_id"], row["price_usd"], row["observed_at"]) for row in body["data"]] == [
        ("bitcoin", 100.0, "2024-01-01T00:00:00+00:00"),
        ("bitcoin", 110.0, "2024-01-01T01:00:00+00:00"),
        ("bitcoin", 120.0, "2024-01-01T02:00:00+00:00"),
    ]
    assert body["data"][0]["raw_record_id"] is not None
    assert body["next_cursor"] is None
    assert set(body["meta"]) == {"request_id", "api_latency_ms"}

    ranged = client.get(
        "/data", params={"canonical_id": "bitcoin", "from": "2024-01-01T01:00:00Z", "to": "2024-01-01T01:00:00Z"}
    )
    assert [(r["source"], r["price_usd"]) for r in ranged.json()["data"]] == [("coingecko", 111.0), ("csv", 110.0)]

    # An offset in the input is honoured: 02:00+01:00 is 01:00 UTC.
    shifted = client.get("/data", params={"q": "ether", "from": "2024-01-01T02:00:00+01:00"})
    assert [r["price_usd"] for r in shifted.json()["data"]] == [9.0, 8.0]


def test_data_pages_with_next_cursor(client: ApiClient, market: Market) -> None:
    seen = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = client.get("/data", params=params).json()
        seen += [(r["coin_id"], r["source"], r["observed_at"]) for r in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == 9 == len(set(seen))
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ("limit=501", 422, "limit"),
        ("limit=0", 422, "limit"),
        ("cursor=not-a-cursor", 400, "cursor"),
        ("cursor=WyJyIiwxXQ", 400, "cursor"),  # a run cursor replayed on /data
        ("from=yesterday", 422, "from"),
        ("source=binance", 422, "source"),
    ],
)
def test_data_bad_input_names_the_parameter(client: ApiClient, query: str, status: int, parameter: str) -> None:
    response = client.get(f"/data?{query}")
    assert response.status_code == status
    problem = response.json()
    assert (problem["status"], problem["parameter"]) == (status, parameter)
    assert problem["detail"].startswith(f"{parameter}:")


def test_coin_by_canonical_id(client: ApiClient, market: Market) -> None:
    body = client.get("/coins/bitcoin").json()
    assert (body["symbol"], body["name"]) == ("BTC", "Bitcoin")
    assert [(s["source"], s["source_coin_id"], s["match_method"]) for s in body["sources"]] == [
        ("coingecko", "bitcoin", "override"),
        ("csv", "btc", "csv-declared"),
    ]
    assert [(p["source"], p["price_usd"]) for p in body["latest_prices"]] == [("coingecko", 119.0), ("csv", 120.0)]
    missing = client.get(f"/coins/{quote('no-such-coin')}")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "canonical_id: no coin 'no-such-coin'"


def test_runs_list_detail_and_compare(client: ApiClient, market: Market) -> None:
    body = client.get("/runs").json()
    assert [(r["id"], r["source"], r["status"]) for r in body["data"]] == [
        (market.gecko_run, "coingecko", "failed"),
        (market.csv_run, "csv", "succeeded"),
    ]
    assert body["data"][0]["error"] == "HTTP 429 after 5 attempts"
    assert body["data"][1]["prefect_url"] == "http://prefect.local/runs/flow-run/11111111-2222-3333-4444-555555555555"
    page = client.get("/runs", params={"limit": 1}).json()
    assert [r["id"] for r in page["data"]] == [market.gecko_run]
    rest = client.get("/runs", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [r["id"] for r in rest["data"]] == [market.csv_run] and rest["next_cursor"] is None
    assert [r["id"] for r in client.get("/runs", params={"source": "csv"}).json()["data"]] == [market.csv_run]

    run = client.get(f"/runs/{market.csv_run}").json()
    assert (run["read"], run["valid"], run["rejected"], run["inserted"]) == (7, 6, 1, 6)
    assert run["checkpoint_after"] == {"row": 7}

    compared = client.get("/runs/compare", params={"a": market.csv_run, "b": market.gecko_run}).json()
    assert compared["counts"]["read"] == {"a": 7, "b": 3, "delta": -4}
    assert compared["counts"]["rejected"] == {"a": 1, "b": 0, "delta": -1}
    assert compared["status_changed"] is True

    assert client.get("/runs/999").status_code == 404
    missing = client.get("/runs/compare", params={"a": market.csv_run, "b": 999})
    assert missing.status_code == 404 and missing.json()["detail"] == "b: no run 999"
    bad = client.get("/runs/compare", params={"a": "x", "b": 1})
    assert bad.status_code == 422 and bad.json()["parameter"] == "a"


def test_unexpected_failure_is_masked_and_carries_the_request_id(
    client: ApiClient, market: Market, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with engine.begin() as conn:  # a real fault: a table the route reads is gone
        conn.execute(text("ALTER TABLE schema_drift RENAME TO schema_drift_away"))
    try:
        response = client.get("/stats", headers={"X-Request-ID": "boom-1"})
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE schema_drift_away RENAME TO schema_drift"))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Unexpected error; quote the request_id when reporting it.",
        "instance": "/stats",
        "request_id": "boom-1",
    }
    assert "schema_drift" not in response.text
    [logged] = [record for record in caplog.records if record.levelname == "ERROR"]
    assert logged.request_id == "boom-1"  # type: ignore[attr-defined]
    assert "no such table" in caplog.text or "does not exist" in caplog.text


def test_no_route_writes(client: ApiClient) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.request(method, "/data").status_code == 405


def test_ready_is_503_naming_a_source_without_a_recent_success(database_url: str, market: Market) -> None:
    app = create_app(Settings(database_url=database_url, api_ready_max_age_s={"csv": 3600, "coingecko": 3600}))
    try:
        response = ApiClient(app).get("/health/ready")
    finally:
        app.state.engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert [check["check"] for check in body["failing"]] == ["source:coingecko"]
    assert body["failing"][0]["last_success_at"] is None
    csv = next(check for check in body["checks"] if check["check"] == "source:csv")
    assert csv["ok"] is True and 0 <= csv["age_s"] < 3600


def test_ready_is_503_when_the_database_is_unreachable() -> None:
    app = create_app(Settings(database_url="postgresql+psycopg2://nobody@127.0.0.1:1/none"))
    try:
        response = ApiClient(app).get("/health/ready")
    finally:
        app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json()["failing"] == [{"check": "database", "ok": False, "detail": "database unreachable"}]
    assert "nobody" not in response.text
