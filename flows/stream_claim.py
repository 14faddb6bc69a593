"""A run's claim on its streams: the stream locks, or a ``skipped`` run row when another run holds one.

Decision (issue 13, D): a second run of a stream that is running waits at most
``COINFLOW_STREAM_LOCK_WAIT_S`` seconds (default 0) for the lock, then is recorded as ``skipped``
with the reason, e.g. ``csv prices.csv: another run (run 12, pid 4242@host) holds the stream``.
Nothing of it is written but that closed row: the holder's row, checkpoint and data are untouched.
Skipped is not a failure of the data: its Prefect flow run is ``Completed`` (named ``Skipped``), and
``coinflow ingest`` exits 75 (EX_TEMPFAIL, "try again later") when a run was skipped and none failed.
"""

from sqlalchemy import Engine

from flows.run_summary import RunSummary, summarize
from models.run_log import record_skipped_run
from models.stream_lock import StreamBusyError, StreamLocks, acquire_streams


def claim_streams(
    engine: Engine, source: str, streams: list[str], flow_run_id: str | None, wait_s: float
) -> StreamLocks | RunSummary:
    """Lock ``source``'s ``streams`` for a run (before it reads a checkpoint or writes its row).

    Returns:
        The held locks (pass them to ``models.run_log.start_run``), or the summary of the
        ``skipped`` run recorded instead, its ``stream`` the comma-joined ``streams``.
    """
    try:
        return acquire_streams(engine, source, streams, wait_s)
    except StreamBusyError as busy:
        return summarize(record_skipped_run(engine, source, ",".join(streams), flow_run_id, str(busy)))
