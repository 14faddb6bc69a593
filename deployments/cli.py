"""The ``coinflow`` command line: ingest data, manage the database."""

import json
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

from deployments.cli_coins import coins_app

app = typer.Typer(
    help="coinflow: crypto market-data pipeline and query service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(coins_app, name="coins")
sources_app = typer.Typer(
    help="The local source server (recorded CoinGecko/CoinPaprika responses).", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")
err = Console(stderr=True)

if TYPE_CHECKING:
    from flows.run_summary import RunSummary

COUNT_COLUMNS = ("read", "landed", "valid", "rejected", "inserted", "updated", "unchanged")


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


@app.command()
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

    ``all`` runs the CSV file(s), CoinGecko and CoinPaprika, each in its own run: one failing does
    not stop the others. The API base URLs come from COINFLOW_COINGECKO_BASE_URL /
    COINFLOW_COINPAPRIKA_BASE_URL; --offline points them at a replay server for this run (as
    `coinflow sources serve` does for a longer-lived one).

    Exit codes: 0 all runs succeeded, 1 a run failed, 2 bad input (missing or non-CSV file, unknown
    layout, undeterminable coin or day/month order, a file refused whole).
    """
    from deployments.source_server.offline import offline_sources
    from flows.ingest import ingest as ingest_flow
    from models.migrate import upgrade
    from models.settings import get_settings

    upgrade(get_settings().database_url)
    with offline_sources() if offline else nullcontext():
        state = ingest_flow(
            source=source.value,
            file=str(file) if file else None,
            csv_format=csv_format,
            csv_mapping=str(mapping) if mapping else None,
            coin=coin,
            csv_decimal=decimal.value if decimal else None,
            return_state=True,
        )
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        err.print(f"error: ingest flow crashed: {outcome}", markup=False)
        raise typer.Exit(1)
    summaries = cast("list[RunSummary]", outcome)
    if as_json:
        sys.stdout.write(json.dumps({"runs": [s.as_json() for s in summaries]}) + "\n")
    else:
        _print_table(summaries)
    failed = [s for s in summaries if s.status != "succeeded"]
    for summary in failed:
        err.print(f"error: {summary.source}: {summary.error}", markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(2 if all(s.input_error for s in failed) else 1)


def _print_table(summaries: list["RunSummary"]) -> None:
    """One column per run, one row per figure: fits a narrow terminal whatever the number of counters."""
    table = Table(title="coinflow ingest")
    table.add_column("")
    for s in summaries:
        table.add_column(f"{s.source} (run {s.run_id})", justify="right")
    table.add_row("status", *(s.status for s in summaries))
    for name in COUNT_COLUMNS:
        table.add_row(name, *(str(getattr(s, name)) for s in summaries))
    Console().print(table)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the Alembic migrations to COINFLOW_DATABASE_URL (creates a SQLite file on first use)."""
    from models.migrate import upgrade
    from models.settings import get_settings

    upgrade(get_settings().database_url, revision)
    err.print(f"database at {revision}")


@sources_app.command("serve")
def sources_serve(
    port: Annotated[int, typer.Option(help="Port to listen on (loopback).")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    scenario: Annotated[
        str, typer.Option(help="Fault scenario: clean, rate-limited, flaky, slow, broken-payloads, drift, down.")
    ] = "clean",
    data_dir: Annotated[Path | None, typer.Option(help="Replay data folder (default: data/sources).")] = None,
) -> None:
    """Serve CoinGecko under /api/v3 and CoinPaprika under /v1 from recorded responses, with faults.

    Point the pipeline at it with COINFLOW_COINGECKO_BASE_URL=http://HOST:PORT/api/v3 and
    COINFLOW_COINPAPRIKA_BASE_URL=http://HOST:PORT/v1. Faults can also be added at run time with
    POST /_control/faults; GET /_control/requests is the request log.
    """
    from deployments.source_server.runner import DEFAULT_DATA_DIR, serve_forever
    from deployments.source_server.scenarios import SCENARIOS

    if scenario not in SCENARIOS:
        err.print(f"error: unknown scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}", markup=False)
        raise typer.Exit(2)
    err.print(f"CoinGecko: http://{host}:{port}/api/v3  CoinPaprika: http://{host}:{port}/v1  scenario: {scenario}")
    serve_forever(host, port, scenario, data_dir or DEFAULT_DATA_DIR)


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (one core each); /metrics sums them all.")] = 1,
) -> None:
    """Serve the GraphQL and REST query service with uvicorn (read-only over COINFLOW_DATABASE_URL,
    or COINFLOW_API_DATABASE_URL when set)."""
    import uvicorn

    from graphql_api.metrics import prepare_multiprocess_metrics

    prepare_multiprocess_metrics(workers)
    uvicorn.run("graphql_api.app:create_app", factory=True, host=host, port=port, access_log=False, workers=workers)


if __name__ == "__main__":
    app()
