"""The life of one API source run: an ``etl_runs`` row opened, the streams run, the row closed.

Any failure (after the fetch task's retries) closes the run as failed with its error; the flow
carries on with the other sources and names the failed ones in its final state.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prefect import get_run_logger
from sqlalchemy import Engine

from flows.failure_injection import after_commit
from flows.identity_market import rematch_by_market
from flows.run_summary import RunSummary, summarize
from flows.stream_claim import claim_streams
from models.checkpoints import read_checkpoint
from models.run_log import finish_run, start_run
from models.settings import Settings, get_settings


class CommitCounter:
    """Records committed so far in a run; drives ``COINFLOW_FAIL_AFTER_N_RECORDS`` and the pause."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.committed = 0

    def add(self, records: int) -> None:
        """Count a committed batch, then apply failure injection and pacing."""
        self.committed += records
        after_commit(self.settings, self.committed)


def run_source(
    engine: Engine, source: str, streams: tuple[str, ...], flow_run_id: str | None, body: Callable[[int], None]
) -> RunSummary:
    """Open a run of ``source``'s ``streams``, call ``body(run_id)``, close the run as succeeded or failed.

    The run row's ``stream`` names the streams that ran, comma-separated (e.g. ``markets``). The
    streams are locked first (``flows.stream_claim``): when another run holds one, nothing runs and
    the summary is of a ``skipped`` row.
    """
    claim = claim_streams(engine, source, list(streams), flow_run_id, get_settings().stream_lock_wait_s)
    if isinstance(claim, RunSummary):  # another run holds one of the streams: recorded as skipped
        return claim
    before = {stream: read_checkpoint(engine, source, stream) for stream in streams}
    run_id = start_run(engine, source, ",".join(streams), flow_run_id, before, claim)
    try:
        body(run_id)
        rematch_by_market(engine, source)  # identity's second pass, now that this run's prices are in
    except Exception as error:  # noqa: BLE001 - recorded on the run; the flow fails at its end
        get_run_logger().exception("%s run %d failed", source, run_id)
        return summarize(finish_run(engine, run_id, "failed", f"{type(error).__name__}: {error}"))
    return summarize(finish_run(engine, run_id, "succeeded"))


def select_streams(source: str, available: tuple[str, ...], chosen: list[str] | None) -> tuple[str, ...]:
    """The streams of ``source`` to run, in the source's order; ``None`` means all of them.

    Raises:
        ValueError: a name that is not one of ``available`` (the message lists the valid ones).
    """
    if chosen is None:
        return available
    unknown = [name for name in chosen if name not in available]
    if unknown or not chosen:
        raise ValueError(f"unknown {source} stream(s) {unknown}; expected some of {', '.join(available)}")
    return tuple(name for name in available if name in chosen)


def history_bounds(settings: Settings, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(first day asked on a coin's first run, last instant asked) from the settings."""
    now = now or datetime.now(UTC)
    end = _day(settings.history_end) + timedelta(days=1, seconds=-1) if settings.history_end else now
    start = _day(settings.history_start) if settings.history_start else end - timedelta(days=settings.history_days)
    return start, end


def is_fresh(state: dict[str, object] | None, hours: float, now: datetime | None = None) -> bool:
    """Whether a snapshot checkpoint (``fetched_at``) is younger than ``hours``."""
    if not state or not isinstance(state.get("fetched_at"), str) or hours <= 0:
        return False
    fetched = datetime.fromisoformat(str(state["fetched_at"]))
    return (now or datetime.now(UTC)) - fetched < timedelta(hours=hours)


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
