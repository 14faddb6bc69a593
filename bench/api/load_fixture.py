"""Load the benchmark market into PostgreSQL: N coins x 2 sources x T hourly timestamps (1,000,000 rows)."""

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, text

from flows.identity import resolve_coins
from models.coins import DeclaredCoin
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.market import CoinSource
from models.run_log import finish_run, start_run

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def load(engine: Engine, coins: int, timestamps: int) -> float:
    """Load the market through the pipeline's own load step; returns seconds taken."""
    started = time.perf_counter()
    declared = [DeclaredCoin(f"coin{n:04d}", f"C{n:04d}", f"Bench Coin {n:04d}") for n in range(coins)]
    ids = resolve_coins(engine, "csv", declared, "csv-declared")
    with engine.begin() as conn:
        conn.execute(
            insert(CoinSource),
            [
                {
                    "source": "coingecko",
                    "source_coin_id": f"bench-{n:04d}",
                    "coin_id": ids[f"coin{n:04d}"],
                    "symbol": f"c{n:04d}",
                    "name": f"Bench Coin {n:04d}",
                    "match_method": "override",
                }
                for n in range(coins)
            ],
        )
    hours = pd.date_range(T0, periods=timestamps, freq="h", tz="UTC")
    rng = np.random.default_rng(7)
    for source in ("csv", "coingecko"):
        run_id = start_run(engine, source, "bench", None, None)
        for chunk in range(0, coins, 100):
            frames = []
            for n in range(chunk, min(chunk + 100, coins)):
                price = 100.0 + n + rng.normal(0, 1, timestamps).cumsum()
                frames.append(
                    pd.DataFrame(
                        {
                            "coin_id": ids[f"coin{n:04d}"],
                            "source": source,
                            "observed_at": hours,
                            "price_usd": np.abs(price) + 1,
                            "market_cap_usd": (np.abs(price) + 1) * 1e6,
                            "volume_24h_usd": 1e5 + n,
                            "change_24h_pct": rng.normal(0, 3, timestamps),
                            "rank": n + 1,
                            "raw_record_id": pd.array([None] * timestamps, dtype="Int64"),
                            "run_id": run_id,
                        }
                    )
                )
            batch = pd.concat(frames, ignore_index=True).loc[:, list(PRICE_COLUMNS)]
            load_batch(engine, Batch(run_id, source, "bench", batch, {"coin": chunk}, counts={"read": len(batch)}))
        finish_run(engine, run_id, "succeeded")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def since(hours_before_end: int, timestamps: int) -> datetime:
    """The timestamp ``hours_before_end`` before the last one loaded."""
    return T0 + timedelta(hours=timestamps - hours_before_end)
