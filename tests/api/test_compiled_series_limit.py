"""A series longer than SERIES_MAX_POINTS: at every interval the compiled path leaves the refusal to the resolvers.

Its own database (the shared compiled market is far below the limit): one coin observed once a day
for SERIES_MAX_POINTS + 1 days, so RAW, HOUR and DAY all have one point too many.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from graphql_api.queries.series import SERIES_MAX_POINTS
from graphql_api.queries.tables import coin_sources, coins, prices
from models.db import make_engine
from tests.api.compiled_paths import ask, both_paths, strict

START = datetime(1990, 1, 1, 12, tzinfo=UTC)


def _load_long_history(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        coin_id = conn.execute(
            insert(coins).values(canonical_id="old", symbol="OLD", name="Old", created_at=START).returning(coins.c.id)
        ).scalar_one()
        conn.execute(
            insert(coin_sources).values(
                source="csv", source_coin_id="old", coin_id=coin_id, symbol="OLD", name="Old",
                match_method="override", matched_at=START,
            )
        )  # fmt: skip
        days = [START + timedelta(days=day) for day in range(SERIES_MAX_POINTS + 1)]
        conn.execute(
            insert(prices),
            [
                {"coin_id": coin_id, "source": "csv", "observed_at": at, "price_usd": 1 + i / 7}
                for i, at in enumerate(days)
            ],
        )
    engine.dispose()


@pytest.mark.parametrize("interval", ["RAW", "HOUR", "DAY"])
def test_too_long_a_series_is_the_resolvers_error(database_url: str, interval: str) -> None:
    _load_long_history(database_url)
    refused = f'{{ coin(canonicalId: "old") {{ series(source: CSV, interval: {interval}) {{ points }} }} }}'
    newest = (
        f'{{ coin(canonicalId: "old") {{ series(source: CSV, interval: {interval}, last: {SERIES_MAX_POINTS}) '
        "{ points timestamps priceUsd } } }"
    )
    with both_paths(database_url) as (compiling, resolving):
        path, compiled = ask(compiling, refused)
        _, reference = ask(resolving, refused)
        newest_path, newest_compiled = ask(compiling, newest)
        _, newest_reference = ask(resolving, newest)
    assert path == "resolvers"
    assert f"more than {SERIES_MAX_POINTS} points" in reference
    assert strict(compiled) == strict(reference)
    assert newest_path == ("compiled" if database_url.startswith("postgresql") else "resolvers")
    assert f'"points":{SERIES_MAX_POINTS}' in newest_reference
    assert strict(newest_compiled) == strict(newest_reference)
