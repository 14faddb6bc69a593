"""A small market loaded with the pipeline's own write path (run log, landing, load_batch).

Two coins declared by the CSV source; Bitcoin is also mapped for CoinGecko (an override, as the
identity matcher would do). Three hourly observations per (coin, source); one quarantined row and
one drift event in the CSV run. Tests assert against the exact values below.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, insert

from flows.identity import resolve_coins
from models.coins import DeclaredCoin
from models.landing import land_raw
from models.load import PRICE_COLUMNS, Batch, load_batch
from models.market import CoinSource
from models.raw import SchemaDrift
from models.run_log import finish_run, start_run

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOURS = [T0 + timedelta(hours=h) for h in range(3)]
CSV_PRICES = {"BTC": [100.0, 110.0, 120.0], "ETH": [10.0, 9.0, 8.0]}
CSV_CHANGE = {"BTC": [1.0, 2.0, 5.0], "ETH": [-1.0, -2.0, -3.0]}
CSV_RANK = {"BTC": 1, "ETH": 2}
GECKO_BTC = [101.0, 111.0, 119.0]


@dataclass(frozen=True)
class Market:
    """Ids of what was loaded."""

    btc: int
    eth: int
    doge: int
    csv_run: int
    gecko_run: int


def price_frame(
    coin_id: int,
    source: str,
    run_id: int,
    prices: list[float],
    changes: list[float],
    rank: int,
    hours: list[datetime],
    raw_ids: list[int | None],
) -> pd.DataFrame:
    """PRICE_COLUMNS rows for one coin of one source."""
    return pd.DataFrame(
        {
            "coin_id": coin_id,
            "source": source,
            "observed_at": pd.to_datetime(hours, utc=True),
            "price_usd": prices,
            "market_cap_usd": [p * 1000 for p in prices],
            "volume_24h_usd": [p * 10 for p in prices],
            "change_24h_pct": changes,
            "rank": rank,
            "raw_record_id": pd.array(raw_ids, dtype="Int64"),
            "run_id": run_id,
        }
    ).loc[:, list(PRICE_COLUMNS)]


def load_market(engine: Engine) -> Market:
    """Load the fixture through the real write path."""
    ids = resolve_coins(
        engine,
        "csv",
        [DeclaredCoin("btc", "BTC", "Bitcoin"), DeclaredCoin("eth", "ETH", "Ethereum")],
        "csv-declared",
    )
    btc, eth = ids["btc"], ids["eth"]
    with engine.begin() as conn:
        conn.execute(
            insert(CoinSource).values(
                source="coingecko",
                source_coin_id="bitcoin",
                coin_id=btc,
                symbol="btc",
                name="Bitcoin",
                match_method="override",
            )
        )
    csv_run = start_run(engine, "csv", "sample.csv", "11111111-2222-3333-4444-555555555555", None)
    records = pd.DataFrame(
        {"natural_key": [f"sample.csv:{n}" for n in range(1, 4)], "payload": [{"row": n} for n in range(1, 4)]}
    )
    _, raw_ids = land_raw(engine, "csv", "sample.csv", csv_run, records)
    frames = [
        price_frame(btc, "csv", csv_run, CSV_PRICES["BTC"], CSV_CHANGE["BTC"], 1, HOURS, [int(v) for v in raw_ids]),
        price_frame(eth, "csv", csv_run, CSV_PRICES["ETH"], CSV_CHANGE["ETH"], 2, HOURS, [None, None, None]),
    ]
    load_batch(
        engine,
        Batch(
            run_id=csv_run,
            source="csv",
            stream="sample.csv",
            prices=pd.concat(frames, ignore_index=True),
            checkpoint={"row": 7},
            rejected=[
                {
                    "run_id": csv_run,
                    "source": "csv",
                    "stream": "sample.csv",
                    "natural_key": "sample.csv:7",
                    "payload": {"price": "-1"},
                    "reasons": ["price_usd: greater_than(0)"],
                }
            ],
            counts={"read": 7, "landed": 7, "valid": 6, "rejected": 1},
        ),
    )
    with engine.begin() as conn:
        conn.execute(
            insert(SchemaDrift).values(
                run_id=csv_run, source="csv", stream="sample.csv", field="extra", kind="added", example_value="x"
            )
        )
    finish_run(engine, csv_run, "succeeded")
    gecko_run = start_run(engine, "coingecko", "markets", None, None)
    load_batch(
        engine,
        Batch(
            run_id=gecko_run,
            source="coingecko",
            stream="markets",
            prices=price_frame(btc, "coingecko", gecko_run, GECKO_BTC, [4.0, 4.0, 4.0], 1, HOURS, [None] * 3),
            checkpoint={"page": 1},
            counts={"read": 3, "landed": 3, "valid": 3},
        ),
    )
    finish_run(engine, gecko_run, "failed", error="HTTP 429 after 5 attempts")
    doge = resolve_coins(engine, "coinpaprika", [DeclaredCoin("doge-dogecoin", "DOGE", "Dogecoin")], "source-id")[
        "doge-dogecoin"
    ]
    return Market(btc=btc, eth=eth, doge=doge, csv_run=csv_run, gecko_run=gecko_run)


def add_prices(engine: Engine, coin_id: int, source: str, hours: list[datetime], prices: list[float]) -> int:
    """Load more prices for one coin through a new run (as a later ingest would); returns the run id."""
    run_id = start_run(engine, source, "later", None, None)
    load_batch(
        engine,
        Batch(
            run_id=run_id,
            source=source,
            stream="later",
            prices=price_frame(coin_id, source, run_id, prices, [0.5] * len(prices), 1, hours, [None] * len(prices)),
            checkpoint={"later": True},
            counts={"read": len(prices), "landed": len(prices), "valid": len(prices)},
        ),
    )
    finish_run(engine, run_id, "succeeded")
    return run_id
