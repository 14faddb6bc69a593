"""Per-source ETL status: last run, last success, stored rows, quarantined and drift counts, durations."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from graphql_api.queries.tables import coin_sources, etl_runs, prices, rejected_records, schema_drift
from models.columns import as_utc


@dataclass(frozen=True)
class SourceStatus:
    """What the database says about one source."""

    source: str
    runs: int
    last_run_id: int | None
    last_run_status: str | None
    last_run_started_at: datetime | None
    last_success_at: datetime | None
    price_rows: int
    rejected: int
    drift_events: int
    avg_duration_s: float | None
    max_duration_s: float | None


def _by_source(conn: Connection, statement: Any) -> dict[str, Any]:
    return {row[0]: row[1:] for row in conn.execute(statement)}


def source_statuses(conn: Connection) -> list[SourceStatus]:
    """One status per source that has runs or data (a handful of grouped statements)."""
    runs = _by_source(
        conn,
        select(etl_runs.c.source, func.count(), func.max(etl_runs.c.id)).group_by(etl_runs.c.source),
    )
    last_ids = [values[1] for values in runs.values()]
    last_runs = {
        row.id: row
        for row in conn.execute(
            select(etl_runs.c.id, etl_runs.c.status, etl_runs.c.started_at).where(etl_runs.c.id.in_(last_ids))
        )
    }
    finished = etl_runs.c.finished_at.isnot(None)
    successes = _by_source(
        conn,
        select(etl_runs.c.source, func.max(etl_runs.c.finished_at))
        .where(etl_runs.c.status == "succeeded", finished)
        .group_by(etl_runs.c.source),
    )
    durations = _by_source(conn, _durations(conn.dialect.name))
    rows = _by_source(conn, select(prices.c.source, func.count()).group_by(prices.c.source))
    rejected = _by_source(conn, select(rejected_records.c.source, func.count()).group_by(rejected_records.c.source))
    drift = _by_source(conn, select(schema_drift.c.source, func.count()).group_by(schema_drift.c.source))
    known = _by_source(conn, select(coin_sources.c.source, func.count()).group_by(coin_sources.c.source))
    statuses = []
    for source in sorted(set(runs) | set(rows) | set(known)):
        count, last_id = runs.get(source, (0, None))
        last = last_runs.get(last_id)
        success = successes.get(source, (None,))[0]
        avg_s, max_s = durations.get(source, (None, None))
        statuses.append(
            SourceStatus(
                source=source,
                runs=int(count),
                last_run_id=last_id,
                last_run_status=last.status if last else None,
                last_run_started_at=as_utc(last.started_at) if last else None,
                last_success_at=as_utc(success) if success else None,
                price_rows=int(rows.get(source, (0,))[0]),
                rejected=int(rejected.get(source, (0,))[0]),
                drift_events=int(drift.get(source, (0,))[0]),
                avg_duration_s=round(float(avg_s), 3) if avg_s is not None else None,
                max_duration_s=round(float(max_s), 3) if max_s is not None else None,
            )
        )
    return statuses


def _durations(dialect: str) -> Any:
    seconds: ColumnElement[Any]
    if dialect == "postgresql":
        seconds = func.extract("epoch", etl_runs.c.finished_at - etl_runs.c.started_at)
    else:
        seconds = (func.julianday(etl_runs.c.finished_at) - func.julianday(etl_runs.c.started_at)) * 86400.0
    return (
        select(etl_runs.c.source, func.avg(seconds), func.max(seconds))
        .where(etl_runs.c.finished_at.isnot(None))
        .group_by(etl_runs.c.source)
    )
