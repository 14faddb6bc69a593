"""Run history queries: ``runs``, ``run``, ``compareRuns``, ``rejectedRecords`` and ``schemaDrift``."""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import Connection as SqlConnection
from sqlalchemy import func, select
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_api.errors import BadInputError
from graphql_api.gql.connection import Connection, to_connection
from graphql_api.gql.context import Context
from graphql_api.gql.scalars import Source, source_value
from graphql_api.paging import page_request
from graphql_api.queries.runs import (
    DRIFT_CURSOR,
    REJECTED_CURSOR,
    RUN_CURSOR,
    compare_runs,
    duration_s,
    page_drift,
    page_rejected,
    page_runs,
    runs_by_ids,
)
from graphql_api.queries.tables import etl_runs, rejected_records, schema_drift
from models.columns import as_utc


@strawberry.enum(description="State of a run.")
class RunStatus(Enum):
    """Run states."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CRASHED = "crashed"  # its process died mid-run; closed by the next run (flows/stale_runs.py)
    SKIPPED = "skipped"  # another run held its stream; it did nothing (flows/stream_claim.py)


@strawberry.type(description="One ETL run of one source stream.")
class Run:
    """An ``etl_runs`` row."""

    id: int
    flow_run_id: str | None
    prefect_url: str | None = strawberry.field(description="The flow run in the Prefect UI (when configured).")
    source: str
    stream: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    read: int
    landed: int
    valid: int
    rejected: int
    inserted: int
    updated: int
    unchanged: int
    error: str | None
    checkpoint_before: JSON | None
    checkpoint_after: JSON | None

    @staticmethod
    def from_row(row: Any, prefect_ui_url: str | None) -> "Run":
        """Build from an ``etl_runs`` row."""
        link = None
        if prefect_ui_url and row.flow_run_id:
            link = f"{prefect_ui_url.rstrip('/')}/runs/flow-run/{row.flow_run_id}"
        return Run(
            id=row.id,
            flow_run_id=row.flow_run_id,
            prefect_url=link,
            source=row.source,
            stream=row.stream,
            status=row.status,
            started_at=as_utc(row.started_at),
            finished_at=as_utc(row.finished_at) if row.finished_at else None,
            duration_s=duration_s(row),
            read=row.read,
            landed=row.landed,
            valid=row.valid,
            rejected=row.rejected,
            inserted=row.inserted,
            updated=row.updated,
            unchanged=row.unchanged,
            error=row.error,
            checkpoint_before=row.checkpoint_before,
            checkpoint_after=row.checkpoint_after,
        )


@strawberry.type(description="One counter of two runs.")
class CountDelta:
    """``b - a`` of a counter."""

    counter: str
    a: int
    b: int
    delta: int


@strawberry.type(description="How run b differs from run a.")
class RunComparison:
    """Counts, duration and status side by side."""

    a: Run
    b: Run
    counts: list[CountDelta]
    duration_delta_s: float | None
    status_changed: bool


@strawberry.type(description="A row that failed validation, with every failing check.")
class RejectedRecord:
    """A quarantined record."""

    id: int
    run_id: int
    source: str
    stream: str
    natural_key: str
    payload: JSON
    reasons: JSON
    rejected_at: datetime


@strawberry.type(description="A field that appeared, disappeared or changed type in a source's payload.")
class SchemaDriftEvent:
    """A drift event."""

    id: int
    run_id: int
    source: str
    stream: str
    field: str
    kind: str
    example_value: str | None
    detected_at: datetime


def _rejected(row: Any) -> RejectedRecord:
    return RejectedRecord(
        id=row.id,
        run_id=row.run_id,
        source=row.source,
        stream=row.stream,
        natural_key=row.natural_key,
        payload=row.payload,
        reasons=row.reasons,
        rejected_at=as_utc(row.rejected_at),
    )


def _drift(row: Any) -> SchemaDriftEvent:
    return SchemaDriftEvent(
        id=row.id,
        run_id=row.run_id,
        source=row.source,
        stream=row.stream,
        field=row.field,
        kind=row.kind,
        example_value=row.example_value,
        detected_at=as_utc(row.detected_at),
    )


def _count(table: Any, *conditions: Any) -> Any:
    def query(conn: SqlConnection) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one())

    return query


@strawberry.type
class RunQuery:
    """Run history."""

    @strawberry.field(description="Runs newest first.")
    async def runs(
        self,
        info: Info[Context, None],
        source: Source | None = None,
        status: RunStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Run]:
        """A page of runs."""
        request = page_request(RUN_CURSOR, (int,), first, after)
        name, state = source_value(source), status.value if status else None
        page = await info.context.run(page_runs, name, state, request)
        ui = info.context.settings.prefect_ui_url
        conditions = [c for c in (name and etl_runs.c.source == name, state and etl_runs.c.status == state) if c]
        return to_connection(
            page,
            RUN_CURSOR,
            lambda row: (row.id,),
            lambda row: Run.from_row(row, ui),
            lambda: info.context.run(_count(etl_runs, *conditions)),
        )

    @strawberry.field(description="One run by id.")
    async def run(self, info: Info[Context, None], id: int) -> Run | None:
        """A run or null."""
        row = (await info.context.run(runs_by_ids, [id])).get(id)
        return Run.from_row(row, info.context.settings.prefect_ui_url) if row else None

    @strawberry.field(description="Differences in counts, duration and status between runs a and b.")
    async def compare_runs(self, info: Info[Context, None], a: int, b: int) -> RunComparison:
        """Compare two runs."""
        found = await info.context.run(runs_by_ids, [a, b])
        for name, run_id in (("a", a), ("b", b)):
            if run_id not in found:
                raise BadInputError(name, f"no run {run_id}")
        comparison = compare_runs(found[a], found[b])
        ui = info.context.settings.prefect_ui_url
        return RunComparison(
            a=Run.from_row(found[a], ui),
            b=Run.from_row(found[b], ui),
            counts=[CountDelta(counter=k, a=v[0], b=v[1], delta=v[2]) for k, v in comparison.count_deltas.items()],
            duration_delta_s=comparison.duration_delta_s,
            status_changed=comparison.status_changed,
        )

    @strawberry.field(description="A run's quarantined records in arrival order.")
    async def rejected_records(
        self, info: Info[Context, None], run_id: int, first: int | None = None, after: str | None = None
    ) -> Connection[RejectedRecord]:
        """A page of rejected records."""
        request = page_request(REJECTED_CURSOR, (int, int), first, after)
        page = await info.context.run(page_rejected, run_id, request)
        return to_connection(
            page,
            REJECTED_CURSOR,
            lambda row: (row.run_id, row.id),
            _rejected,
            lambda: info.context.run(_count(rejected_records, rejected_records.c.run_id == run_id)),
        )

    @strawberry.field(description="Schema drift events newest first.")
    async def schema_drift(
        self,
        info: Info[Context, None],
        source: Source | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SchemaDriftEvent]:
        """A page of drift events."""
        request = page_request(DRIFT_CURSOR, (int,), first, after)
        name = source_value(source)
        page = await info.context.run(page_drift, name, request)
        conditions = [schema_drift.c.source == name] if name else []
        return to_connection(
            page,
            DRIFT_CURSOR,
            lambda row: (row.id,),
            _drift,
            lambda: info.context.run(_count(schema_drift, *conditions)),
        )
