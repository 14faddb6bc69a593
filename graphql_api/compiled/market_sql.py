"""Coins, prices, source mappings, series and spreads as JSON in SQL: the ``gql/coin_types.py`` fields, compiled.

Each builder takes the selected fields and the enclosing row (a FROM clause whose columns are the
table's) and returns a JSON expression correlated to that row. Filters, keyset bounds and orders are
the resolvers' own (``queries.coins``, ``queries.prices``, ``paging``); only the rendering is new.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, FromClause, Select, Text, case, cast, func, literal, select, true
from sqlalchemy.types import JSON

from graphql_api.compiled.connection_sql import (
    aggregate_order,
    connection_json,
    json_object,
    selected_pairs,
    typename,
)
from graphql_api.compiled.json_text import (
    base64_text,
    cursor_text,
    enum_name,
    fallback,
    float_array,
    float_text,
    int_array,
    iso_datetime,
    json_float,
    json_key_datetime,
    json_key_int,
    string_json_text,
)
from graphql_api.compiled.selection import Field, NotCompilableError
from graphql_api.compiled.spread_sql import spread_json
from graphql_api.gql.coin_queries import CoinFilterInput, CoinOrderBy, CoinOrderField, Direction, coins_page
from graphql_api.gql.scalars import MatchMethod, SeriesInterval, Source, source_value
from graphql_api.paging import bounded_statement, page_request
from graphql_api.queries.coins import CoinOrder, coin_conditions, coin_list_statement
from graphql_api.queries.prices import KEY, PRICE_CURSOR, PRICE_KEY_TYPES, PriceFilter, price_conditions
from graphql_api.queries.series import SERIES_MAX_POINTS, Interval, point_statement
from graphql_api.queries.tables import coin_sources, coins, prices

Pairs = list[tuple[str, ColumnElement[Any]]]


def coins_connection(field: Field) -> ColumnElement[Any]:
    """``Query.coins``: the page of coins as a connection (NotCompilableError where the resolver would refuse)."""
    a = field.args
    given = a.get("filter")
    order_by = a.get("orderBy")
    try:
        wanted = coins_page(
            CoinFilterInput(**given) if given is not None else None,
            CoinOrderBy(field=CoinOrderField(order_by["field"]), direction=Direction(order_by["direction"]))
            if order_by is not None
            else None,
            a.get("first"),
            a.get("after"),
            a.get("last"),
            a.get("before"),
        )
    except ValueError as error:  # BadInputError and its kin: the resolver reports it
        raise NotCompilableError(str(error)) from None
    statement, keys = coin_list_statement(wanted.filter, wanted.order, wanted.descending)
    page = bounded_statement(statement, keys, wanted.request, wanted.descending)
    if wanted.order is CoinOrder.RANK:
        sort_key = json_key_int
    elif wanted.order is CoinOrder.MARKET_CAP:
        sort_key = float_text
    else:
        sort_key = string_json_text

    def cursor(row: FromClause) -> ColumnElement[str]:
        return cursor_text(wanted.kind, [sort_key(row.c.sort_key), json_key_int(row.c.id)])

    def count() -> ColumnElement[Any]:
        return select(func.count()).select_from(coins).where(*coin_conditions(wanted.filter)).scalar_subquery()

    return connection_json(
        field.children, "Coin", page, keys, wanted.request, wanted.descending, cursor, coin_json, count
    )


def coin_by_canonical_id(field: Field) -> ColumnElement[Any]:
    """``Query.coin``: the coin's object, or null."""
    row = select(coins).where(coins.c.canonical_id == literal(field.args["canonicalId"], Text)).subquery()
    return select(coin_json(field.children, row)).select_from(row).scalar_subquery()


def coin_json(fields: tuple[Field, ...], row: FromClause) -> ColumnElement[Any]:
    """A ``Coin`` object of ``row`` (columns of ``coins``)."""
    pairs: Pairs = []
    for field in fields:
        name = field.name
        if name == "id":
            value: ColumnElement[Any] = base64_text("Coin:" + row.c.canonical_id, urlsafe=False)
        elif name in ("canonicalId", "symbol", "name"):
            value = row.c[{"canonicalId": "canonical_id"}.get(name, name)]
        elif name == "__typename":
            value = typename("Coin")
        elif name == "sources":
            value = _sources(field.children, row)
        elif name == "latestPrice":
            value = _latest(field.children, row, source_value(field.args.get("source")), newest_only=True)
        elif name == "latestPrices":
            value = _latest(field.children, row, None, newest_only=False)
        elif name == "prices":
            value = _prices_connection(field, row)
        elif name == "series":
            value = _series(field, row)
        elif name == "spread":
            newest, joined = _latest_join(row, None)
            quotes = joined.add_columns(newest.c.source, newest.c.price_usd, newest.c.observed_at)
            value = spread_json(field.children, quotes)
        else:
            raise NotCompilableError(f"Coin.{name}")
        pairs.append((field.key, value))
    return json_object(pairs)


def price_json(fields: tuple[Field, ...], row: FromClause) -> ColumnElement[Any]:
    """A ``Price`` object of ``row`` (columns of ``prices``)."""
    pairs: Pairs = []
    for field in fields:
        name = field.name
        if name == "source":
            value: ColumnElement[Any] = enum_name(row.c.source, Source)
        elif name == "observedAt":
            value = iso_datetime(row.c.observed_at)
        elif name in _PRICE_FLOATS:
            value = json_float(row.c[_PRICE_FLOATS[name]])
        elif name in ("rank", "runId"):
            value = row.c["rank" if name == "rank" else "run_id"]
        elif name == "__typename":
            value = typename("Price")
        else:
            raise NotCompilableError(f"Price.{name}")
        pairs.append((field.key, value))
    return json_object(pairs)


_PRICE_FLOATS = {
    "priceUsd": "price_usd",
    "marketCapUsd": "market_cap_usd",
    "volume24hUsd": "volume_24h_usd",
    "change24hPct": "change_24h_pct",
}


def _sources(fields: tuple[Field, ...], row: FromClause) -> ColumnElement[Any]:
    """``Coin.sources``: the coin's mappings by (source, source coin id), as ``sources_by_coin`` orders them."""
    mapping = coin_sources
    rendered = {
        "source": lambda: enum_name(mapping.c.source, Source),
        "sourceCoinId": lambda: mapping.c.source_coin_id,
        "symbol": lambda: mapping.c.symbol,
        "name": lambda: mapping.c.name,
        "matchMethod": lambda: enum_name(mapping.c.match_method, MatchMethod),
        "matchedAt": lambda: iso_datetime(mapping.c.matched_at),
        "__typename": lambda: typename("CoinSourceId"),
    }
    pairs = selected_pairs(fields, rendered, "CoinSourceId")
    ordered = aggregate_order(json_object(pairs), mapping.c.source, mapping.c.source_coin_id)
    return (
        select(func.coalesce(func.json_agg(ordered, type_=JSON), cast(literal("[]"), JSON)))
        .where(mapping.c.coin_id == row.c.id)
        .correlate(row)
        .scalar_subquery()
    )


def _latest(fields: tuple[Field, ...], row: FromClause, source: str | None, newest_only: bool) -> ColumnElement[Any]:
    """``latestPrice`` (the newest by (observedAt, source)) or ``latestPrices`` (by source).

    The same rows as ``queries.prices.latest_statement``: each source mapped to the coin, its newest
    price found by a backward probe of the primary-key index.
    """
    newest, joined = _latest_join(row, source)
    obj = price_json(fields, newest)
    if newest_only:
        return (
            joined.add_columns(obj)
            .order_by(newest.c.observed_at.desc(), newest.c.source.desc())
            .limit(1)
            .scalar_subquery()
        )
    listed = func.json_agg(aggregate_order(obj, newest.c.source), type_=JSON)
    return joined.add_columns(func.coalesce(listed, cast(literal("[]"), JSON))).scalar_subquery()


def _latest_join(row: FromClause, source: str | None) -> tuple[FromClause, Select[Any]]:
    """Each source mapped to the coin (or ``source``) joined to its newest price: (the price, the bare SELECT).

    The same rows as ``queries.prices.latest_statement``, the newest found by a backward probe of the
    primary-key index.
    """
    pairs = select(coin_sources.c.source).where(coin_sources.c.coin_id == row.c.id)
    if source is not None:
        pairs = pairs.where(coin_sources.c.source == source)
    pair = pairs.distinct().correlate(row).subquery()
    newest = (
        select(prices)
        .where(prices.c.coin_id == row.c.id, prices.c.source == pair.c.source)
        .order_by(prices.c.observed_at.desc())
        .limit(1)
        .correlate(row, pair)
        .lateral()
    )
    return newest, select().select_from(pair.join(newest, true())).correlate(row)


def _prices_connection(field: Field, row: FromClause) -> ColumnElement[Any]:
    """``Coin.prices``: the coin's page of prices in (source, observedAt) order."""
    a = field.args
    try:
        request = page_request(
            PRICE_CURSOR, PRICE_KEY_TYPES, a.get("first"), a.get("after"), a.get("last"), a.get("before")
        )
    except ValueError as error:
        raise NotCompilableError(str(error)) from None
    f = PriceFilter(source=source_value(a.get("source")), start=a.get("from"), end=a.get("to"))
    conditions = [prices.c.coin_id == row.c.id, *price_conditions(f)]
    page = bounded_statement(select(prices).where(*conditions), KEY, request).correlate(row)

    def cursor(r: FromClause) -> ColumnElement[str]:
        parts = [json_key_int(r.c.coin_id), string_json_text(r.c.source), json_key_datetime(r.c.observed_at)]
        return cursor_text(PRICE_CURSOR, parts)

    def count() -> ColumnElement[Any]:
        return select(func.count()).select_from(prices).where(*conditions).correlate(row).scalar_subquery()

    return connection_json(field.children, "Price", page, KEY, request, False, cursor, price_json, count)


def _series(field: Field, row: FromClause) -> ColumnElement[Any]:
    """``Coin.series`` at any interval: the resolvers' points (``queries.series.point_statement``) as columns.

    More than SERIES_MAX_POINTS points is the resolver's error: the statement falls back instead.
    """
    a = field.args
    last = a.get("last")
    if last is not None and not 1 <= last <= SERIES_MAX_POINTS:
        raise NotCompilableError("series last")
    source: Source = a["source"]
    interval: SeriesInterval = a["interval"]
    f = PriceFilter(source=source.value, start=a.get("from"), end=a.get("to"))
    conditions = [prices.c.coin_id == row.c.id, *price_conditions(f)]
    points = point_statement("postgresql", conditions, Interval(interval.value)).correlate(row).subquery("points")
    if last is not None:
        kept = select(points).order_by(points.c.ts.desc()).limit(last)
    else:
        kept = select(points).order_by(points.c.ts).limit(SERIES_MAX_POINTS + 1)
    p = kept.subquery("kept")
    count: ColumnElement[int] = func.count()
    # A bucket's start is a timestamp without time zone in UTC: extract(epoch) reads it as UTC.
    epoch = cast(func.floor(func.extract("epoch", p.c.ts)), BigInteger)
    rendered: dict[str, Callable[[], ColumnElement[Any]]] = {
        "source": lambda: literal(source.name, Text),
        "interval": lambda: literal(interval.name, Text),
        "points": lambda: count,
        "timestamps": lambda: int_array(epoch, p.c.ts),
        "priceUsd": lambda: float_array(p.c.price_usd, p.c.ts),
        "marketCapUsd": lambda: float_array(p.c.market_cap_usd, p.c.ts),
        "volume24hUsd": lambda: float_array(p.c.volume_24h_usd, p.c.ts),
        "__typename": lambda: typename("Series"),
    }
    pairs = selected_pairs(field.children, rendered, "Series")
    too_many = count > SERIES_MAX_POINTS
    refused = cast(cast(fallback(cast(count, Text)), Text), JSON)  # depends on the rows: never folded at plan time
    return select(case((too_many, refused), else_=json_object(pairs))).select_from(p).scalar_subquery()
