"""A run's lease: held by the process that runs it, released when the run is closed or the process dies.

Prefect cannot tell a killed process from a live one (a SIGKILLed flow run stays RUNNING on the
server), so liveness is asked of the database's side instead. On PostgreSQL the lease is a
session-level advisory lock on its own connection (the server drops it with the connection, from
any machine); on SQLite, which only one machine can use, an ``flock`` on a file beside the
database (the kernel drops it with the process). The lease is taken before the ``running`` row
commits, so no other process ever sees a running row of a live run without its lease.
"""

import fcntl
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.pool import NullPool

# First key of the two-int advisory lock: "coin" in ASCII, so coinflow's locks never collide with others'.
_LOCK_CLASS = 0x636F696E
_held: dict[tuple[str, int], Any] = {}


def acquire_lease(engine: Engine, run_id: int) -> None:
    """Take the lease of the new run ``run_id`` for this process (until :func:`release_lease` or exit).

    Raises:
        RuntimeError: another process holds it (a run id can only be reissued after its rows were wiped).
    """
    key = (engine.url.render_as_string(hide_password=False), run_id)
    if key in _held:  # the id was reissued (the table was emptied): the old run's lease means nothing
        release_lease(engine, run_id)
    if engine.dialect.name == "postgresql":
        conn = _lock_engine(engine).connect()
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:k, :id)"), {"k": _LOCK_CLASS, "id": run_id})
        held = taken.scalar_one()
        conn.commit()
        if not held:
            conn.close()
            raise RuntimeError(f"the lease of run {run_id} is held by another process")
        _held[key] = conn
    elif (path := _lease_file(engine, run_id)) is not None:
        handle = try_flock(path)
        if handle is None:
            raise RuntimeError(f"the lease of run {run_id} is held by another process")
        _held[key] = handle


def release_lease(engine: Engine, run_id: int) -> None:
    """Give the lease of run ``run_id`` back (no-op when this process does not hold it)."""
    held = _held.pop((engine.url.render_as_string(hide_password=False), run_id), None)
    if isinstance(held, Connection):
        held.close()  # the advisory lock goes with the session
        held.engine.dispose()
    elif held is not None:
        path = _lease_file(engine, run_id)
        if path is not None:
            path.unlink(missing_ok=True)
        _unlock(held)


def release_all_leases(engine: Engine) -> None:
    """Give back every lease this process holds on ``engine``'s database.

    For a process that empties ``etl_runs`` and restarts its ids (a test fixture, a reset): the ids
    will be issued again, to other processes, which must not find them leased by runs that no
    longer exist.
    """
    database = engine.url.render_as_string(hide_password=False)
    for run_id in [run_id for held_database, run_id in _held if held_database == database]:
        release_lease(engine, run_id)


def lease_is_held(engine: Engine, run_id: int) -> bool:
    """Whether some live process (this one included) holds the lease of run ``run_id``."""
    if (engine.url.render_as_string(hide_password=False), run_id) in _held:
        return True
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            free = conn.execute(text("SELECT pg_try_advisory_lock(:k, :id)"), {"k": _LOCK_CLASS, "id": run_id})
            if free.scalar_one():
                conn.execute(text("SELECT pg_advisory_unlock(:k, :id)"), {"k": _LOCK_CLASS, "id": run_id})
                conn.commit()
                return False
            return True
    path = _lease_file(engine, run_id)
    if path is None or not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    path.unlink(missing_ok=True)
    return False


def _lock_engine(engine: Engine) -> Engine:
    """A pool-less engine of the same database: the lease's connection never returns to a pool."""
    from sqlalchemy import create_engine

    return create_engine(engine.url, poolclass=NullPool)


def _lease_file(engine: Engine, run_id: int) -> Path | None:
    """``<database file>.runs/<run id>.lease``; None for an in-memory database (one process only)."""
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.runs") / f"{run_id}.lease"


def try_flock(path: Path) -> IO[str] | None:
    """An exclusive ``flock`` on ``path`` (created with its folder), or None when another holder has it.

    The lock belongs to the open file: another open of the same file, even in this process, is refused.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _unlock(handle: IO[str]) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
