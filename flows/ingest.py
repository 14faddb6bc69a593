"""The ``ingest`` Prefect flow: one subflow run per source (and per CSV file), each recorded in ``etl_runs``."""

from datetime import UTC, datetime
from pathlib import Path

from prefect import State, flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Failed

from flows.run_summary import RunSummary
from flows.source_run import api_target, run_name, run_source
from flows.sources.csv_file import csv_paths
from flows.stale_runs import reconcile_stale_runs
from models.db import make_engine
from models.settings import get_settings

API_SOURCES = ("coingecko", "coinpaprika")
SOURCES = ("csv", *API_SOURCES, "all")
_NOT_FAILED = ("succeeded", "skipped")  # skipped: another run held the stream (flows.stream_claim)


class IngestFailedError(Exception):
    """Some source runs failed; ``summaries`` holds every run's outcome, ``errors`` runs that ended
    without one (an unexpected error in the run itself)."""

    def __init__(self, message: str, summaries: list[RunSummary], errors: list[str]) -> None:
        super().__init__(message)
        self.summaries = summaries
        self.errors = errors


def _flow_run_name() -> str:
    parameters = flow_run.parameters
    source = parameters.get("source", "csv")
    return run_name(f"ingest {source}", run_target(source, parameters), datetime.now(UTC))


def run_target(source: str, parameters: dict) -> str:
    """What a run reads, for its name in the Prefect UI: the CSV file (the bundled sample when none is
    given), the API streams asked for, or ``all streams``."""
    if parameters.get("file"):
        return Path(parameters["file"]).name
    if source == "csv":
        return get_settings().sample_csv.name
    if source == "all":
        return "all sources"
    return ", ".join(parameters["streams"]) if parameters.get("streams") else "all streams"


@flow(name="ingest", flow_run_name=_flow_run_name, log_prints=True)
def ingest(
    source: str = "csv",
    file: str | None = None,
    csv_format: str | None = None,
    csv_mapping: str | None = None,
    coin: str | None = None,
    streams: list[str] | None = None,
    csv_decimal: str | None = None,
) -> list[RunSummary] | State:
    """Ingest new data from ``source`` into the unified model, one subflow run per source run.

    Stale ``running`` rows of dead processes are reconciled first (``flows.stale_runs``).

    Args:
        source: which source to run: ``csv``, ``coingecko``, ``coinpaprika``, or ``all`` (every one
            of them, each in its own run: one failing does not stop the others).
        file: the CSV file, or a folder of them (each ``*.csv`` its own run and checkpoint); defaults to
            the bundled sample (``COINFLOW_SAMPLE_CSV``).
        csv_format: CSV layout name instead of detecting it from the header (see ``csv_formats.LAYOUTS``).
        csv_mapping: a TOML file mapping the CSV's columns (and value conventions) to the unified model.
        coin: ``SYMBOL`` or ``SYMBOL:Name`` for CSV files without a symbol column.
        streams: an API source's streams to run (e.g. ``["markets"]``); ``None`` runs all of them.
        csv_decimal: the CSV numbers' decimal mark, ``"."`` or ``","``, when the values do not settle it.

    Returns:
        One summary per source run; if any run failed, a Failed state naming the failed runs whose
        result is an :class:`IngestFailedError` holding every summary.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        reconcile_stale_runs(engine)
    finally:
        engine.dispose()
    chosen = ("csv", *API_SOURCES) if source == "all" else (source,)
    outcomes: list[RunSummary | BaseException] = []
    for name in chosen:
        if name == "csv":
            for path in csv_paths(Path(file)) if file else [settings.sample_csv]:
                csv_options = {
                    "csv_format": csv_format,
                    "csv_mapping": csv_mapping,
                    "coin": coin,
                    "csv_decimal": csv_decimal,
                }
                outcomes.append(run_source("csv", path.name, file=str(path), **csv_options))
        else:
            outcomes.append(run_source(name, api_target(name, settings, streams), streams=streams))
    return settle(outcomes)


def settle(outcomes: list[RunSummary | BaseException]) -> list[RunSummary] | State:
    """A parent flow's result from its source runs: every summary, or a Failed state naming the
    failed runs whose result is an :class:`IngestFailedError` still holding every summary."""
    summaries = [outcome for outcome in outcomes if isinstance(outcome, RunSummary)]
    errors = [str(outcome) for outcome in outcomes if isinstance(outcome, BaseException)]
    failed = [f"{s.source} run {s.run_id} failed: {s.error}" for s in summaries if s.status not in _NOT_FAILED]
    if failed or errors:
        message = f"{len(failed) + len(errors)} of {len(outcomes)} source runs failed: " + "; ".join(failed + errors)
        get_run_logger().warning(message)
        return Failed(message=message, data=IngestFailedError(message, summaries, errors))
    return summaries


def run_summaries(state: State) -> list[RunSummary]:
    """Every source run's summary from a finished ``ingest`` flow run's state, failed or not.

    Raises:
        the flow's own error when it ended without summaries (it crashed, or a bad parameter).
    """
    return run_outcomes(state)[0]


def run_outcomes(state: State) -> tuple[list[RunSummary], list[str]]:
    """(every source run's summary, the errors of source runs that ended without one) of a finished
    ``ingest`` flow run: a run that failed before its ``etl_runs`` row committed has no summary.

    Raises:
        the flow's own error when it ended without summaries (it crashed, or a bad parameter).
    """
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, IngestFailedError):
        return outcome.summaries, outcome.errors
    if isinstance(outcome, BaseException):
        raise outcome
    return list(outcome), []
