"""The client factory: hosts and key headers per plan, Retry-After parsing, error classification."""

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from flows.http_client import (
    PayloadError,
    RetryableSourceError,
    SourceError,
    is_retryable,
    make_client,
    parse_retry_after,
)
from models.settings import Settings
from tests.sources.conftest import SourceServer


def _settings(**values: object) -> Settings:
    return Settings(database_url="sqlite:///unused.db", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("plan", "key", "host", "header"),
    [
        ("demo", None, "https://api.coingecko.com/api/v3/", None),
        ("demo", "k1", "https://api.coingecko.com/api/v3/", "x-cg-demo-api-key"),
        ("pro", "k2", "https://pro-api.coingecko.com/api/v3/", "x-cg-pro-api-key"),
    ],
)
def test_coingecko_host_and_key_header_follow_the_plan(
    plan: str, key: str | None, host: str, header: str | None
) -> None:
    client = make_client("coingecko", _settings(coingecko_key_plan=plan, coingecko_api_key=key and SecretStr(key)))
    assert str(client.http.base_url) == host
    sent = {name for name in client.http.headers if name.startswith("x-cg-")}
    assert sent == ({header} if header else set())
    client.close()


def test_coinpaprika_key_selects_the_pro_host_and_scheme() -> None:
    client = make_client(
        "coinpaprika", _settings(coinpaprika_api_key=SecretStr("abc"), coinpaprika_auth_scheme="Bearer")
    )
    assert str(client.http.base_url) == "https://api-pro.coinpaprika.com/v1/"
    assert client.http.headers["authorization"] == "Bearer abc"
    client.close()


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2025, 3, 4, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("119") == 119.0
    assert parse_retry_after("Tue, 04 Mar 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Tue, 04 Mar 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_classification_over_http(source_server: SourceServer) -> None:
    settings = _settings(
        coingecko_base_url=f"{source_server.url}/api/v3", coinpaprika_base_url=f"{source_server.url}/v1"
    )
    gecko, paprika = make_client("coingecko", settings), make_client("coinpaprika", settings)
    source_server.fault("/api/v3/coins/markets", "429", retry_after="7")
    with pytest.raises(RetryableSourceError) as limited:
        gecko.get_json("coins/markets", {"vs_currency": "usd"})
    assert limited.value.retry_after == 7.0 and "exceeded the Rate Limit" in str(limited.value)
    with pytest.raises(SourceError) as missing:
        paprika.get_json("tickers/nope-nope")
    assert not is_retryable(missing.value) and str(missing.value) == "GET tickers/nope-nope: HTTP 404: id not found"
    source_server.fault("/v1/tickers", "html")
    with pytest.raises(PayloadError) as html:
        paprika.get_json("tickers")
    assert not is_retryable(html.value) and html.value.received["body"].startswith("<!DOCTYPE html>")
    gecko.close()
    paprika.close()
