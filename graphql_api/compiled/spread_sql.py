"""``Coin.spread`` as JSON in SQL: ``models.spread.compare`` over the coin's latest prices, compiled.

The quotes are the rows ``Coin.latestPrices`` lists (``market_sql``). A quote is stale when it is more
than the window older than the newest; the rest are compared: their count, min, max, max - min, the
median as ``statistics.median`` takes it (the middle price, or the two middle ones added and halved),
``(max - min) / median * 100`` in float8 as Python computes it, flagged above the alert threshold.

The clock and the two settings are not part of the cached plan: ``SPREAD_NOW``, ``SPREAD_WINDOW`` and
``SPREAD_ALERT_PCT`` are bound when the statement runs (``runtime_parameters``), ``now`` from Python's
clock as the resolver reads it. Ages are exact (numeric epoch seconds) and converted to float8 once, as
``timedelta.total_seconds`` rounds the exact microseconds.

``pct`` is Python's ``round(spread, 6)``, which rounds the float's exact binary value. The float's
shortest text (what PostgreSQL prints) rounds the same way unless it sits on a decimal tie (a 7th
decimal 5 and nothing after) or the float is so large (1e9 and up) that its last bit exceeds 1e-7;
from 2**53 on the float is an integer, which ``round`` keeps. Ties, 1e9 up to 2**53, a negative
median (Python keeps the sign of -0.0), a negative-zero or non-finite compared price (min, max and
the sort would depend on order) fall back to the resolvers, as does a zero median (their
ZeroDivisionError).
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Interval,
    Numeric,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
)
from sqlalchemy.types import JSON, DateTime

from graphql_api.compiled.connection_sql import aggregate_order, json_object, selected_pairs, typename
from graphql_api.compiled.json_text import enum_name, fallback, json_float
from graphql_api.compiled.selection import Field
from graphql_api.gql.scalars import Source
from models.settings import Settings

SPREAD_NOW = "coinflow_spread_now"
SPREAD_WINDOW = "coinflow_spread_window"
SPREAD_ALERT_PCT = "coinflow_spread_alert_pct"
# Placeholders in the cached plan (value None), filled by runtime_parameters at each run.
_NOW = cast(bindparam(SPREAD_NOW, None, type_=DateTime(timezone=True)), DateTime(timezone=True))
_WINDOW = cast(bindparam(SPREAD_WINDOW, None, type_=Interval), Interval)
_ALERT_PCT = cast(bindparam(SPREAD_ALERT_PCT, None, type_=Double), Double)
_NOT_FINITE = ("NaN", "Infinity", "-Infinity")
_INTEGRAL = literal(2.0**53, Double)


def runtime_parameters(parameters: dict[str, Any], settings: Settings, now: datetime) -> dict[str, Any]:
    """``parameters`` with the spread's clock and settings bound, when the statement has a spread."""
    if SPREAD_NOW not in parameters:
        return parameters
    return parameters | {
        SPREAD_NOW: now,
        SPREAD_WINDOW: timedelta(minutes=settings.spread_window_minutes),
        SPREAD_ALERT_PCT: settings.spread_alert_pct,
    }


def spread_json(fields: tuple[Field, ...], quotes: Select[Any]) -> ColumnElement[Any]:
    """The ``Spread`` object, or null with fewer than two compared quotes.

    ``quotes``: the coin's latest price per source, columns source, price_usd and observed_at
    (correlated to the coin's row).
    """
    q = quotes.subquery("quotes")
    newest = func.max(q.c.observed_at).over()
    judged = select(
        q.c.source,
        q.c.price_usd,
        ((newest - q.c.observed_at) > _WINDOW).label("stale"),
        (func.extract("epoch", _NOW) - func.extract("epoch", q.c.observed_at)).label("age"),
    ).subquery("judged")
    ranked = (
        select(
            judged.c.price_usd,
            judged.c.age,
            func.row_number().over(order_by=judged.c.price_usd).label("rn"),
            func.count().over().label("n"),
        )
        .where(not_(judged.c.stale))
        .subquery("ranked")
    )
    text = cast(ranked.c.price_usd, Text)
    middle = func.sum(ranked.c.price_usd).filter((2 * ranked.c.rn).in_([ranked.c.n, ranked.c.n + 1, ranked.c.n + 2]))
    low, high = func.min(ranked.c.price_usd), func.max(ranked.c.price_usd)
    compared = select(
        func.count().label("n"),
        low.label("low"),
        high.label("high"),
        case((func.count() % 2 == 1, middle), else_=middle / literal(2.0, Double)).label("median"),
        cast(func.max(ranked.c.age), Double).label("age"),
        func.coalesce(func.bool_or(or_(text.in_(_NOT_FINITE), text == "-0")), false()).label("odd_price"),
    ).subquery("compared")
    raw = case(
        (compared.c.median > 0, (compared.c.high - compared.c.low) / compared.c.median * literal(100.0, Double)),
        else_=null(),
    )
    spread = select(compared, raw.label("raw")).subquery("spread")
    shortest = cast(cast(spread.c.raw, Text), Numeric)
    magnitude = func.abs(spread.c.raw)
    unsure = or_(
        spread.c.odd_price,
        spread.c.raw.is_(None),  # median <= 0
        and_(magnitude >= 1e9, magnitude < _INTEGRAL),
        func.mod(func.abs(shortest) * 10_000_000, 10) == 5,
    )
    # From 2**53 on a float is an integer: round(x, 6) is x.
    pct = case((magnitude >= _INTEGRAL, spread.c.raw), else_=cast(func.round(shortest, 6), Double))
    rendered = {
        "sources": lambda: spread.c.n,
        "minUsd": lambda: json_float(spread.c.low),
        "maxUsd": lambda: json_float(spread.c.high),
        "absUsd": lambda: json_float(spread.c.high - spread.c.low),
        "pct": lambda: json_float(pct),
        "flagged": lambda: spread.c.raw > _ALERT_PCT,
        "maxAgeSeconds": lambda: json_float(spread.c.age),
        "staleSources": lambda: _stale_sources(judged),
        "__typename": lambda: typename("Spread"),
    }
    pairs = selected_pairs(fields, rendered, "Spread")
    # The reason names a row value: a constant one would be folded (and raised) when planning.
    refused = cast(cast(fallback("spread of " + cast(spread.c.n, Text) + " quotes"), Text), JSON)
    value = case(
        (spread.c.n < 2, cast(null(), JSON)),
        (unsure, refused),
        else_=json_object(pairs),
    )
    return select(value).select_from(spread).scalar_subquery()


def _stale_sources(judged: Any) -> ColumnElement[Any]:
    """The stale quotes' sources as a JSON array of enum names, in source order (code points, as Python sorts)."""
    stale = select(judged.c.source).where(judged.c.stale).subquery("stale")
    names = func.json_agg(aggregate_order(enum_name(stale.c.source, Source), stale.c.source.collate("C")), type_=JSON)
    return select(func.coalesce(names, cast(literal("[]"), JSON))).select_from(stale).scalar_subquery()
