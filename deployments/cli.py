"""The ``coinflow`` command line: ingest data, manage the database."""

from pathlib import Path
from typing import Annotated

import typer

from deployments.cli_checks import err, settings_or_exit
from deployments.cli_coins import coins_app
from deployments.cli_db import db_app
from deployments.cli_deployments import deployments_app
from deployments.cli_ingest import ingest
from deployments.cli_up import up
from deployments.prefect_setup import configure_prefect

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")
app.add_typer(coins_app, name="coins")
app.add_typer(deployments_app, name="deployments")
app.command()(up)
sources_app = typer.Typer(
    help="The local source server (recorded CoinGecko/CoinPaprika responses).", no_args_is_help=True
)
app.add_typer(sources_app, name="sources")

app.command("ingest")(ingest)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"coinflow {version('coinflow')}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print coinflow's version and exit.", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    """coinflow: crypto market-data pipeline and query service.

    Every command checks the COINFLOW_* settings first (one line per bad variable, exit 2), and
    runs Prefect with telemetry off.
    """
    del version  # handled by its eager callback
    configure_prefect(settings_or_exit())


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
    keep_alive_s: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="COINFLOW_API_KEEP_ALIVE_S",
            help="Seconds an idle keep-alive connection stays open. Keep it above every client's and proxy's "
            "idle timeout (nginx upstream keepalive_timeout 60 s): the client must be the side that closes, or a "
            "request sent as the server closes is reset.",
        ),
    ] = 75,
) -> None:
    """Serve the GraphQL and REST query service with uvicorn (read-only over COINFLOW_DATABASE_URL,
    or COINFLOW_API_DATABASE_URL when set)."""
    import uvicorn

    from graphql_api.metrics import prepare_multiprocess_metrics

    prepare_multiprocess_metrics(workers)
    uvicorn.run(
        "graphql_api.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        workers=workers,
        timeout_keep_alive=keep_alive_s,
    )


if __name__ == "__main__":
    app()
