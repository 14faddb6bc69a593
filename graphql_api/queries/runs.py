"""Run history, quarantined records and schema drift: keyset pages, look-ups and comparisons."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from graphql_api.paging import Page, PageRequest, fetch_page
from graphql_api.queries.tables import data_version, etl_runs, rejected_records, schema_drift
from models.columns import as_utc
from models.runs import RUN_COUNTERS

RUN_CURSOR = "r"
REJECTED_CURSOR = "q"
DRIFT_CURSOR = "d"


RUN_KEY = [etl_runs.c.id]


def run_conditions(source: str | None, status: str | None) -> list[ColumnElement[bool]]:
    """The ``runs`` filter (page and count, resolvers and compiled path alike): an empty value filters nothing."""
    conditions = []
    if source:
        conditions.append(etl_runs.c.source == source)
    if status:
        conditions.append(etl_runs.c.status == status)
    return conditions


def page_runs(conn: Connection, source: str | None, status: str | None, request: PageRequest) -> Page:
    """Runs newest first."""
    statement = select(etl_runs).where(*run_conditions(source, status))
    return fetch_page(conn, statement, RUN_KEY, request, descending=True)


def runs_by_ids(conn: Connection, ids: list[int]) -> dict[int, Any]:
    """Run rows by id."""
    return {row.id: row for row in conn.execute(select(etl_runs).where(etl_runs.c.id.in_(ids)))}


def page_rejected(conn: Connection, run_id: int, request: PageRequest) -> Page:
    """A run's quarantined records in arrival order (index (run_id, id))."""
    statement = select(rejected_records).where(rejected_records.c.run_id == run_id)
    return fetch_page(conn, statement, [rejected_records.c.run_id, rejected_records.c.id], request)


def page_drift(conn: Connection, source: str | None, request: PageRequest) -> Page:
    """Schema drift events newest first."""
    statement = select(schema_drift)
    if source:
        statement = statement.where(schema_drift.c.source == source)
    return fetch_page(conn, statement, [schema_drift.c.id], request, descending=True)


def duration_s(run: Any) -> float | None:
    """Seconds from start to finish, None while running."""
    if run.finished_at is None:
        return None
    return round((as_utc(run.finished_at) - as_utc(run.started_at)).total_seconds(), 3)


@dataclass(frozen=True)
class RunComparison:
    """How run ``b`` differs from run ``a``."""

    a: Any
    b: Any
    count_deltas: dict[str, tuple[int, int, int]]  # counter -> (a, b, b - a)
    duration_delta_s: float | None
    status_changed: bool


def compare_runs(a: Any, b: Any) -> RunComparison:
    """Differences in counts, duration and status between two run rows."""
    deltas = {name: (getattr(a, name), getattr(b, name), getattr(b, name) - getattr(a, name)) for name in RUN_COUNTERS}
    da, db = duration_s(a), duration_s(b)
    return RunComparison(
        a=a,
        b=b,
        count_deltas=deltas,
        duration_delta_s=round(db - da, 3) if da is not None and db is not None else None,
        status_changed=a.status != b.status,
    )


def read_data_version(conn: Connection) -> int:
    """The served-data version (0 before the first load)."""
    version = conn.execute(select(data_version.c.version).where(data_version.c.id == 1)).scalar_one_or_none()
    return int(version or 0)


def run_count(conn: Connection) -> int:
    """How many runs exist."""
    return int(conn.execute(select(func.count()).select_from(etl_runs)).scalar_one())
