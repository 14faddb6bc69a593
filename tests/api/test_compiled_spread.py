"""``Coin.spread`` compiled: the clock-dependent age across both paths, and the SQL against ``compare`` itself.

The corpus (test_compiled_corpus.py) compares every other field; ``maxAgeSeconds`` is the age at the
instant each path reads the clock, so two requests differ by the time between them. Here the two
paths' ages are bracketed by that time, and ``spread_sql.spread_json`` is evaluated over made-up
quotes at a fixed instant against ``Spread.of(compare(...))`` — the resolver's own code — including the
rounding ties and the other values it must leave to the resolvers.
"""

import json
import math
import random
import time
from datetime import timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import Double, Text, cast, column, select, values
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import DateTime

from graphql_api.compiled.json_text import FALLBACK_MARKER
from graphql_api.compiled.selection import Field
from graphql_api.compiled.spread_sql import SPREAD_ALERT_PCT, SPREAD_NOW, SPREAD_WINDOW, runtime_parameters, spread_json
from graphql_api.gql.coin_types import Spread
from models.settings import Settings
from models.spread import compare
from tests.api.compiled_market import T0
from tests.api.compiled_paths import ask, seeded_paths, strict

__all__ = ["seeded_paths"]  # the module-scoped fixture, used by name

AGES = "{ coins(first: 20) { nodes { canonicalId spread { maxAgeSeconds sources staleSources } } } }"
FIELDS = ("sources", "minUsd", "maxUsd", "absUsd", "pct", "flagged", "maxAgeSeconds", "staleSources", "__typename")
SETTINGS = Settings(database_url="sqlite://")
WINDOW = timedelta(minutes=SETTINGS.spread_window_minutes)
NOW = T0 + timedelta(days=3, microseconds=123_457)
PRICES = [100.0, 100.5, 99.99, 1 / 3, 1e-5, 7.1, 7.00001, 1e15, 1.7976931348623157e300, 42.0, 0.0, 6.0001]


def test_ages_lie_between_the_two_requests(seeded_paths: tuple[str, FastAPI, FastAPI]) -> None:
    backend, compiling, resolving = seeded_paths
    started = time.monotonic()
    path, compiled = ask(compiling, AGES)
    _, reference = ask(resolving, AGES)
    elapsed = time.monotonic() - started
    assert path == ("compiled" if backend == "postgresql" else "resolvers")
    got, want = json.loads(compiled)["data"], json.loads(reference)["data"]
    compared = 0
    for node, expected in zip(got["coins"]["nodes"], want["coins"]["nodes"], strict=True):
        if expected["spread"] is None:
            assert node == expected
            continue
        age, expected_age = node["spread"].pop("maxAgeSeconds"), expected["spread"].pop("maxAgeSeconds")
        assert node == expected
        assert 0 <= expected_age - age <= elapsed + 0.001
        compared += 1
    assert compared >= 5
    # Both write the age as a float (1234.0, never 1234).
    kinds = {value[0] for value in _ages(strict(compiled)) + _ages(strict(reference))}
    assert kinds == {"float"}


def _ages(parsed: Any) -> list[Any]:
    if isinstance(parsed, tuple) and len(parsed) == 2 and parsed[0] == "maxAgeSeconds":
        return [parsed[1]]
    if isinstance(parsed, (list, tuple)):
        return [age for item in parsed for age in _ages(item)]
    return []


@pytest.mark.parametrize("seeded_paths", ["postgresql"], indirect=True)  # the SQL only the compiled path runs
def test_spread_sql_is_compare_at_the_same_instant(seeded_paths: tuple[str, FastAPI, FastAPI]) -> None:
    _, compiling, _ = seeded_paths
    cases = _cases()
    fell_back = 0
    with compiling.state.engine.connect() as conn:  # the API's engine autocommits: a failure ends no transaction
        for quotes in cases:
            expected = _expected(quotes)
            got = _compiled(conn, quotes)
            # It falls back exactly where documented (and where Python raises); elsewhere it is compare's answer.
            assert (got is None) == (expected is None or _left_to_the_resolvers(quotes)), quotes
            if got is None:
                fell_back += 1
            else:
                assert expected is not None
                assert strict(got) == strict(expected), quotes
    assert 10 <= fell_back < len(cases) // 4


def _cases() -> list[list[tuple[str, float, Any]]]:
    """Quote sets: random prices and ages around the window's edge, rounding ties, and the fallback values."""
    draw = random.Random(14)
    edge = [timedelta(0), WINDOW, WINDOW + timedelta(microseconds=1), timedelta(minutes=3, microseconds=7)]
    cases = []
    for _ in range(400):
        sources = draw.sample(["coingecko", "coinpaprika", "csv"], draw.randint(1, 3))
        newest = NOW - timedelta(seconds=draw.choice([0, 1.5, 86_400, 10**6]), microseconds=draw.randrange(10**6))
        cases.append(
            [
                (source, draw.choice(PRICES) + draw.choice([0, draw.random()]), newest - draw.choice(edge))
                for source in sources
            ]
        )
    # (hi - 0) / 100 * 100 == hi for these: the spread's shortest text ends on a decimal tie (7th decimal 5).
    for text in ("343.6214295", "657.1367585", "718.4970815", "167.6350175"):
        cases.append([("coingecko", 0.0, NOW), ("coinpaprika", 100.0, NOW), ("csv", float(text), NOW)])
    cases.append([("coingecko", 343.6214294, NOW), ("coinpaprika", 0.0, NOW), ("csv", 100.0, NOW)])  # near a tie
    cases.append([("coingecko", -0.0, NOW), ("csv", 5.0, NOW)])
    cases.append([("coingecko", -3.0, NOW), ("csv", -5.0, NOW)])  # a negative median
    cases.append([("coingecko", 0.0, NOW), ("csv", 0.0, NOW)])  # a zero median: ZeroDivisionError
    cases.append([("coingecko", math.nan, NOW), ("csv", 5.0, NOW)])
    cases.append([("coingecko", 1.0, NOW), ("csv", 2e7, NOW)])  # about 2e9 percent
    cases.append([("coingecko", 1.0, NOW), ("coinpaprika", 2.0, NOW), ("csv", 1e300, NOW)])  # an integer: kept
    return cases


def _expected(quotes: list[tuple[str, float, Any]]) -> str | None:
    """The resolver's Spread as the response writes it, or None when Python raises."""
    try:
        spread = Spread.of(compare(quotes, NOW, WINDOW, SETTINGS.spread_alert_pct))
    except ZeroDivisionError:
        return None
    if spread is None:
        return "null"
    return orjson.dumps(
        {
            "sources": spread.sources,
            "minUsd": spread.min_usd,
            "maxUsd": spread.max_usd,
            "absUsd": spread.abs_usd,
            "pct": spread.pct,
            "flagged": spread.flagged,
            "maxAgeSeconds": spread.max_age_seconds,
            "staleSources": [source.name for source in spread.stale_sources],
            "__typename": "Spread",
        }
    ).decode()


def _compiled(conn: Any, quotes: list[tuple[str, float, Any]]) -> str | None:
    """``spread_json`` over ``quotes`` at NOW, or None when the statement falls back."""
    # Prices travel as their repr, cast to float8 in SQL: a float parameter would arrive as a numeric
    # literal, which has no -0.
    rows = values(
        column("source", Text), column("price", Text), column("observed_at", DateTime(timezone=True)), name="q"
    ).data([(source, repr(price), at) for source, price, at in quotes])
    quoted = select(rows.c.source, cast(rows.c.price, Double).label("price_usd"), rows.c.observed_at)
    fields = tuple(Field(name, name, {}, ()) for name in FIELDS)
    statement = select(cast(spread_json(fields, quoted), Text))
    placeholders = {SPREAD_NOW: None, SPREAD_WINDOW: None, SPREAD_ALERT_PCT: None}
    try:
        text = conn.execute(statement, runtime_parameters(placeholders, SETTINGS, NOW)).scalar_one()
    except DBAPIError as error:
        assert FALLBACK_MARKER in str(error) or "division by zero" in str(error), error
        return None
    return "null" if text is None else text


def _left_to_the_resolvers(quotes: list[tuple[str, float, Any]]) -> bool:
    """The values spread_sql documents as the resolvers' to answer."""
    found = compare(quotes, NOW, WINDOW, SETTINGS.spread_alert_pct)
    prices = [q.price_usd for q in found.compared]
    if len(prices) < 2:  # no spread: null
        return False
    if any(not math.isfinite(p) or (math.copysign(1, p) < 0 and p == 0) for p in prices):
        return True
    ordered = sorted(prices)
    half = len(ordered) // 2
    median = ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2
    if median <= 0:
        return True
    raw = (max(prices) - min(prices)) / median * 100
    decimals = repr(raw).partition(".")[2]
    return 1e9 <= abs(raw) < 2.0**53 or ("e" not in decimals and len(decimals) == 7 and decimals.endswith("5"))
