"""A market made to tell the compiled path from the resolvers: every value where their renderings could differ.

Floats on both sides of orjson's and PostgreSQL's notation switches (1e-5, 1e15, 1e16, integral values,
-0.0), nulls in every nullable column, timestamps with and without microseconds, ties in every sort key
(symbols, names, ranks, market caps, observation instants across sources), all three sources, a coin
without mappings, a mapping without prices, canonical ids long enough to wrap base64 lines, and text
with quotes, backslashes, control characters and non-ASCII letters. The run history (``RUNS``) has
every source and status, NULL and empty flow-run ids, unfinished runs, durations on Python's rounding
ties and below a millisecond either side of zero, errors with awkward text, and checkpoints that are
SQL NULL, JSON null, nested objects and arrays — and one (``FALLBACK_CHECKPOINT``) the compiled path
must leave to the resolvers. One more coin (``BUSY``) trades often over four days, for series buckets
and spreads: several points per hour and day, points on bucket edges, nulls inside buckets, two
sources close in time and a stale one.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, null

from graphql_api.queries.tables import coin_sources, coins, etl_runs, prices

T0 = datetime(2024, 3, 1, tzinfo=UTC)
FLOATS = [
    3.0,
    0.1,
    1e-5,
    2.5e-5,
    1.5e-7,
    1e15,
    1.381017593955779e15,
    1e16,
    1.2345678901234567e20,
    123456.789,
    -0.0,
    0.0,
    1 / 3,
    9999.999999999998,
    5e-324,
    1.7976931348623157e300,
    42.0,
    0.0001,
]
COINS = [
    ("bitcoin", "BTC", "Bitcoin"),
    ("bitcoin-cash", "BCH", "Bitcoin Cash"),
    ("btc-wrapped", "BTC", 'Wrapped "BTC"'),  # a symbol tie with bitcoin
    ("ether", "eth", "Ether\\Classic"),
    ("x" * 70, "LONG", "A name with\ttab and ünïcode ✓"),  # base64 of its id wraps at 76 characters
    ("tie-a", "TIE", "Same"),
    ("tie-b", "TIE", "Same"),
    ("lonely", "LON", "No mapping at all"),
    ("mapped-no-prices", "MNP", "Mapped without prices"),
    ("doge", "DOGE", "Dogecoin"),
]
SOURCES = ("coingecko", "coinpaprika", "csv")
BUSY = ("busy", "BUSY", "Busy trading")
# (source, first instant, step, last instant): coingecko and coinpaprika end 7 minutes apart (compared by
# the spread, whose window is 15 minutes), csv 8 hours earlier (stale).
BUSY_STREAMS = [
    ("coingecko", T0 - timedelta(days=2), timedelta(minutes=13), T0 + timedelta(hours=10)),
    ("coinpaprika", T0 - timedelta(days=1), timedelta(minutes=25), T0 + timedelta(hours=9, minutes=53)),
    ("csv", T0 - timedelta(days=2, hours=1), timedelta(minutes=90), T0 + timedelta(hours=2)),
]
# On the edges of hour and day buckets (2024 is a leap year: February 29 exists).
BUSY_EDGES = [T0 - timedelta(microseconds=1), T0, T0 + timedelta(hours=1) - timedelta(microseconds=1)]
BUSY_VALUES = [0.1, 1 / 3, 123456.789, 9999.999999999998, 1e-5, 2.5e-5, 42.0, 1e15, 3.0, 0.7]
METHODS = ("override", "source-id", "symbol+name", "csv-declared", "slug")


# A checkpoint with a float: JSONB writes 0.0000001, the resolvers (orjson) 1e-7, so the compiled path
# steps aside for a page holding the oldest run.
FALLBACK_UNIT = "fallback-ratio"  # a text only that checkpoint holds: a response with it was not compiled
FALLBACK_CHECKPOINT = {"ratio": 1e-7, "unit": FALLBACK_UNIT}
STATUSES = ("succeeded", "failed", "crashed", "running", "skipped")
STREAMS = ("markets", "tickers", "sample.csv", "history")


def _run(index: int, seconds: float | None, **values: Any) -> dict[str, Any]:
    """One etl_runs row: ``seconds`` long (None: unfinished), varied counters, overridable columns."""
    started = T0 + timedelta(minutes=index * 7, microseconds=(index * 123_457) % 1_000_000 if index % 3 else 0)
    row: dict[str, Any] = {
        "flow_run_id": f"0b7c{index:04d}-9d2e-4f1a-8c3b-{index:012d}",
        "source": SOURCES[index % 3],
        "stream": STREAMS[index % 4],
        "status": STATUSES[index % 5],
        "started_at": started,
        "finished_at": None if seconds is None else started + timedelta(seconds=seconds),
        "error": None,
        "checkpoint_before": null(),
        "checkpoint_after": {"page": index, "snapshot": f"2024-03-01T0{index % 10}:00:00+00:00"},
    }
    for offset, counter in enumerate(("read", "landed", "valid", "rejected", "inserted", "updated", "unchanged")):
        row[counter] = (index * 37 + offset * 11) % 250
    return row | values


RUNS = [
    _run(0, 3.5, source="csv", status="failed", checkpoint_after=FALLBACK_CHECKPOINT, error="bad ratio"),
    _run(1, 12.3456, status="succeeded", checkpoint_before={"page": 2, "done": False, "ids": [1, 2, [3, {"k": None}]]}),
    _run(2, 0.0625, status="failed", flow_run_id=None, error='HTTP 429 "Too Many" \\ retry\nline two ünï ✓'),
    _run(3, None, status="running", checkpoint_after=null()),
    _run(4, 1.0005, status="crashed", flow_run_id="", error="process died\t(unseen)"),
    _run(5, 0.0, status="skipped", checkpoint_after=None),  # JSON null, not SQL NULL
    _run(6, -0.0004, status="succeeded", checkpoint_before={"é": "ü", "a": -12, "bb": 123456789012345678}),
    _run(7, 0.0005, status="succeeded"),
    _run(8, 3 * 86400 + 0.1875, status="failed", error=""),
    _run(9, 2.0015, status="crashed", checkpoint_before={"nested": {"deeper": {"deepest": [[], {}]}}}),
    *(_run(index, index * 0.4567) for index in range(10, 31)),
]


def load_compiled_market(engine: Engine) -> None:
    """Insert the market (runs, coins, mappings, prices) in one transaction."""
    with engine.begin() as conn:
        for run in RUNS:  # one by one: SQL NULL (null()) and JSON values mix in the checkpoint columns
            conn.execute(insert(etl_runs).values(run))
        ids = [
            conn.execute(
                insert(coins).values(canonical_id=cid, symbol=sym, name=name, created_at=T0).returning(coins.c.id)
            ).scalar_one()
            for cid, sym, name in COINS
        ]
        mappings, rows = [], []
        for index, coin_id in enumerate(ids):
            canonical = COINS[index][0]
            if canonical == "lonely":
                continue
            sources = SOURCES if index % 3 == 0 else SOURCES[index % 3 :]
            for s_index, source in enumerate(sources):
                mappings.append(
                    {
                        "source": source,
                        "source_coin_id": f"{canonical}-{source}",
                        "coin_id": coin_id,
                        "symbol": COINS[index][1],
                        "name": COINS[index][2],
                        "match_method": METHODS[(index + s_index) % len(METHODS)],
                        "matched_at": T0 + timedelta(microseconds=index * 7),
                    }
                )
                if canonical == "mapped-no-prices":
                    continue
                for step in range(6 + index % 4):
                    # Both sources observe the same instants (ties in latestPrice); some carry microseconds.
                    at = T0 + timedelta(hours=step, microseconds=(step * 250_001) % 1_000_000 if step % 2 else 0)
                    value = FLOATS[(index * 5 + step + s_index) % len(FLOATS)]
                    rows.append(
                        {
                            "coin_id": coin_id,
                            "source": source,
                            "observed_at": at,
                            "price_usd": abs(value) + step,
                            "market_cap_usd": None if step % 3 == 1 else value * 1000,
                            "volume_24h_usd": None if step % 4 == 2 else value,
                            "change_24h_pct": None if (index + step) % 5 == 0 else -value,
                            "rank": None if index % 4 == 3 else (index // 2) + 1,  # pairs of coins share ranks
                            "raw_record_id": None,
                            "run_id": None if step % 2 else 7,
                        }
                    )
        busy = conn.execute(
            insert(coins)
            .values(canonical_id=BUSY[0], symbol=BUSY[1], name=BUSY[2], created_at=T0)
            .returning(coins.c.id)
        ).scalar_one()
        for source, start, every, end in BUSY_STREAMS:
            mappings.append(
                {
                    "source": source,
                    "source_coin_id": f"busy-{source}",
                    "coin_id": busy,
                    "symbol": BUSY[1],
                    "name": BUSY[2],
                    "match_method": "override",
                    "matched_at": T0,
                }
            )
            rows += _busy_prices(busy, source, start, every, end)
        conn.execute(insert(coin_sources), mappings)
        conn.execute(insert(prices), rows)


def _busy_prices(coin_id: int, source: str, start: datetime, step: timedelta, end: datetime) -> list[dict[str, Any]]:
    """``BUSY``'s prices of one source: every ``step`` from ``start`` to ``end``, and the bucket edges (coingecko)."""
    instants = {start + k * step for k in range((end - start) // step + 1)} | {end}
    if source == "coingecko":
        instants |= set(BUSY_EDGES)
    rows = []
    for k, at in enumerate(sorted(instants)):
        value = BUSY_VALUES[(k + len(source)) % len(BUSY_VALUES)]
        rows.append(
            {
                "coin_id": coin_id,
                "source": source,
                "observed_at": at,
                "price_usd": 100 + value % 7 + k / 1000,
                "market_cap_usd": None if k % 5 == 2 else value * 1e6,
                "volume_24h_usd": None if k % 7 < 3 else value,  # csv: hour buckets of nulls only
                "change_24h_pct": None,
                "rank": 3,
                "raw_record_id": None,
                "run_id": None,
            }
        )
    return rows
