"""The load step: set-based upsert with exact insert/update/unchanged counts, all-or-nothing per batch."""

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from flows.identity import resolve_coins
from models.checkpoints import read_checkpoint
from models.coins import DeclaredCoin
from models.load import PRICE_COLUMNS, Batch, load_batch
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
