"""``coinflow ingest``: check the inputs, start Prefect, run the ``ingest`` flow, print what each run did."""

import json
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from deployments.cli_checks import check_csv_inputs, database_or_exit, err, fail, settings_or_exit
from models.settings import Settings

if TYPE_CHECKING:
    from flows.run_summary import RunSummary

COUNT_COLUMNS = ("read", "landed", "valid", "rejected", "inserted", "updated", "unchanged")
EXIT_SKIPPED = 75  # EX_TEMPFAIL (sysexits.h): a run was skipped, another held its stream; try again later
_API_SOURCES = ("coingecko", "coinpaprika")
_UNREACHABLE = ("connection failed", "timed out")
_PIPED_WIDTH = 1_000  # wide enough for any number of runs; a table is only as wide as its columns


class Source(StrEnum):
    """Sources that ``coinflow ingest`` can run."""

    csv = "csv"
    coingecko = "coingecko"
    coinpaprika = "coinpaprika"
    all = "all"


class DecimalMark(StrEnum):
    """A CSV file's decimal mark."""

    point = "."
    comma = ","


def ingest(
    source: Annotated[Source, typer.Option(help="Which source to ingest.")] = Source.csv,
    file: Annotated[
        Path | None,
        typer.Option(
            help="CSV file, or a folder (each *.csv its own run and checkpoint); default: the bundled sample."
        ),
    ] = None,
    csv_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="CSV layout instead of detecting it: coinflow, coingecko, exchange, ohlc (Kaggle/CoinMarketCap/"
            "Yahoo) or generic.",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help='TOML file mapping CSV columns: [columns] timestamp = "Date", price_usd = "Close" (optional '
            "symbol, name, market_cap_usd, volume_24h_usd); [values] decimal, day_first, date_format."
        ),
    ] = None,
    coin: Annotated[
        str | None,
        typer.Option(help="SYMBOL or SYMBOL:Name of the coin, for CSV files without a symbol column."),
    ] = None,
    decimal: Annotated[
        DecimalMark | None,
        typer.Option(help="The CSV numbers' decimal mark, when their values do not settle it (1,234)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout instead of a table.")
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Replay recorded CoinGecko/CoinPaprika responses from a local source server started for "
            "this run (no network needed).",
        ),
    ] = False,
) -> None:
    """Run the ingest flow for SOURCE and print what each run loaded.

    'all' runs the CSV file(s), CoinGecko and CoinPaprika, each in its own Prefect flow run: one
    failing does not stop the others. The API base URLs come from COINFLOW_COINGECKO_BASE_URL /
    COINFLOW_COINPAPRIKA_BASE_URL; --offline points them at a replay server for this run (as
    'coinflow sources serve' does for a longer-lived one). Inputs and settings are checked before
    Prefect starts; without PREFECT_API_URL, Prefect's temporary server gets
    COINFLOW_PREFECT_STARTUP_TIMEOUT_S seconds to start.

    Exit codes: 0 all runs succeeded, 1 a run failed (or Prefect could not start), 2 bad input
    (missing or non-CSV file, unknown layout, undeterminable coin or day/month order, a file
    refused whole, a bad COINFLOW_* setting, an unreachable database), 75 nothing failed but a run
    was skipped because another run held its stream (try again later; COINFLOW_STREAM_LOCK_WAIT_S).
    """
    settings = settings_or_exit()
    database_or_exit(settings)
    if source in (Source.csv, Source.all) and (problem := check_csv_inputs(file, csv_format, mapping, coin)):
        _refuse(settings, file, problem, as_json)
    csv_decimal = decimal.value if decimal else None
    summaries, errors = _run_flow(settings, source, file, csv_format, mapping, coin, csv_decimal, offline)
    if as_json:
        sys.stdout.write(json.dumps({"runs": [s.as_json() for s in summaries], "errors": errors}) + "\n")
    else:
        _print_table(summaries)
    failed = [s for s in summaries if s.status not in ("succeeded", "skipped")]
    skipped = [s for s in summaries if s.status == "skipped"]
    for summary in failed:
        err.print(f"error: {summary.source}: {summary.error}{_hint(settings, summary, offline)}", markup=False)
    for summary in skipped:  # another run held the stream: nothing written (flows/stream_claim.py)
        err.print(f"skipped: run {summary.run_id}: {summary.error}", markup=False)
    for error in errors:  # a source run that ended before its run row existed: no column in the table
        err.print(f"error: {error}", markup=False)
    if errors:
        raise typer.Exit(1)
    if failed:
        raise typer.Exit(2 if all(s.input_error for s in failed) else 1)
    if skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _run_flow(
    settings: Settings,
    source: Source,
    file: Path | None,
    csv_format: str | None,
    mapping: Path | None,
    coin: str | None,
    csv_decimal: str | None,
    offline: bool,
) -> tuple[list["RunSummary"], list[str]]:
    """Start Prefect (quietly), run the flow; return every run's summary and the errors of runs without one."""
    from deployments.prefect_setup import PrefectUnavailableError, quiet_console, start_prefect_api
    from deployments.source_server.offline import offline_sources

    try:
        start_prefect_api(settings)
    except PrefectUnavailableError as error:
        fail(str(error), code=1)
    from prefect import tags

    from flows.ingest import ingest as ingest_flow
    from flows.ingest import run_outcomes

    quiet_console()
    with offline_sources() if offline else nullcontext(), tags("coinflow"):
        state = ingest_flow(
            source=source.value,
            file=str(file) if file else None,
            csv_format=csv_format,
            csv_mapping=str(mapping) if mapping else None,
            coin=coin,
            csv_decimal=csv_decimal,
            return_state=True,
        )
    try:
        return run_outcomes(state)
    except Exception as error:  # noqa: BLE001 - the flow itself crashed: one line, not a traceback
        fail(f"ingest flow {state.name}: {error}", code=1)


def _refuse(settings: Settings, file: Path | None, problem: str, as_json: bool) -> None:
    """Record the refused CSV run (a failed row with the reason), print it, exit 2."""
    from flows.run_summary import summarize
    from models.db import make_engine
    from models.run_log import record_failed_run

    engine = make_engine(settings.database_url)
    try:
        stream = str((file or settings.sample_csv).resolve())
        summary = summarize(record_failed_run(engine, "csv", stream, problem), input_error=True)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"runs": [summary.as_json()]}) + "\n")
    fail(problem)


def _hint(settings: Settings, summary: "RunSummary", offline: bool) -> str:
    """For an API source that could not be reached: which host, and that --offline needs no network."""
    if offline or summary.source not in _API_SOURCES or not any(s in (summary.error or "") for s in _UNREACHABLE):
        return ""
    from flows.http_client import make_client

    client = make_client(summary.source, settings)
    host = client.http.base_url.host
    client.close()
    return f" (cannot reach {host}: check the network or the base URL setting, or use --offline to replay)"


def _print_table(summaries: list["RunSummary"]) -> None:
    """One column per run, one row per figure: fits a narrow terminal whatever the number of counters."""
    table = Table(title="coinflow ingest")
    table.add_column("")
    for s in summaries:
        table.add_column(f"{s.source} (run {s.run_id})", justify="right")
    table.add_row("status", *(s.status for s in summaries))
    for name in COUNT_COLUMNS:
        table.add_row(name, *(str(getattr(s, name)) for s in summaries))
    out = Console()
    if not out.is_terminal:  # piped: rich's default of 80 columns would wrap the run columns
        out = Console(width=_PIPED_WIDTH)
    out.print(table)
