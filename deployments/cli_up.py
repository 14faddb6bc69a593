"""``coinflow up``: the local stack (Prefect server, replay sources, API, every deployment served)."""

from typing import Annotated

import typer
from rich.console import Console


def up(
    offline: Annotated[
        bool, typer.Option("--offline", help="Replay recorded CoinGecko/CoinPaprika responses (no network).")
    ] = False,
    api_port: Annotated[int, typer.Option(help="Port of the query API (GraphQL, REST).")] = 8000,
    prefect_port: Annotated[int, typer.Option(help="Port of the local Prefect server and UI.")] = 4200,
) -> None:
    """Start the local stack and run a first ingest of every source; runs until Ctrl-C.

    Starts a Prefect server (its home under COINFLOW_UP_DIR/prefect), the replay source server with
    --offline, the query API, and serves every deployment on its schedule; logs go to
    COINFLOW_UP_DIR/logs. COINFLOW_DATABASE_URL switches to PostgreSQL; without --offline the real APIs
    are called. Exit code 0 after Ctrl-C/SIGTERM, 1 if a part failed (named, with its log).
    """
    from deployments.up import Ports, free_port, run
    from models.settings import get_settings

    console = Console(stderr=True, soft_wrap=True)  # a path or URL stays on one line when piped
    ports = Ports(api=api_port, prefect=prefect_port, sources=free_port())
    code = run(get_settings(), ports, offline, lambda line: console.print(line, markup=False, highlight=False))
    raise typer.Exit(code)
