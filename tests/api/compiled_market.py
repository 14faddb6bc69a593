"""A market made to tell the compiled path from the resolvers: every value where their renderings could differ.

Floats on both sides of orjson's and PostgreSQL's notation switches (1e-5, 1e15, 1e16, integral values,
-0.0), nulls in every nullable column, timestamps with and without microseconds, ties in every sort key
(symbols, names, ranks, market caps, observation instants across sources), all three sources, a coin
without mappings, a mapping without prices, canonical ids long enough to wrap base64 lines, and text
with quotes, backslashes, control characters and non-ASCII letters.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from graphql_api.queries.tables import coin_sources, coins, prices

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
METHODS = ("override", "source-id", "symbol+name", "csv-declared", "slug")


def load_compiled_market(engine: Engine) -> None:
    """Insert the market (coins, mappings, prices) in one transaction."""
    with engine.begin() as conn:
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
        conn.execute(insert(coin_sources), mappings)
        conn.execute(insert(prices), rows)
