"""Chart series: each coin's points of one source as columns, built in one statement for a page of coins.

On PostgreSQL the columns are aggregated by the database (``array_agg … ORDER BY``, epoch seconds and
float8 computed there), so a page of 50 coins comes back as 50 rows of ready arrays instead of one
row object per point. SQLite (3.40 here) has no ordered aggregate, so its ordered points are folded
into the same columns in Python.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Double, Select, Subquery, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from graphql_api.queries.prices import PriceFilter, price_conditions
from graphql_api.queries.tables import prices
from models.columns import as_utc

SERIES_MAX_POINTS = 10_000


class Interval(Enum):
    """Bucket width of a series: every observation, or one averaged point per hour or day."""

    RAW = "raw"
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class SeriesRequest:
    """One source's series over a time range at an interval."""

    source: str
    start: datetime | None
    end: datetime | None
    interval: Interval
    last: int | None = None  # only the newest ``last`` points (still returned oldest first)


@dataclass
class SeriesColumns:
    """One coin's points as aligned columns, oldest first (at most SERIES_MAX_POINTS + 1 points)."""

    timestamps: list[int] = field(default_factory=list)
    price_usd: list[float | None] = field(default_factory=list)
    market_cap_usd: list[float | None] = field(default_factory=list)
    volume_24h_usd: list[float | None] = field(default_factory=list)


MEASURES = ("price_usd", "market_cap_usd", "volume_24h_usd")


def series_per_coin(conn: Connection, coin_ids: Sequence[int], request: SeriesRequest) -> dict[int, SeriesColumns]:
    """Each coin's series of ``request``, in ONE statement; coins without points are absent.

    Points are capped at SERIES_MAX_POINTS + 1 per coin so the caller can refuse oversized series.
    """
    numbered = _capped_points(conn.dialect.name, coin_ids, request)
    if conn.dialect.name == "postgresql":
        return _aggregated_columns(conn, numbered)
    return _folded_columns(conn, numbered)


def _capped_points(dialect: str, coin_ids: Sequence[int], request: SeriesRequest) -> Subquery:
    f = PriceFilter(source=request.source, start=request.start, end=request.end)
    conditions = [prices.c.coin_id.in_(coin_ids), *price_conditions(f)]
    points = point_statement(dialect, conditions, request.interval).subquery("points")
    newest_first = request.last is not None
    order = points.c.ts.desc() if newest_first else points.c.ts
    numbered = select(
        points, func.row_number().over(partition_by=points.c.coin_id, order_by=order).label("rn")
    ).subquery("numbered")
    keep = request.last if request.last is not None else SERIES_MAX_POINTS + 1
    return select(numbered).where(numbered.c.rn <= keep).subquery("capped")


def point_statement(dialect: str, conditions: Sequence[ColumnElement[bool]], interval: Interval) -> Select[Any]:
    """The points of the prices matching ``conditions``: columns coin_id, ts and the MEASURES, one row per point.

    RAW: every observation. HOUR/DAY: one row per coin and bucket (the hour or day of ``observed_at``
    in UTC, ``ts`` its start), each measure the mean of the bucket's non-null values. On PostgreSQL
    the mean is their sum in time order over their count: a float sum in plan order could differ in
    the last digit between two statements over the same rows (the resolvers' and the compiled path's),
    and ``avg(float8)`` also sums squares, which overflow (an error) from values near 1e154 on.
    """
    if interval is Interval.RAW:
        return select(
            prices.c.coin_id,
            prices.c.observed_at.label("ts"),
            *(prices.c[name] for name in MEASURES),
        ).where(*conditions)
    bucket = _bucket(dialect, interval)
    if dialect == "postgresql":
        means = [
            (
                func.sum(aggregate_order_by(prices.c[name], prices.c.observed_at), type_=Double)
                / cast(func.count(prices.c[name]), Double)
            ).label(name)
            for name in MEASURES
        ]
    else:  # SQLite 3.40 has no ordered aggregate (and never runs the compiled path)
        means = [func.avg(prices.c[name]).label(name) for name in MEASURES]
    return select(prices.c.coin_id, bucket.label("ts"), *means).where(*conditions).group_by(prices.c.coin_id, bucket)


def _aggregated_columns(conn: Connection, capped: Subquery) -> dict[int, SeriesColumns]:
    # extract(epoch) of a bucket (timestamp without time zone, truncated in UTC) reads it as UTC.
    epoch = cast(func.floor(func.extract("epoch", capped.c.ts)), BigInteger)
    statement = select(
        capped.c.coin_id,
        func.array_agg(aggregate_order_by(epoch, capped.c.ts)).label("timestamps"),
        *(
            func.array_agg(aggregate_order_by(cast(capped.c[name], Double), capped.c.ts)).label(name)
            for name in MEASURES
        ),
    ).group_by(capped.c.coin_id)
    return {
        row.coin_id: SeriesColumns(row.timestamps, row.price_usd, row.market_cap_usd, row.volume_24h_usd)
        for row in conn.execute(statement)
    }


def _folded_columns(conn: Connection, capped: Subquery) -> dict[int, SeriesColumns]:
    found: dict[int, SeriesColumns] = {}
    for row in conn.execute(select(capped).order_by(capped.c.coin_id, capped.c.ts)):
        columns = found.get(row.coin_id)
        if columns is None:
            columns = found[row.coin_id] = SeriesColumns()
        columns.timestamps.append(_epoch(row.ts))
        columns.price_usd.append(row.price_usd)
        columns.market_cap_usd.append(row.market_cap_usd)
        columns.volume_24h_usd.append(row.volume_24h_usd)
    return found


def _epoch(value: Any) -> int:
    if isinstance(value, str):  # SQLite buckets come back as text
        value = datetime.fromisoformat(value)
    return int(as_utc(value).timestamp())


def _bucket(dialect: str, interval: Interval) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.date_trunc(interval.value, func.timezone("UTC", prices.c.observed_at))
    pattern = "%Y-%m-%d %H:00:00" if interval is Interval.HOUR else "%Y-%m-%d 00:00:00"
    return func.strftime(pattern, prices.c.observed_at)
