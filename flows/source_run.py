"""One source run as its own Prefect flow run (a subflow of ``ingest``).

Named ``source · target · time`` (``coingecko · coins_list, markets, market_chart · 2026-11-30 15:40Z``,
``csv · sample_prices.csv · ...``), tagged ``coinflow`` and ``source:<name>``, it publishes its counts
and issues as artifacts (``flows.artifacts``). A failing source fails only its own flow run: the
state is Failed with the run's summary inside a :class:`SourceRunFailedError`, which Prefect can
resolve (a bare summary as a Failed state's data makes Prefect log ``TypeError: Unexpected result
for failed state``).
"""

from datetime import UTC, datetime
from pathlib import Path

from prefect import State, flow, get_run_logger, tags
from prefect.exceptions import MissingResult
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from flows.artifacts import publish_run_artifacts
from flows.coingecko_ingest import STREAMS as COINGECKO_STREAMS
from flows.coingecko_ingest import ingest_coingecko
from flows.coinpaprika_ingest import ingest_coinpaprika
from flows.coinpaprika_ingest import stream_names as coinpaprika_streams
from flows.csv_ingest import CsvOptions, ingest_csv
from flows.run_summary import RunSummary, summarize
from models.db import make_engine
from models.run_log import closed_run_of_flow_run
from models.settings import Settings, get_settings


class SourceRunFailedError(Exception):
    """A source run that ended ``failed``; ``summary`` is its outcome (counts and error)."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(f"{summary.source} run {summary.run_id} failed: {summary.error}")
        self.summary = summary


def api_target(source: str, settings: Settings, streams: list[str] | None) -> str:
    """The streams an API source run covers, as its run name shows them."""
    if streams:
        return ", ".join(streams)
    return ", ".join(COINGECKO_STREAMS if source == "coingecko" else coinpaprika_streams(settings))


def run_name(source: str, target: str, when: datetime | None = None) -> str:
    """``source · target · 2026-11-30 15:40Z`` (UTC)."""
    return f"{source} · {target} · {(when or datetime.now(UTC)):%Y-%m-%d %H:%MZ}"


@flow(name="ingest-source", log_prints=True)
def ingest_source(
    source: str,
    target: str,
    file: str | None = None,
    csv_format: str | None = None,
    csv_mapping: str | None = None,
    coin: str | None = None,
    csv_decimal: str | None = None,
    streams: list[str] | None = None,
) -> RunSummary | State:
    """Run one source once (one CSV file, or one API source's streams) and publish its artifacts.

    Args:
        source: ``csv``, ``coingecko`` or ``coinpaprika``.
        target: what the run covers, for its name and artifact keys (file name or stream list).
        file: the CSV file (``csv`` only).
        csv_format: CSV layout name instead of detecting it.
        csv_mapping: TOML file mapping the CSV's columns.
        coin: ``SYMBOL`` or ``SYMBOL:Name`` for CSV files without a symbol column.
        csv_decimal: the CSV numbers' decimal mark, ``"."`` or ``","``, when the values do not settle it.
        streams: the API streams to run (None: every stream of the source).

    Returns:
        The run's summary; a Failed state (holding a :class:`SourceRunFailedError`) when it failed;
        a Completed state named ``Skipped`` holding the summary when another run held the stream
        (``flows.stream_claim``).
    """
    settings = get_settings()
    engine = make_engine(settings.database_url)
    run_id = str(flow_run.id)
    try:
        if source == "csv":
            options = CsvOptions(csv_format, Path(csv_mapping) if csv_mapping else None, coin, csv_decimal)
            summary = ingest_csv(engine, settings, Path(file or settings.sample_csv), run_id, options)
        elif source == "coingecko":
            summary = ingest_coingecko(engine, settings, run_id, streams=streams)
        else:
            summary = ingest_coinpaprika(engine, settings, run_id, streams=streams)
        publish_run_artifacts(engine, summary, target)
    finally:
        engine.dispose()
    get_run_logger().info(
        "%s %s: read %d, landed %d, valid %d, rejected %d, inserted %d, updated %d, unchanged %d",
        source, summary.status, summary.read, summary.landed, summary.valid,
        summary.rejected, summary.inserted, summary.updated, summary.unchanged,
    )  # fmt: skip
    if summary.status == "skipped":  # another run holds the stream: not a failure of the data
        get_run_logger().warning("%s run %d skipped: %s", source, summary.run_id, summary.error)
        return Completed(message=f"skipped: {summary.error}", name="Skipped", data=summary)
    if summary.status != "succeeded":
        return Failed(
            message=f"{source} run {summary.run_id} failed: {summary.error}", data=SourceRunFailedError(summary)
        )
    return summary


def run_source(source: str, target: str, **parameters: object) -> RunSummary | BaseException:
    """Run ``ingest_source`` as a named, tagged subflow; its summary, or the error it ended with."""
    with tags("coinflow", f"source:{source}"):
        state = ingest_source.with_options(flow_run_name=run_name(source, target))(
            source,
            target,
            return_state=True,
            **parameters,  # type: ignore[arg-type]
        )
    outcome = run_outcome(state)
    if isinstance(outcome, SourceRunFailedError):
        return outcome.summary
    if isinstance(outcome, RunSummary):
        return outcome
    if isinstance(outcome, BaseException):  # ended before its run row existed: say which run it was
        return RuntimeError(f"{source} {target}: {outcome}")
    return RuntimeError(f"{source}: unexpected run result {outcome!r}")


def run_outcome(state: State) -> object:
    """What a finished ``ingest_source`` run returned, from its state.

    On a busy machine Prefect can hand back its server's copy of the final state, without the value
    (a final-state proposal retried after a timeout is answered REJECT with the state already set):
    ``MissingResult``. The run's own ``etl_runs`` row then says what happened.
    """
    try:
        return state.result(raise_on_failure=False)
    except MissingResult as error:
        flow_run_id = state.state_details.flow_run_id
        engine = make_engine(get_settings().database_url)
        try:
            row = closed_run_of_flow_run(engine, str(flow_run_id)) if flow_run_id else None
        finally:
            engine.dispose()
        if row is None:
            return RuntimeError(f"Prefect lost the result of flow run {flow_run_id} and it wrote no run row: {error}")
        return summarize(row)
