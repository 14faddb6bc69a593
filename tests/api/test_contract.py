"""/openapi.json types every REST body, and the bodies the routes send match those types exactly."""

from pydantic import BaseModel

from graphql_api.rest.responses import CoinDetail, DataPage, RunPage, Stats
from tests.api.conftest import ApiClient
from tests.api.market_fixture import Market


def test_openapi_types_every_rest_200_body(client: ApiClient) -> None:
    spec = client.get("/openapi.json").json()
    untyped = {"/graphql", "/metrics"}  # GraphQL has its own schema; /metrics is Prometheus text
    for path, operations in spec["paths"].items():
        if path in untyped:
            continue
        schema = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema.get("$ref", "").startswith("#/components/schemas/"), path
    page = spec["components"]["schemas"]["DataPage"]
    assert page["properties"]["data"]["items"] == {"$ref": "#/components/schemas/PriceOfCoin"}
    price = spec["components"]["schemas"]["PriceOfCoin"]
    assert price["properties"]["price_usd"]["type"] == "number"
    assert price["properties"]["observed_at"]["format"] == "date-time"


def exact_keys(model: BaseModel) -> None:
    """Every key of the body is a declared field, all the way down (row models accept extra keys)."""
    assert not model.model_extra, model.model_extra
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                exact_keys(item)


def test_bodies_match_their_declared_models(client: ApiClient, market: Market) -> None:
    data = DataPage.model_validate(client.get("/data", params={"limit": 2}).json())
    exact_keys(data)
    assert [(row.symbol, row.price_usd) for row in data.data] == [("BTC", 101.0), ("BTC", 111.0)]
    exact_keys(RunPage.model_validate(client.get("/runs").json()))
    exact_keys(Stats.model_validate(client.get("/stats").json()))
    coin = CoinDetail.model_validate(client.get("/coins/bitcoin").json())
    exact_keys(coin)
    assert [price.price_usd for price in coin.latest_prices] == [119.0, 120.0]
