"""Readers never see a half-loaded batch: while an ingest writes, a reader checks every batch is all-or-nothing.

The load step (``models.load.load_batch``) commits a batch's prices and its run's counters in one
transaction: the prices carry ``run_id``, and ``etl_runs.inserted``/``updated`` grow by the batch's
figures. So in any one snapshot, for every run, the prices carrying its id number exactly
``inserted + updated`` (when no later run rewrote them and no run wrote one key twice — the load
part has one run of a file with one row per key, on an empty database). A batch seen half-loaded
— some of its prices without its counts, or its counts without all of its prices — breaks that
equality. The watch also asks that no run's visible price count
ever goes down (a committed batch never disappears).

One SQL statement per look, so PostgreSQL (READ COMMITTED: a snapshot per statement) and SQLite
(WAL: a snapshot per read transaction) each give one consistent snapshot.
"""

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text

_LOOK = text(
    "SELECT r.id, r.inserted + r.updated AS counted, "
    "(SELECT count(*) FROM prices p WHERE p.run_id = r.id) AS visible FROM etl_runs r ORDER BY r.id"
)


@dataclass
class TornBatchWatch:
    """What the reader saw: looks taken, the largest count of prices seen, and every broken invariant."""

    looks: int = 0
    most_prices_seen: int = 0
    problems: list[str] = field(default_factory=list)
    _last: dict[int, int] = field(default_factory=dict)

    def look(self, conn: Connection) -> None:
        """One snapshot: per run, visible prices == counted prices, and never fewer than last time."""
        self.looks += 1
        seen = 0
        for run_id, counted, visible in conn.execute(_LOOK).all():
            seen += visible
            if visible != counted:
                self.problems.append(f"run {run_id}: {visible} prices visible, its counts say {counted}")
            if visible < self._last.get(run_id, 0):
                self.problems.append(f"run {run_id}: {visible} prices visible after {self._last[run_id]}")
            self._last[run_id] = visible
        self.most_prices_seen = max(self.most_prices_seen, seen)

    def phrase(self) -> str:
        """``412 snapshots, up to 9,000 prices, 0 half-loaded batches``."""
        text = (
            f"{self.looks} snapshots up to {self.most_prices_seen:,} prices, {len(self.problems)} half-loaded batches"
        )
        return text + (f" ({'; '.join(self.problems[:2])})" if self.problems else "")


class TornBatchReader:
    """Looks every ``every_s`` seconds in a background thread, from :meth:`start` until :meth:`stop`."""

    def __init__(self, engine: Engine, every_s: float = 0.02) -> None:
        self.watch = TornBatchWatch()
        self._engine, self._every_s = engine, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        """Begin looking."""
        self._thread.start()

    def stop(self) -> TornBatchWatch:
        """Take one last look after the writer ended, stop, and return what was seen."""
        self._stop.set()
        self._thread.join(timeout=60)
        return self.watch

    def _run(self) -> None:
        try:
            with self._engine.connect() as conn:
                while True:
                    stopping = self._stop.is_set()
                    self.watch.look(conn)
                    conn.rollback()  # end the read transaction: the next look gets a fresh snapshot
                    if stopping:
                        return
                    time.sleep(self._every_s)
        except Exception as error:  # noqa: BLE001 - a reader that stopped looking is a failure of the check itself
            self.watch.problems.append(f"the reader failed: {type(error).__name__}: {error}")
