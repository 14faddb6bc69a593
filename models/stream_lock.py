"""One run per stream at a time, across processes and machines.

A run takes the lock of each stream it will write before its ``etl_runs`` row exists, and gives it
back when the row is closed (or when its process dies: the database server drops a session's
advisory locks with the session, the kernel drops an ``flock`` with the process). A stream is
``(source, stream)``: an API stream (``coingecko``, ``markets``) or one CSV file (``csv``, its
resolved path, the key of its checkpoint).

- PostgreSQL: a session-level advisory lock, keyed by a 64-bit hash of the stream, on its own
  connection (as ``models.run_lease``). The connection's ``application_name`` says who holds it
  (``coinflow run 12 pid 4242@host``), so a refused run can name the holder.
- SQLite (one machine): an ``flock`` on ``<database>.streams/<hash>.lock``; the file holds the same
  description of the holder.

Taking the lock never blocks the database: it is tried, and retried every
``_POLL_S`` seconds until ``wait_s`` has passed; then :class:`StreamBusyError` says who holds it.
"""

import fcntl
import hashlib
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from models.run_lease import try_flock

_POLL_S = 0.2
_HOLDER_SQL = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.classid::bigint = :hi AND l.objid::bigint = :lo LIMIT 1"
)


class StreamBusyError(RuntimeError):
    """Another live run holds a stream; the message names the stream and, when known, the holder."""


@dataclass
class _Held:
    stream: tuple[str, str]
    key: int
    conn: Connection | None = None
    handle: IO[str] | None = None


@dataclass
class StreamLocks:
    """The stream locks one run holds; :meth:`release` gives them back (idempotent)."""

    engine: Engine
    held: list[_Held] = field(default_factory=list)

    def name_run(self, run_id: int) -> None:
        """Record the run id in the holder's description, for a run refused meanwhile."""
        for lock in self.held:
            _describe(lock, holder(run_id))

    def release(self) -> None:
        """Give every lock back (the process ending does the same)."""
        for lock in reversed(self.held):
            if lock.conn is not None:
                lock.conn.close()
                lock.conn.engine.dispose()
            if lock.handle is not None:
                fcntl.flock(lock.handle, fcntl.LOCK_UN)
                lock.handle.close()
        self.held.clear()


def holder(run_id: int | None = None) -> str:
    """``run 12, pid 4242@host`` (without the run before the run row exists)."""
    who = f"pid {os.getpid()}@{socket.gethostname()}"
    return f"run {run_id}, {who}" if run_id is not None else who


def acquire_streams(engine: Engine, source: str, streams: list[str], wait_s: float) -> StreamLocks:
    """Lock every ``(source, stream)`` of a run, all or none, waiting at most ``wait_s`` seconds.

    Raises:
        StreamBusyError: a stream stayed held by another run for ``wait_s`` seconds (nothing is held).
    """
    deadline = time.monotonic() + wait_s
    while True:
        locks = StreamLocks(engine)
        busy = None
        for stream in sorted(set(streams)):
            lock = _try(engine, source, stream)
            if lock is None:
                busy = stream
                break
            locks.held.append(lock)
        if busy is None:
            return locks
        locks.release()
        if time.monotonic() >= deadline:
            who = _holder_of(engine, _key(source, busy))
            label = Path(busy).name if source == "csv" else busy
            raise StreamBusyError(f"{source} {label}: another run ({who or 'another process'}) holds the stream")
        time.sleep(_POLL_S)


def _key(source: str, stream: str) -> int:
    """A signed 64-bit key of the stream (PostgreSQL's bigint advisory-lock key)."""
    digest = hashlib.sha256(f"coinflow-stream\0{source}\0{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _try(engine: Engine, source: str, stream: str) -> _Held | None:
    lock = _Held((source, stream), _key(source, stream))
    if engine.dialect.name == "postgresql":
        conn = create_engine(engine.url, poolclass=NullPool).connect()
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock.key}).scalar_one():
            conn.close()
            conn.engine.dispose()
            return None
        lock.conn = conn
    elif (path := _lock_file(engine, lock.key)) is not None:
        if (handle := try_flock(path)) is None:
            return None
        lock.handle = handle
    _describe(lock, holder())
    return lock


def _describe(lock: _Held, who: str) -> None:
    """Say who holds ``lock``: the connection's application_name, or the lock file's text."""
    if lock.conn is not None:
        lock.conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": f"coinflow {who}"[:63]})
        lock.conn.commit()  # the advisory lock is session-level: a commit keeps it
    if lock.handle is not None:
        lock.handle.seek(0)
        lock.handle.truncate()
        lock.handle.write(who)
        lock.handle.flush()


def _holder_of(engine: Engine, key: int) -> str | None:
    """The description the holder of ``key`` left, if it can still be read."""
    if engine.dialect.name == "postgresql":
        unsigned = key & 0xFFFFFFFFFFFFFFFF
        with engine.connect() as conn:
            name = conn.execute(_HOLDER_SQL, {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}).scalar()
        return name.removeprefix("coinflow ") if name and name.startswith("coinflow ") else None
    path = _lock_file(engine, key)
    try:
        return (path.read_text().strip() or None) if path is not None else None
    except OSError:
        return None


def _lock_file(engine: Engine, key: int) -> Path | None:
    """``<database file>.streams/<key>.lock``; None for an in-memory database (one process only)."""
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.streams") / f"{key & 0xFFFFFFFFFFFFFFFF:016x}.lock"
