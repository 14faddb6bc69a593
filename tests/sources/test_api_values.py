"""Every stored API value means what its source meant (issue 12 items 2, 5, 6), on SQLite and PostgreSQL.

Real flow runs against the replay server serving recorded payloads (tests/sources/value_replay.py);
each test reads the stored rows back: price, observed_at, market cap, volume, coin, or the reason a
row was refused.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from deployments.source_server.runner import serve_in_thread
from flows.ingest import ingest
from flows.run_summary import RunSummary
from models.settings import Settings, get_settings
from tests.sources import value_replay
from tests.sources.conftest import SOURCE_ENV, rows


@pytest.fixture(scope="module")
def replay_now() -> datetime:
    """When the replay data is built: it dates today's still-open candle. Taken when this module starts,
    not at import — collection can precede the module by the whole suite, across a midnight, and the
    candle of a day that has ended is closed (a CI run at 00:18 stored it)."""
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def value_server(tmp_path_factory: pytest.TempPathFactory, replay_now: datetime) -> Iterator[str]:
    data = value_replay.build(tmp_path_factory.mktemp("value-replay"), replay_now)
    with serve_in_thread(data) as (url, _book):
        yield url


@pytest.fixture
def values_env(
    engine: Engine, settings: Settings, value_server: str, prefect_api_url: str, monkeypatch: pytest.MonkeyPatch
) -> Engine:
    for name, value in SOURCE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COINFLOW_HISTORY_END")  # up to now: today's still-open candle is asked for
    monkeypatch.setenv("COINFLOW_HISTORY_START", "2013-12-01")
    monkeypatch.setenv("COINFLOW_COINGECKO_BASE_URL", f"{value_server}/api/v3")
    monkeypatch.setenv("COINFLOW_COINPAPRIKA_BASE_URL", f"{value_server}/v1")
    monkeypatch.setenv("COINFLOW_COINGECKO_HISTORY_COINS", json.dumps(["bitcoin"]))
    monkeypatch.setenv("COINFLOW_COINPAPRIKA_HISTORY_COINS", json.dumps(["eth-ethereum", "btc-bitcoin"]))
    monkeypatch.setenv("COINFLOW_COINPAPRIKA_HISTORY_LIMIT", "100")
    get_settings.cache_clear()
    return engine


def run(source: str) -> RunSummary:
    result: Any = ingest(source=source, return_state=True).result(raise_on_failure=False)
    [summary] = result
    assert summary.status == "succeeded", summary.error
    return summary  # type: ignore[no-any-return]


def stored(engine: Engine, source: str, source_coin_id: str, stream: str | None = None) -> list[Any]:
    """(observed_at ISO, price, market cap, volume, rank) of one source coin, oldest first."""
    sql = (
        "SELECT p.observed_at, p.price_usd, p.market_cap_usd, p.volume_24h_usd, p.rank FROM prices p "
        "JOIN coin_sources s ON s.coin_id = p.coin_id AND s.source = p.source "
        "JOIN raw_records r ON r.id = p.raw_record_id "
        "WHERE p.source = :source AND s.source_coin_id = :coin AND (:stream IS NULL OR r.stream = :stream) "
        "ORDER BY p.observed_at"
    )
    found = rows(engine, sql, source=source, coin=source_coin_id, stream=stream)
    return [(_iso(r[0]), r[1], r[2], r[3], r[4]) for r in found]


def rejected(engine: Engine, source: str) -> dict[str, list[str]]:
    """natural key -> the failed checks, of one source's quarantined rows."""
    found = rows(engine, "SELECT natural_key, reasons FROM rejected_records WHERE source = :s", s=source)
    out = {}
    for key, reasons in found:
        parsed = reasons if isinstance(reasons, list) else json.loads(reasons)
        out[key] = sorted(f"{r['column']}: {r['check']}" for r in parsed)
    return out


def _iso(value: Any) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_coinpaprika_candle_close_is_stored_at_the_period_end(
    values_env: Engine, monkeypatch: pytest.MonkeyPatch, replay_now: datetime
) -> None:
    monkeypatch.setenv("COINFLOW_COINPAPRIKA_HISTORY_ENDPOINT", "ohlcv")
    get_settings.cache_clear()
    run("coinpaprika")
    eth = {row[0]: row for row in stored(values_env, "coinpaprika", "eth-ethereum", "ohlcv_historical")}
    # The row: time_open 2022-01-21 00:00, time_close 23:59:59, close 2559.51 -> 2022-01-22 00:00.
    assert eth["2022-01-22T00:00:00"][1:4] == pytest.approx((2559.512187356022, 305240868553.0, 32270455055.0))
    assert "2022-01-21T00:00:00" in eth and eth["2022-01-21T00:00:00"][1] == pytest.approx(3019.0596883260273)
    assert eth["2022-01-20T00:00:00"][1] == pytest.approx(3097.194511711747)  # the first candle, 2022-01-19
    assert "2022-01-19T00:00:00" not in eth
    # 91 recorded candles: the last is 2022-04-19's partial candle (time_close 15:44): not a close.
    assert len(eth) == 90 and max(eth) == "2022-04-19T00:00:00"
    reasons = rejected(values_env, "coinpaprika")
    assert reasons["eth-ethereum@2022-04-19T00:00:00Z"] == ["time_close: period_not_closed"]
    # Sibling: CoinPaprika's /ohlcv/today shape (time_close = the fetch time, 16:42) -> nothing stored.
    assert reasons["btc-bitcoin@2025-09-25T00:00:00Z"] == ["time_close: period_not_closed"]
    assert stored(values_env, "coinpaprika", "btc-bitcoin", "ohlcv_historical") == []
    # Sibling: today's candle written as if complete (23:59:59) ends after now: not stored either.
    today = value_replay.open_candle(replay_now)["time_open"]
    assert reasons[f"eth-ethereum@{today}"] == ["time_close: period_not_closed"]


def test_coinpaprika_instants_and_sentinels(values_env: Engine) -> None:
    run("coinpaprika")
    # Tickers are instants: observed at last_updated, values as sent.
    [btc] = stored(values_env, "coinpaprika", "btc-bitcoin", "tickers")
    assert btc == ("2020-06-10T14:52:03", 9781.43869386, 179981650934.0, 17928305327.293, 1)
    # rank 0, market_cap 0 and volume_24h "" mean unknown: NULL, the price kept.
    [ren] = stored(values_env, "coinpaprika", "ren-republic-protocol", "tickers")
    assert ren == ("2020-06-10T14:53:45", 0.08706426, None, None, None)
    # A price of 0 is not unknown: the row is refused with the reason, nothing stored.
    assert stored(values_env, "coinpaprika", "xrp-xrp", "tickers") == []
    assert rejected(values_env, "coinpaprika")["xrp-xrp@2020-06-10T14:52:04Z"] == ["price: greater_than(0)"]
    # Historical ticks are instants too: observed at their timestamp.
    history = stored(values_env, "coinpaprika", "btc-bitcoin", "tickers_historical")
    assert history[-1][:2] == ("2025-03-04T00:00:00", pytest.approx(60697.88583964))


def test_coingecko_empty_symbols_get_prices_without_drift(values_env: Engine) -> None:
    run("coingecko")
    for coin in ("arcium", "nyla-ai", "hyperion-staked-aptos"):
        [row] = stored(values_env, "coingecko", coin, "markets")
        assert row[0] == "2025-03-04T14:45:50", coin
    assert stored(values_env, "coingecko", "arcium", "markets")[0][1:4] == (0.4512, None, 1834.21)
    symbols = rows(
        values_env,
        "SELECT s.source_coin_id, s.symbol, c.canonical_id FROM coin_sources s JOIN coins c ON c.id = s.coin_id "
        "WHERE s.source = 'coingecko' AND s.source_coin_id IN ('arcium', 'nyla-ai') ORDER BY 1",
    )
    assert symbols == [("arcium", "", "arcium"), ("nyla-ai", "", "nyla-ai")]
    assert rows(values_env, "SELECT field, kind FROM schema_drift WHERE source = 'coingecko'") == []
    assert rejected(values_env, "coingecko") == {
        "bitcoin@1491264000000": ["price: greater_than(0)"],  # the distorted point: refused, not NULL
    }


def approx(value: float) -> Any:
    """Equal to 9 significant digits (the export's float tails are not the point here)."""
    return pytest.approx(value, rel=1e-9)


def test_coingecko_zero_market_cap_and_volume_are_unknown(values_env: Engine) -> None:
    run("coingecko")
    chart = stored(values_env, "coingecko", "bitcoin", "market_chart")
    assert chart == [
        ("2013-12-25T00:00:00", 668.74, 8140337961.0, None, None),  # total_volume 0 in the export's first 242 days
        ("2013-12-26T00:00:00", 734.59, 8944973877.0, None, None),
        ("2013-12-27T00:00:00", 734.27, 8944473292.0, 62881800.0, None),
        ("2017-04-01T00:00:00", approx(1085.253), approx(17634831646.536), approx(87750426.9), None),
        ("2017-04-02T00:00:00", approx(1098.068), None, approx(80231506.35), None),  # market_caps [.., 0.0]
        ("2017-04-03T00:00:00", approx(1139.3082754456), approx(18517903140.188), approx(131765236.04), None),
    ]  # fmt: skip
    markets = {c: stored(values_env, "coingecko", c, "markets")[0] for c in ("bitcoin", "nyla-ai")}
    # the recorded row in its USD version (the recording is EUR x 1.053077): stored as served
    assert markets["bitcoin"][1:5] == (84085.0, 1677239926634.0, 74536368238.0, 1)
    assert markets["nyla-ai"][1:5] == (0.00871, None, None, None)  # market_cap 0, total_volume 0, rank null


def test_drift_never_calls_an_empty_value_a_type_change() -> None:
    from validation.coingecko import MARKETS_FIELDS
    from validation.drift import detect_drift

    recorded = value_replay.RECORDED / "coingecko" / "coins_markets__RozanovIgor-monkey_usd_per_page30_2025-03-04.json"
    row = json.loads(Path(recorded).read_text())[0]
    empty = [dict(row, symbol=""), dict(row, name=None), dict(row, market_cap="")]
    assert detect_drift(empty, MARKETS_FIELDS) == []
    [drift] = detect_drift([dict(row, market_cap="n/a")], MARKETS_FIELDS)
    assert (drift.field, drift.kind) == ("market_cap", "type_changed")


def test_a_quote_currency_other_than_usd_is_refused_before_anything_is_fetched() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="vs_currency"):
        Settings(vs_currency="eur")  # type: ignore[arg-type]  # would store EUR prices as price_usd
