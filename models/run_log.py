"""The life of an ``etl_runs`` row: started, counted batch by batch, finished."""

from typing import Any

from sqlalchemy import Connection, Engine, select

from models.columns import utcnow
from models.redaction import configured_secrets, redact
from models.run_lease import acquire_lease, release_lease
from models.runs import RUN_COUNTERS, DataVersion, EtlRun
from models.settings import get_settings
from models.stream_lock import StreamLocks

_stream_locks: dict[tuple[str, int], StreamLocks] = {}  # a live run's stream locks, given back by finish_run

# Every change to a run row bumps the data version too: the API's response cache keys on it, and
# run history is served data (a run that loads nothing still shows up in `runs`).


def start_run(
    engine: Engine,
    source: str,
    stream: str,
    flow_run_id: str | None,
    checkpoint_before: dict[str, Any] | None,
    stream_locks: StreamLocks | None = None,
) -> int:
    """Insert a ``running`` row, take its lease (``models.run_lease``) and return its id.

    The lease is taken before the row commits and released by :func:`finish_run` (or by the
    process dying), which is how a later run tells a crashed run from a live concurrent one
    (``flows.stale_runs``). ``stream_locks`` (``models.stream_lock``, taken by the caller before
    it read the checkpoint) are named after the run and given back by :func:`finish_run`; if the
    row cannot be written they are given back at once.
    """
    try:
        run_id = _insert_running(engine, source, stream, flow_run_id, checkpoint_before)
    except BaseException:
        if stream_locks is not None:
            stream_locks.release()
        raise
    if stream_locks is not None:
        stream_locks.name_run(run_id)
        _stream_locks[(_database(engine), run_id)] = stream_locks
    return run_id


def _insert_running(
    engine: Engine, source: str, stream: str, flow_run_id: str | None, checkpoint_before: dict[str, Any] | None
) -> int:
    with engine.begin() as conn:
        run = EtlRun(
            source=source,
            stream=stream,
            flow_run_id=flow_run_id,
            status="running",
            checkpoint_before=checkpoint_before,
            checkpoint_after=checkpoint_before,
        )
        values = run.model_dump(exclude={"id"})
        run_id = int(conn.execute(EtlRun.__table__.insert().values(**values)).inserted_primary_key[0])  # type: ignore[attr-defined,index]
        bump_data_version(conn)
        acquire_lease(engine, run_id)
    return run_id


def record_failed_run(engine: Engine, source: str, stream: str, error: str) -> EtlRun:
    """A run refused before it started (bad input): one closed ``failed`` row with the reason."""
    return _record_closed_run(
        engine, EtlRun(source=source, stream=stream, status="failed", error=_safe(error), finished_at=utcnow())
    )


def record_skipped_run(engine: Engine, source: str, stream: str, flow_run_id: str | None, reason: str) -> EtlRun:
    """A run that did not start because another live run holds its stream: one closed ``skipped`` row.

    Written without the stream's lock, it never touches the holder's row, counts or checkpoint.
    """
    skipped = EtlRun(
        source=source,
        stream=stream,
        flow_run_id=flow_run_id,
        status="skipped",
        error=_safe(reason),
        finished_at=utcnow(),
    )
    return _record_closed_run(engine, skipped)


def _record_closed_run(engine: Engine, run: EtlRun) -> EtlRun:
    """Insert an already closed run row; returns it as stored."""
    table = EtlRun.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        run_id = conn.execute(table.insert().values(**run.model_dump(exclude={"id"}))).inserted_primary_key[0]  # type: ignore[index]
        row = conn.execute(table.select().where(table.c.id == run_id)).mappings().one()
        bump_data_version(conn)
    return EtlRun.model_validate(dict(row))


def running_runs(engine: Engine) -> list[tuple[int, str, str, str | None]]:
    """(id, source, stream, flow run id) of every row still marked ``running``, oldest first."""
    table = EtlRun.__table__  # type: ignore[attr-defined]
    query = select(table.c.id, table.c.source, table.c.stream, table.c.flow_run_id).where(table.c.status == "running")
    with engine.connect() as conn:
        return [(int(r.id), r.source, r.stream, r.flow_run_id) for r in conn.execute(query.order_by(table.c.id))]


def close_stale_run(engine: Engine, run_id: int, status: str, reason: str) -> bool:
    """Close a ``running`` row whose process is gone as ``crashed`` or ``failed`` with ``reason``.

    Counts and checkpoints are left as they are. Returns False when the row was no longer running
    (its process finished it meanwhile).
    """
    table = EtlRun.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        closed = conn.execute(
            table.update()
            .where(table.c.id == run_id, table.c.status == "running")
            .values(status=status, error=_safe(reason), finished_at=utcnow())
        ).rowcount
        if closed:
            bump_data_version(conn)
    return bool(closed)


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
    """Close the run as ``succeeded`` or ``failed`` (with its error), release its lease, return the final row."""
    table = EtlRun.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        if counts:
            add_counts(conn, run_id, counts)
        conn.execute(
            table.update()
            .where(table.c.id == run_id)
            .values(status=status, error=None if error is None else _safe(error), finished_at=utcnow())
        )
        bump_data_version(conn)
        row = conn.execute(table.select().where(table.c.id == run_id)).mappings().one()
    release_lease(engine, run_id)
    if (locks := _stream_locks.pop((_database(engine), run_id), None)) is not None:
        locks.release()
    return EtlRun.model_validate(dict(row))


def closed_run_of_flow_run(engine: Engine, flow_run_id: str) -> EtlRun | None:
    """The newest closed ``etl_runs`` row written by Prefect flow run ``flow_run_id``, if any."""
    table = EtlRun.__table__  # type: ignore[attr-defined]
    query = (
        table.select()
        .where(table.c.flow_run_id == flow_run_id, table.c.status != "running")
        .order_by(table.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else EtlRun.model_validate(dict(row))


def bump_data_version(conn: Connection) -> None:
    """Advance the served-data version inside the caller's transaction (API caches key on it)."""
    table = DataVersion.__table__  # type: ignore[attr-defined]
    updated = conn.execute(
        table.update().where(table.c.id == 1).values(version=table.c.version + 1, updated_at=utcnow())
    ).rowcount
    if not updated:
        conn.execute(table.insert().values(id=1, version=1, updated_at=utcnow()))


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _safe(error: str) -> str:
    """A run's error text without any configured secret (an upstream may echo a key back)."""
    return redact(error, configured_secrets(get_settings()))
