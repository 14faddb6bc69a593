"""The ``coinflow`` command line: ingest data, manage the database."""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="coinflow: crypto market-data pipeline and query service.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
err = Console(stderr=True)

if TYPE_CHECKING:
    from flows.run_summary import RunSummary

COUNT_COLUMNS = ("read", "landed", "valid", "rejected", "inserted", "updated", "unchanged")


class Source(StrEnum):
    """Sources that ``coinflow ingest`` can run."""

    csv = "csv"


@app.command()
def ingest(
    source: Annotated[Source, typer.Option(help="Which source to ingest.")] = Source.csv,
    file: Annotated[Path | None, typer.Option(help="CSV file to load (default: the bundled sample).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout instead of a table.")
    ] = False,
) -> None:
    """Run the ingest flow for SOURCE and print what each run loaded.

    Exit codes: 0 all runs succeeded, 1 a run failed, 2 bad input (missing or non-CSV file).
    """
    from flows.ingest import ingest as ingest_flow
    from models.migrate import upgrade
    from models.settings import get_settings

    upgrade(get_settings().database_url)
    state = ingest_flow(source=source.value, file=str(file) if file else None, return_state=True)
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
    table = Table(title="coinflow ingest")
    for column in ("source", "status", *COUNT_COLUMNS, "run"):
        table.add_column(column, justify="right" if column in COUNT_COLUMNS else "left")
    for s in summaries:
        table.add_row(s.source, s.status, *(str(getattr(s, c)) for c in COUNT_COLUMNS), str(s.run_id))
    Console().print(table)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the Alembic migrations to COINFLOW_DATABASE_URL (creates a SQLite file on first use)."""
    from models.migrate import upgrade
    from models.settings import get_settings

    upgrade(get_settings().database_url, revision)
    err.print(f"database at {revision}")


@app.command()
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
) -> None:
    """Serve the GraphQL and REST query service with uvicorn (read-only over COINFLOW_DATABASE_URL,
    or COINFLOW_API_DATABASE_URL when set)."""
    import uvicorn

    uvicorn.run("graphql_api.app:create_app", factory=True, host=host, port=port, access_log=False)


if __name__ == "__main__":
    app()
