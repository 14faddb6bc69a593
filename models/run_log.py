"""The life of an ``etl_runs`` row: started, counted batch by batch, finished."""

from typing import Any

from sqlalchemy import Connection, Engine, update

from models.columns import utcnow
from models.runs import RUN_COUNTERS, DataVersion, EtlRun


def start_run(
    engine: Engine, source: str, stream: str, flow_run_id: str | None, checkpoint_before: dict[str, Any] | None
) -> int:
    """Insert a ``running`` row and return its id.

    A run of the same stream still marked running can only be one whose process died (runs of a
    stream never overlap), so it is closed as failed with that reason first.
    """
    with engine.begin() as conn:
        conn.execute(
            update(EtlRun)
            .where(EtlRun.source == source, EtlRun.stream == stream, EtlRun.status == "running")  # type: ignore[arg-type]
            .values(
                status="failed", finished_at=utcnow(), error="interrupted: the process ended before the run finished"
            )
        )
        run = EtlRun(
            source=source,
            stream=stream,
            flow_run_id=flow_run_id,
            status="running",
            checkpoint_before=checkpoint_before,
            checkpoint_after=checkpoint_before,
        )
        values = run.model_dump(exclude={"id"})
        return int(conn.execute(EtlRun.__table__.insert().values(**values)).inserted_primary_key[0])  # type: ignore[attr-defined,index]


def add_counts(
    conn: Connection, run_id: int, counts: dict[str, int], checkpoint_after: dict[str, Any] | None = None
) -> None:
    """Add a batch's counts to the run, inside the caller's transaction."""
    table = EtlRun.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = {name: table.c[name] + counts.get(name, 0) for name in RUN_COUNTERS if counts.get(name)}
    if checkpoint_after is not None:
        values["checkpoint_after"] = checkpoint_after
    if values:
        conn.execute(table.update().where(table.c.id == run_id).values(**values))


def finish_run(
    engine: Engine, run_id: int, status: str, error: str | None = None, counts: dict[str, int] | None = None
) -> EtlRun:
    """Close the run as ``succeeded`` or ``failed`` (with its error) and return the final row."""
    table = EtlRun.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        if counts:
            add_counts(conn, run_id, counts)
        conn.execute(
            table.update().where(table.c.id == run_id).values(status=status, error=error, finished_at=utcnow())
        )
        row = conn.execute(table.select().where(table.c.id == run_id)).mappings().one()
    return EtlRun.model_validate(dict(row))


def bump_data_version(conn: Connection) -> None:
    """Advance the served-data version inside the caller's transaction (API caches key on it)."""
    table = DataVersion.__table__  # type: ignore[attr-defined]
    updated = conn.execute(
        table.update().where(table.c.id == 1).values(version=table.c.version + 1, updated_at=utcnow())
    ).rowcount
    if not updated:
        conn.execute(table.insert().values(id=1, version=1, updated_at=utcnow()))
