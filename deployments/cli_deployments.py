"""``coinflow deployments``: the deployments of deployments/definitions.py, and prefect.yaml from them."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

deployments_app = typer.Typer(help="The scheduled deployments (one per source stream).", no_args_is_help=True)
err = Console(stderr=True)


@deployments_app.command("list")
def list_deployments() -> None:
    """Print every deployment: name, schedule interval, parameters, tags."""
    from deployments.definitions import stream_deployments
    from models.settings import get_settings

    table = Table(title="coinflow deployments")
    for column in ("deployment", "every (s)", "parameters", "tags"):
        table.add_column(column)
    for d in stream_deployments(get_settings()):
        table.add_row(d.full_name, str(d.interval_s), str(d.parameters), ", ".join(d.tags))
    Console(width=200).print(table)


@deployments_app.command("yaml")
def write_yaml(
    path: Annotated[Path, typer.Option(help="File to write.")] = Path("prefect.yaml"),
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the file differs; write nothing.")] = False,
) -> None:
    """Write prefect.yaml from deployments/definitions.py and the COINFLOW_SCHEDULE_*_S settings."""
    from deployments.prefect_yaml import render
    from models.settings import get_settings

    text = render(get_settings())
    if check:
        if not path.is_file() or path.read_text() != text:
            err.print(f"{path} is stale: run `coinflow deployments yaml`", markup=False)
            raise typer.Exit(1)
        return
    path.write_text(text)
    err.print(f"wrote {path}", markup=False)
