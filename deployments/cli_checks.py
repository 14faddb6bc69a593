"""What the CLI checks before any flow or server starts, each failure one line on stderr and exit 2:
the ``COINFLOW_*`` settings, the database, and the inputs of ``coinflow ingest``.
"""

from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from models.settings import Settings, get_settings

err = Console(stderr=True, soft_wrap=True, highlight=False)
ENV_PREFIX = "COINFLOW_"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with ``code``."""
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """The validated settings, or one line per bad ``COINFLOW_*`` variable (exit 2).

    The variable's value is not echoed: it may be a secret.
    """
    try:
        return get_settings()
    except ValidationError as error:
        for problem in error.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in problem["loc"][:1]).upper()
            reason = str(problem["msg"]).removeprefix("Value error, ")
            err.print(f"error: {name}: {reason}; fix it or unset it to use the default", markup=False)
        raise typer.Exit(2) from None


def database_or_exit(settings: Settings) -> None:
    """Migrate the database to head, or one line naming COINFLOW_DATABASE_URL when it cannot be reached."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from models.migrate import upgrade

    try:
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
    except ArgumentError:
        fail("COINFLOW_DATABASE_URL is not a database URL; set it to sqlite:///PATH or postgresql+psycopg2://...")
    try:
        upgrade(settings.database_url)
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        fail(
            f"cannot use the database at COINFLOW_DATABASE_URL={shown}: {reason}; start it, or point "
            "COINFLOW_DATABASE_URL at a reachable database"
        )


def check_csv_inputs(file: Path | None, csv_format: str | None, mapping: Path | None, coin: str | None) -> str | None:
    """The first problem with the CSV inputs that holds for the whole invocation, or None.

    A single file is opened and its header matched (cheap: the first few KB); a folder's files are
    each checked in their own run, so one bad file does not stop the others.
    """
    if file is not None and not file.exists():  # before pandas loads: a mistyped path answers at once
        return f"file not found: {file}"
    from flows.sources.csv_coin import CoinError, parse_coin_option
    from flows.sources.csv_file import CsvInputError, open_csv
    from flows.sources.csv_formats import LAYOUT_NAMES, LayoutError, resolve_mapping

    if csv_format is not None and csv_format not in LAYOUT_NAMES:
        return f"unknown --format {csv_format!r}; expected one of {', '.join(LAYOUT_NAMES)}"
    if mapping is not None and not mapping.is_file():
        return f"mapping file not found: {mapping}"
    try:
        if coin is not None:
            parse_coin_option(coin)
        if file is not None and not file.is_dir():
            resolve_mapping(open_csv(file).header, csv_format, mapping)
    except (CsvInputError, LayoutError, CoinError) as error:
        return str(error)
    return None
