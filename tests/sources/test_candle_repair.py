"""Migration 0004 repairs API prices stored before the value rules (closes at the candle's open,
unfinished candles stored, 0 for unknown), on SQLite and PostgreSQL."""

import json
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from models.landing import land_raw
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.migrate import alembic_config
from models.run_log import start_run
from tests.sources.conftest import rows
from tests.sources.value_replay import OHLCV_ETH, RECORDED

NOW = datetime(2022, 4, 19, 15, 45, tzinfo=UTC)  # when the recording was fetched


def migration(database_url: str) -> ModuleType:
    script = ScriptDirectory.from_config(alembic_config(database_url)).get_revision("0004_candle_close_time")
    assert script is not None and script.module is not None
    return script.module


def load_old_style(engine: Engine, candles: list[dict[str, Any]]) -> int:
    """Store candles as coinflow did before: the close at time_open, 0 kept, the open candle included."""
    from flows.identity import resolve_coins
    from models.coins import DeclaredCoin

    coin = resolve_coins(engine, "coinpaprika", [DeclaredCoin("eth-ethereum", "ETH", "Ethereum")], "source-id")
    coin_id = coin["eth-ethereum"]
    run_id = start_run(engine, "coinpaprika", "ohlcv_historical", None, None)
    records = pd.DataFrame({"natural_key": [f"eth-ethereum@{c['time_open']}" for c in candles], "payload": candles})
    _, raw_ids = land_raw(engine, "coinpaprika", "ohlcv_historical", run_id, records)
    frame = pd.DataFrame(
        {
            "coin_id": coin_id,
            "source": "coinpaprika",
            "observed_at": pd.to_datetime([c["time_open"] for c in candles], utc=True),
            "price_usd": [c["close"] for c in candles],
            "market_cap_usd": [c["market_cap"] for c in candles],
            "volume_24h_usd": [c["volume"] for c in candles],
            "change_24h_pct": None,
            "rank": pd.array([pd.NA] * len(candles), dtype="Int64"),
            "raw_record_id": raw_ids.astype("Int64"),
            "run_id": run_id,
        }
    )[list(PRICE_COLUMNS)]
    load_batch(engine, Batch(run_id, "coinpaprika", "ohlcv_historical", frame, {"coins": {}}))
    return coin_id


def stored(engine: Engine) -> list[tuple[str, float, float | None, float | None]]:
    found = rows(
        engine,
        "SELECT observed_at, price_usd, market_cap_usd, volume_24h_usd FROM prices "
        "WHERE source = 'coinpaprika' ORDER BY observed_at",
    )
    return [(_iso(r[0]), r[1], r[2], r[3]) for r in found]


def _iso(value: Any) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_old_closes_move_to_the_period_end_and_open_candles_go(engine: Engine, database_url: str) -> None:
    recorded = json.loads(Path(RECORDED / "coinpaprika" / OHLCV_ETH).read_text())
    candles = [recorded[1], dict(recorded[2], volume=0), recorded[3], recorded[-1]]  # 01-20, 01-21, 01-22, 04-19
    load_old_style(engine, candles)
    assert stored(engine)[1] == ("2022-01-21T00:00", 2559.512187356022, 305240868553.0, 0.0)  # the row
    module = migration(database_url)
    with engine.begin() as conn:
        assert module.repair(conn, NOW) == (3, 1)
    assert stored(engine) == [
        ("2022-01-21T00:00", 3019.0596883260273, 360004656864.0, 15369187890.0),
        ("2022-01-22T00:00", 2559.512187356022, 305240868553.0, None),  # volume 0 = unknown
        ("2022-01-23T00:00", recorded[3]["close"], float(recorded[3]["market_cap"]), float(recorded[3]["volume"])),
    ]  # 2022-04-19's candle (time_close 15:44) was never a close: gone
    with engine.begin() as conn:
        assert module.repair(conn, NOW) == (0, 0)  # idempotent
    assert len(stored(engine)) == 3
    [(raw_count,)] = rows(engine, "SELECT count(*) FROM raw_records WHERE stream = 'ohlcv_historical'")
    assert raw_count == 4  # payloads as received stay
