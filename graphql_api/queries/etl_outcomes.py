"""Per-source run outcomes for alerting: runs by status, the last finished run, failures in a row."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from graphql_api.queries.tables import etl_runs
from models.columns import as_utc


@dataclass(frozen=True)
class LastRun:
    """The newest finished run of one source that ran (a skipped run did nothing: it is not an outcome)."""

    source: str
    status: str
    started_at: datetime
    finished_at: datetime
    read: int
    rejected: int

    @property
    def duration_s(self) -> float:
        """Wall-clock seconds from start to finish."""
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class RunOutcomes:
    """What the run history says about each source's health."""

    runs_by_status: dict[tuple[str, str], int]  # (source, status) -> runs
    last_finished: dict[str, LastRun]  # source -> its newest finished run
    consecutive_failures: dict[str, int]  # source -> failed (or crashed) runs since its last succeeded one


def run_outcomes(conn: Connection) -> RunOutcomes:
    """Read the outcomes from ``etl_runs`` in three grouped statements."""
    by_status = {
        (row.source, row.status): int(row.runs)
        for row in conn.execute(
            select(etl_runs.c.source, etl_runs.c.status, func.count().label("runs")).group_by(
                etl_runs.c.source, etl_runs.c.status
            )
        )
    }
    return RunOutcomes(by_status, _last_finished(conn), _consecutive_failures(conn))


def _last_finished(conn: Connection) -> dict[str, LastRun]:
    finished = and_(etl_runs.c.finished_at.isnot(None), etl_runs.c.status != "skipped")
    newest = select(func.max(etl_runs.c.id).label("id")).where(finished).group_by(etl_runs.c.source).subquery()
    statement = select(
        etl_runs.c.source,
        etl_runs.c.status,
        etl_runs.c.started_at,
        etl_runs.c.finished_at,
        etl_runs.c.read,
        etl_runs.c.rejected,
    ).join(newest, etl_runs.c.id == newest.c.id)
    return {
        row.source: LastRun(
            source=row.source,
            status=row.status,
            started_at=as_utc(row.started_at),
            finished_at=as_utc(row.finished_at),
            read=int(row.read),
            rejected=int(row.rejected),
        )
        for row in conn.execute(statement)
    }


def _consecutive_failures(conn: Connection) -> dict[str, int]:
    last_success = (
        select(etl_runs.c.source, func.max(etl_runs.c.id).label("id"))
        .where(etl_runs.c.status == "succeeded")
        .group_by(etl_runs.c.source)
        .subquery()
    )
    since: Any = func.coalesce(last_success.c.id, 0)
    statement = (
        select(etl_runs.c.source, func.count())
        .select_from(etl_runs.outerjoin(last_success, etl_runs.c.source == last_success.c.source))
        # Every finished outcome other than success counts (failed, and any crashed/cancelled kind);
        # a skipped run (another run held the stream) did nothing and breaks no streak.
        .where(and_(etl_runs.c.status.notin_(("succeeded", "running", "skipped")), etl_runs.c.id > since))
        .group_by(etl_runs.c.source)
    )
    return {source: int(count) for source, count in conn.execute(statement)}
