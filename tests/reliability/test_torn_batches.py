"""The half-loaded-batch reader of the load part: quiet on what the load step commits, loud on a torn batch."""

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, insert, text

from models.load import PRICE_COLUMNS, Batch, load_batch
from models.market import Coin
from models.runs import EtlRun
from reliability.torn_batches import TornBatchReader, TornBatchWatch

DAY = datetime(2024, 1, 1, tzinfo=UTC)


def _run_and_coin(engine: Engine) -> tuple[int, int]:
    with engine.begin() as conn:
        run = conn.execute(insert(EtlRun).values(source="csv", stream="s.csv", status="running"))
        coin = conn.execute(insert(Coin).values(canonical_id="bitcoin", symbol="BTC", name="Bitcoin"))
    assert run.inserted_primary_key is not None and coin.inserted_primary_key is not None
    return int(run.inserted_primary_key[0]), int(coin.inserted_primary_key[0])


def _batch(run_id: int, coin_id: int, days: range) -> Batch:
    rows = [
        {
            "coin_id": coin_id,
            "source": "csv",
            "observed_at": DAY + timedelta(days=d),
            "price_usd": 100.0 + d,
            "run_id": run_id,
        }
        for d in days
    ]
    prices = pd.DataFrame(rows).reindex(columns=list(PRICE_COLUMNS))
    return Batch(run_id=run_id, source="csv", stream="s.csv", prices=prices, checkpoint={"row": days.stop})


def _look(engine: Engine) -> TornBatchWatch:
    watch = TornBatchWatch()
    with engine.connect() as conn:
        watch.look(conn)
    return watch


def test_batches_the_load_step_commits_are_never_seen_half_loaded(engine: Engine) -> None:
    run_id, coin_id = _run_and_coin(engine)
    reader = TornBatchReader(engine, every_s=0.0)
    reader.start()
    for start in range(0, 200, 20):
        load_batch(engine, _batch(run_id, coin_id, range(start, start + 20)))
    watch = reader.stop()
    assert watch.problems == []
    assert watch.looks >= 2 and watch.most_prices_seen == 200


def test_prices_committed_without_their_counts_are_a_half_loaded_batch(engine: Engine) -> None:
    run_id, coin_id = _run_and_coin(engine)
    load_batch(engine, _batch(run_id, coin_id, range(0, 3)))
    assert _look(engine).problems == []
    with engine.begin() as conn:  # a batch's prices land, its counters do not: what a split transaction would show
        conn.execute(
            text(
                "INSERT INTO prices (coin_id, source, observed_at, price_usd, run_id) VALUES (:c, 'csv', :t, 1.0, :r)"
            ),
            {"c": coin_id, "t": DAY + timedelta(days=9), "r": run_id},
        )
    assert _look(engine).problems == [f"run {run_id}: 4 prices visible, its counts say 3"]


def test_prices_that_disappear_are_reported(engine: Engine) -> None:
    run_id, coin_id = _run_and_coin(engine)
    load_batch(engine, _batch(run_id, coin_id, range(0, 3)))
    watch = TornBatchWatch()
    with engine.connect() as conn:
        watch.look(conn)
        conn.rollback()
        with engine.begin() as writer:  # counts and prices both shrink: equal, yet a committed batch went away
            writer.execute(text("DELETE FROM prices WHERE run_id = :r"), {"r": run_id})
            writer.execute(text("UPDATE etl_runs SET inserted = 0 WHERE id = :r"), {"r": run_id})
        watch.look(conn)
    assert watch.problems == [f"run {run_id}: 0 prices visible after 3"]
