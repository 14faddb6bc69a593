"""Run history queries: ``runs``, ``run``, ``compareRuns``, ``rejectedRecords`` and ``schemaDrift``."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import Connection as SqlConnection
from sqlalchemy import func, select
from strawberry.scalars import JSON
from strawberry.types import Info

from graphql_api.errors import BadInputError
from graphql_api.gql.coin_types import SourceArg
from graphql_api.gql.connection import After, Connection, First, to_connection
from graphql_api.gql.context import Context
from graphql_api.gql.node import Node, to_global_id
from graphql_api.gql.scalars import DriftKind, RunStatus, Source, source_value
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
    run_conditions,
    runs_by_ids,
)
from graphql_api.queries.tables import etl_runs, rejected_records, schema_drift
from models.columns import as_utc

RunIdArg = Annotated[int, strawberry.argument(description="The run's id (`Run.runId`).")]


@strawberry.type(description="One ETL run of one source stream.")
class Run(Node):
    """An ``etl_runs`` row; its global id is ``Run:<run id>``."""

    run_id: int = strawberry.field(description="The etl_runs id (what `run(id:)` and `runId` fields take).")
    flow_run_id: str | None = strawberry.field(description="The Prefect flow run's id (null: run outside Prefect).")
    prefect_url: str | None = strawberry.field(description="The flow run in the Prefect UI (when configured).")
    source: Source = strawberry.field(description="The source run.")
    stream: str = strawberry.field(description="The source's stream (endpoint or CSV file name).")
    status: RunStatus = strawberry.field(description="Where the run is.")
    started_at: datetime = strawberry.field(description="Start (UTC).")
    finished_at: datetime | None = strawberry.field(description="End (UTC; null while running).")
    duration_s: float | None = strawberry.field(description="Seconds from start to end (null while running).")
    read: int = strawberry.field(description="Records read from the source.")
    landed: int = strawberry.field(description="Records newly landed in raw_records (a repeated payload lands once).")
    valid: int = strawberry.field(description="Records that passed validation.")
    rejected: int = strawberry.field(description="Records quarantined (`rejectedRecords(runId:)`).")
    inserted: int = strawberry.field(description="Price rows inserted.")
    updated: int = strawberry.field(description="Price rows whose values changed.")
    unchanged: int = strawberry.field(description="Price rows already stored with the same values.")
    error: str | None = strawberry.field(description="Why it failed or crashed (null otherwise).")
    checkpoint_before: JSON | None = strawberry.field(description="The stream's checkpoint when it started.")
    checkpoint_after: JSON | None = strawberry.field(description="The stream's checkpoint when it ended.")

    @staticmethod
    def from_row(row: Any, prefect_ui_url: str | None) -> "Run":
        """Build from an ``etl_runs`` row."""
        link = None
        if prefect_ui_url and row.flow_run_id:
            link = f"{prefect_ui_url.rstrip('/')}/runs/flow-run/{row.flow_run_id}"
        return Run(
            id=to_global_id("Run", row.id),
            run_id=row.id,
            flow_run_id=row.flow_run_id,
            prefect_url=link,
            source=Source(row.source),
            stream=row.stream,
            status=RunStatus(row.status),
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

    counter: str = strawberry.field(description="The counter's name (read, landed, valid, ...).")
    a: int = strawberry.field(description="Its value in run a.")
    b: int = strawberry.field(description="Its value in run b.")
    delta: int = strawberry.field(description="b - a.")


@strawberry.type(description="How run b differs from run a.")
class RunComparison:
    """Counts, duration and status side by side."""

    a: Run = strawberry.field(description="The first run.")
    b: Run = strawberry.field(description="The second run.")
    counts: list[CountDelta] = strawberry.field(description="Every counter of both runs.")
    duration_delta_s: float | None = strawberry.field(description="b's duration - a's, seconds (null while running).")
    status_changed: bool = strawberry.field(description="The two runs ended in different states.")


@strawberry.type(description="A row that failed validation, with every failing check.")
class RejectedRecord(Node):
    """A quarantined record; its global id is ``RejectedRecord:<rejected_records id>``."""

    rejected_record_id: int = strawberry.field(description="The rejected_records row id.")
    run_id: int = strawberry.field(description="The run that rejected it.")
    source: Source = strawberry.field(description="The source that sent it.")
    stream: str = strawberry.field(description="The source's stream.")
    natural_key: str = strawberry.field(description="The source's key of the record.")
    payload: JSON = strawberry.field(description="The record as received.")
    reasons: JSON = strawberry.field(description="Every failing check, as `column: check` strings.")
    rejected_at: datetime = strawberry.field(description="When it was quarantined (UTC).")


@strawberry.type(description="A field that appeared, disappeared or changed type in a source's payload.")
class SchemaDriftEvent(Node):
    """A drift event; its global id is ``SchemaDriftEvent:<schema_drift id>``."""

    schema_drift_id: int = strawberry.field(description="The schema_drift row id.")
    run_id: int = strawberry.field(description="The run that saw it.")
    source: Source = strawberry.field(description="The source.")
    stream: str = strawberry.field(description="The source's stream.")
    field: str = strawberry.field(description="The payload field's name.")
    kind: DriftKind = strawberry.field(description="What changed.")
    example_value: str | None = strawberry.field(description="A value seen in the field (null when missing).")
    detected_at: datetime = strawberry.field(description="When it was seen (UTC).")


def rejected_record(row: Any) -> RejectedRecord:
    """Build from a ``rejected_records`` row."""
    return RejectedRecord(
        id=to_global_id("RejectedRecord", row.id),
        rejected_record_id=row.id,
        run_id=row.run_id,
        source=Source(row.source),
        stream=row.stream,
        natural_key=row.natural_key,
        payload=row.payload,
        reasons=row.reasons,
        rejected_at=as_utc(row.rejected_at),
    )


def drift_event(row: Any) -> SchemaDriftEvent:
    """Build from a ``schema_drift`` row."""
    return SchemaDriftEvent(
        id=to_global_id("SchemaDriftEvent", row.id),
        schema_drift_id=row.id,
        run_id=row.run_id,
        source=Source(row.source),
        stream=row.stream,
        field=row.field,
        kind=DriftKind(row.kind),
        example_value=row.example_value,
        detected_at=as_utc(row.detected_at),
    )


def _count(table: Any, *conditions: Any) -> Any:
    def query(conn: SqlConnection) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one())

    return query


@strawberry.type(description="Run history.")
class RunQuery:
    """Run history."""

    @strawberry.field(description="Runs newest first.")
    async def runs(
        self,
        info: Info[Context, None],
        source: SourceArg = None,
        status: Annotated[RunStatus | None, strawberry.argument(description="Only runs in this state.")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Run]:
        """A page of runs."""
        request = page_request(RUN_CURSOR, (int,), first, after)
        name, state = source_value(source), status.value if status else None
        page = await info.context.run(page_runs, name, state, request)
        ui = info.context.settings.prefect_ui_url
        conditions = run_conditions(name, state)
        return to_connection(
            page,
            RUN_CURSOR,
            lambda row: (row.id,),
            lambda row: Run.from_row(row, ui),
            lambda: info.context.run(_count(etl_runs, *conditions)),
        )

    @strawberry.field(description="One run by id.")
    async def run(self, info: Info[Context, None], id: RunIdArg) -> Run | None:
        """A run or null."""
        row = (await info.context.run(runs_by_ids, [id])).get(id)
        return Run.from_row(row, info.context.settings.prefect_ui_url) if row else None

    @strawberry.field(description="Differences in counts, duration and status between runs a and b.")
    async def compare_runs(
        self,
        info: Info[Context, None],
        a: Annotated[int, strawberry.argument(description="The first run's id (the baseline).")],
        b: Annotated[int, strawberry.argument(description="The second run's id.")],
    ) -> RunComparison:
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
        self, info: Info[Context, None], run_id: RunIdArg, first: First = None, after: After = None
    ) -> Connection[RejectedRecord]:
        """A page of rejected records."""
        request = page_request(REJECTED_CURSOR, (int, int), first, after)
        page = await info.context.run(page_rejected, run_id, request)
        return to_connection(
            page,
            REJECTED_CURSOR,
            lambda row: (row.run_id, row.id),
            rejected_record,
            lambda: info.context.run(_count(rejected_records, rejected_records.c.run_id == run_id)),
        )

    @strawberry.field(description="Schema drift events newest first.")
    async def schema_drift(
        self,
        info: Info[Context, None],
        source: SourceArg = None,
        first: First = None,
        after: After = None,
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
            drift_event,
            lambda: info.context.run(_count(schema_drift, *conditions)),
        )
