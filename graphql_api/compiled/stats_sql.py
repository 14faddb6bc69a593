"""``Query.marketStats`` as JSON in SQL (``gql/market_stats.py``), compiled.

The statements are the resolvers' own (``queries.market``: ``current_prices``, ``totals_statement``,
``movers_statement`` and its order), each embedded as a subquery of the one statement; only the
rendering is new. Floats go through ``json_text.float_text`` (a NaN falls back, as graphql-core refuses it).
"""

from typing import Any

from sqlalchemy import ColumnElement, Subquery, Text, cast, func, literal, null, select
from sqlalchemy.types import JSON

from graphql_api.compiled.connection_sql import aggregate_order, json_object, selected_pairs, typename
from graphql_api.compiled.json_text import enum_name, iso_datetime, json_float
from graphql_api.compiled.selection import Field, NotCompilableError
from graphql_api.gql.scalars import Source, source_value
from graphql_api.queries.market import current_prices, movers_order, movers_statement, totals_statement

Pairs = list[tuple[str, ColumnElement[Any]]]


def market_stats_json(field: Field) -> ColumnElement[Any]:
    """The ``MarketStats`` object: count and total from one row of ``totals_statement``, movers as arrays."""
    source: Source | None = field.args.get("source")
    current = current_prices(source_value(source))
    totals = totals_statement(current).subquery("totals")
    count, total = list(totals.c)
    pairs: Pairs = []
    for child in field.children:
        name = child.name
        if name == "source":
            value: ColumnElement[Any] = literal(source.name, Text) if source is not None else null()
        elif name == "coinCount":
            value = count
        elif name == "totalMarketCapUsd":
            value = json_float(total)
        elif name in ("topGainers", "topLosers"):
            value = _movers(child.children, current, rising=name == "topGainers")
        elif name == "__typename":
            value = typename("MarketStats")
        else:
            raise NotCompilableError(f"MarketStats.{name}")
        pairs.append((child.key, value))
    return select(json_object(pairs)).select_from(totals).scalar_subquery()


def _movers(fields: tuple[Field, ...], current: Subquery, rising: bool) -> ColumnElement[Any]:
    """The movers as a JSON array of ``Mover`` objects, in ``movers_order``."""
    rank = func.row_number().over(order_by=movers_order(current, rising)).label("rn")
    movers = movers_statement(current, rising).add_columns(rank).subquery("movers")
    rendered = {
        "canonicalId": lambda: movers.c.canonical_id,
        "symbol": lambda: movers.c.symbol,
        "name": lambda: movers.c.name,
        "source": lambda: enum_name(movers.c.source, Source),
        "priceUsd": lambda: json_float(movers.c.price_usd),
        "change24hPct": lambda: json_float(movers.c.change_24h_pct),
        "observedAt": lambda: iso_datetime(movers.c.observed_at),
        "__typename": lambda: typename("Mover"),
    }
    pairs = selected_pairs(fields, rendered, "Mover")
    listed = func.json_agg(aggregate_order(json_object(pairs), movers.c.rn), type_=JSON)
    return (
        select(func.coalesce(listed, cast(literal("[]"), JSON))).select_from(movers).correlate(None).scalar_subquery()
    )
