"""The load step: set-based upsert with exact insert/update/unchanged counts, all-or-nothing per batch."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from flows.identity import resolve_coins
from models.checkpoints import read_checkpoint
from models.coins import DeclaredCoin
from models.db import make_engine
from models.load import PRICE_COLUMNS, Batch, _inserted_as_new, load_batch, upsert_prices
from models.market import Price
from models.run_log import start_run
from tests.db_snapshot import count


def _prices(coin_id: int, run_id: int, values: list[float], start: str = "2024-01-01") -> pd.DataFrame:
    stamps = pd.date_range(start, periods=len(values), freq="D", tz="UTC")
    return pd.DataFrame(
        {
            "coin_id": coin_id,
            "source": "csv",
            "observed_at": stamps,
            "price_usd": values,
            "market_cap_usd": [v * 1000 for v in values],
            "volume_24h_usd": float("nan"),
            "change_24h_pct": float("nan"),
            "rank": pd.array([None] * len(values), dtype="Int64"),
            "raw_record_id": pd.array([None] * len(values), dtype="Int64"),
            "run_id": run_id,
        }
    )[list(PRICE_COLUMNS)]


@pytest.fixture
def coin_and_run(engine: Engine) -> tuple[int, int]:
    coin_id = resolve_coins(engine, "csv", [DeclaredCoin("bitcoin:btc", "BTC", "Bitcoin")], "csv-declared")
    run_id = start_run(engine, "csv", "test-stream", None, None)
    return coin_id["bitcoin:btc"], run_id


def test_counts_inserted_updated_and_unchanged(engine: Engine, coin_and_run: tuple[int, int]) -> None:
    coin_id, run_id = coin_and_run
    first = load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0, 2.0, 3.0]), {"n": 1}))
    assert (first.inserted, first.updated, first.unchanged) == (3, 0, 0)

    again = load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0, 2.0, 3.0]), {"n": 2}))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)

    # one value corrected, one new day: only the changed row counts as updated
    changed = load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0, 2.5, 3.0, 4.0]), {"n": 3}))
    assert (changed.inserted, changed.updated, changed.unchanged) == (1, 1, 2)
    with engine.connect() as conn:
        prices = [row[0] for row in conn.execute(text("SELECT price_usd FROM prices ORDER BY observed_at"))]
        run = conn.execute(
            text("SELECT inserted, updated, unchanged FROM etl_runs WHERE id = :id"), {"id": run_id}
        ).one()
    assert prices == [1.0, 2.5, 3.0, 4.0]
    assert tuple(run) == (4, 1, 5)
    assert read_checkpoint(engine, "csv", "s") == {"n": 3}


def test_a_failing_batch_leaves_prices_checkpoint_and_counts_untouched(
    engine: Engine, coin_and_run: tuple[int, int]
) -> None:
    coin_id, run_id = coin_and_run
    load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0]), {"n": 1}, counts={"read": 1}))
    bad = _prices(coin_id, run_id, [5.0, 6.0], start="2024-02-01")
    bad.loc[1, "coin_id"] = 999_999  # no such coin: the foreign key fails inside the transaction
    rejected = [{"run_id": run_id, "source": "csv", "stream": "s", "natural_key": "k", "payload": {}, "reasons": []}]
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        load_batch(engine, Batch(run_id, "csv", "s", bad, {"n": 2}, rejected=rejected, counts={"read": 2}))
    assert count(engine, "prices") == 1
    assert count(engine, "rejected_records") == 0
    assert read_checkpoint(engine, "csv", "s") == {"n": 1}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT read FROM etl_runs WHERE id = :id"), {"id": run_id}).scalar_one() == 1


def test_only_changing_batches_bump_the_data_version(engine: Engine, coin_and_run: tuple[int, int]) -> None:
    coin_id, run_id = coin_and_run

    def version() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT version FROM data_version")).scalar_one())

    before = version()
    load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0]), {"n": 1}))
    assert version() == before + 1
    load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0]), {"n": 2}))
    assert version() == before + 1


def _stored(engine: Engine) -> list[tuple[object, ...]]:
    """Every stored price as (coin, source, observed_at in UTC, price, market cap, volume, change, rank)."""
    with Session(engine) as session:
        rows = session.exec(select(Price).order_by(col(Price.coin_id), col(Price.observed_at))).all()
    return [
        (
            p.coin_id,
            p.source,
            p.observed_at.astimezone(UTC),
            p.price_usd,
            p.market_cap_usd,
            p.volume_24h_usd,
            p.change_24h_pct,
            p.rank,
        )
        for p in rows
    ]


def _session_in_new_york(engine: Engine) -> Engine:
    """The same database, with PostgreSQL sessions in America/New_York: naive UTC text must not drift."""
    if engine.dialect.name != "postgresql":
        return engine
    return make_engine(
        engine.url.render_as_string(hide_password=False), connect_args={"options": "-c timezone=America/New_York"}
    )


def test_first_load_into_an_empty_range_stores_exact_values_in_utc(
    engine: Engine, coin_and_run: tuple[int, int]
) -> None:
    coin_id, run_id = coin_and_run
    frame = _prices(coin_id, run_id, [0.1 + 0.2, 68_123.456789012345, 1e-9])
    frame["observed_at"] = frame["observed_at"].dt.tz_convert("Asia/Tokyo") + pd.Timedelta(microseconds=123_456)
    frame["rank"] = pd.array([1, None, 3], dtype="Int64")
    frame["volume_24h_usd"] = [5.5, float("nan"), 7.25]
    loader = _session_in_new_york(engine)
    result = load_batch(loader, Batch(run_id, "csv", "s", frame, {"n": 1}))
    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    day = datetime(2024, 1, 1, 0, 0, 0, 123_456, tzinfo=UTC)
    assert _stored(engine) == [
        (coin_id, "csv", day, 0.1 + 0.2, (0.1 + 0.2) * 1000, 5.5, None, 1),
        (coin_id, "csv", day + timedelta(days=1), 68_123.456789012345, 68_123.456789012345 * 1000, None, None, None),
        (coin_id, "csv", day + timedelta(days=2), 1e-9, 1e-9 * 1000, 7.25, None, 3),
    ]
    loader.dispose()


def test_a_rerun_writes_nothing_when_identical_and_exactly_the_changed_value_when_not(
    engine: Engine, coin_and_run: tuple[int, int]
) -> None:
    coin_id, run_id = coin_and_run
    values = [100.0 + i / 7 for i in range(50)]
    loader = _session_in_new_york(engine)
    load_batch(loader, Batch(run_id, "csv", "s", _prices(coin_id, run_id, values), {"n": 1}))
    first = _stored(engine)

    same = load_batch(loader, Batch(run_id, "csv", "s", _prices(coin_id, run_id, values), {"n": 2}))
    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 50)
    assert _stored(engine) == first

    # one price differs in its last bit: that row, and only it, is written
    changed = [*values]
    changed[17] = float(np.nextafter(changed[17], np.inf))
    one = load_batch(loader, Batch(run_id, "csv", "s", _prices(coin_id, run_id, changed), {"n": 3}))
    assert (one.inserted, one.updated, one.unchanged) == (0, 1, 49)
    expected = [*first]
    row = expected[17]
    expected[17] = (*row[:3], changed[17], changed[17] * 1000, *row[5:])
    assert _stored(engine) == expected
    assert expected[17][3] != first[17][3]
    loader.dispose()


def test_a_batch_overlapping_stored_keys_inserts_the_new_and_keeps_the_stored(
    engine: Engine, coin_and_run: tuple[int, int]
) -> None:
    coin_id, run_id = coin_and_run
    load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0, 2.0], start="2024-01-02"), {"n": 1}))
    # 2024-01-01 and 2024-01-04 are new; the two stored days come again unchanged
    result = load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [9.0, 1.0, 2.0, 4.0]), {"n": 2}))
    assert (result.inserted, result.updated, result.unchanged) == (2, 0, 2)
    days = [datetime(2024, 1, day, tzinfo=UTC) for day in (1, 2, 3, 4)]
    assert [(row[2], row[3]) for row in _stored(engine)] == list(zip(days, [9.0, 1.0, 2.0, 4.0], strict=True))


def test_prices_of_another_source_in_the_same_range_are_neither_compared_nor_touched(
    engine: Engine, coin_and_run: tuple[int, int]
) -> None:
    coin_id, run_id = coin_and_run
    load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0, 2.0]), {"n": 1}))
    other = _prices(coin_id, run_id, [1.0, 2.0]).assign(source="coingecko")
    result = load_batch(engine, Batch(run_id, "coingecko", "s", other, {"n": 1}))
    assert (result.inserted, result.updated, result.unchanged) == (2, 0, 0)
    assert sorted((row[1], row[3]) for row in _stored(engine)) == [
        ("coingecko", 1.0),
        ("coingecko", 2.0),
        ("csv", 1.0),
        ("csv", 2.0),
    ]


def test_a_key_stored_since_the_read_makes_the_direct_insert_write_nothing_and_the_upsert_take_over(
    engine: Engine, coin_and_run: tuple[int, int]
) -> None:
    coin_id, run_id = coin_and_run
    load_batch(engine, Batch(run_id, "csv", "s", _prices(coin_id, run_id, [1.0], start="2024-01-02"), {"n": 1}))
    batch = _prices(coin_id, run_id, [7.0, 8.0, 9.0])  # 2024-01-02 clashes with the stored row
    with engine.begin() as conn:
        assert _inserted_as_new(conn, batch) is False  # the race the key-range read cannot see
        assert upsert_prices(conn, batch) == (2, 1)  # the same transaction goes on
    days = [datetime(2024, 1, day, tzinfo=UTC) for day in (1, 2, 3)]
    assert [(row[2], row[3]) for row in _stored(engine)] == list(zip(days, [7.0, 8.0, 9.0], strict=True))
