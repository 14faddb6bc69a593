"""``coinflow db``: the schema of COINFLOW_DATABASE_URL, through Alembic (models/migrations)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

db_app = typer.Typer(help="Database schema commands (Alembic migrations).", no_args_is_help=True)
err = Console(stderr=True)


@contextmanager
def _plain_errors() -> Iterator[None]:
    """Alembic's and the driver's refusals as one line on stderr and exit 2, not a traceback."""
    from alembic.util import CommandError  # here, not at the top: every CLI start would pay for Alembic
    from sqlalchemy.exc import OperationalError

    try:
        yield
    except CommandError as error:
        hint = " (run `coinflow db upgrade` first)" if "not up to date" in str(error) else ""
        err.print(f"error: {error}{hint}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "connection failed"
        err.print(f"error: cannot reach the database (COINFLOW_DATABASE_URL): {reason}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _database_url() -> str:
    from models.settings import get_settings

    return get_settings().database_url


def _report_revision() -> None:
    from models.migrate import current_revision

    err.print(f"database at {current_revision(_database_url()) or 'base (no tables)'}", markup=False)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the Alembic migrations to COINFLOW_DATABASE_URL (creates a SQLite file on first use)."""
    from models.migrate import upgrade

    with _plain_errors():
        upgrade(_database_url(), revision)
        _report_revision()


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at ("(head)" when it is the newest); nothing before the first."""
    from models.migrate import print_current

    with _plain_errors():
        print_current(_database_url())


@db_app.command("history")
def db_history() -> None:
    """List every migration, newest first; the database's current one is marked "(current)"."""
    from models.migrate import print_history

    with _plain_errors():
        print_history(_database_url())


@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})  # "-1" is a revision
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target: a revision id, -1 for one step back, or base.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Revert migrations down to REVISION. Dropped tables and columns lose their data."""
    from models.migrate import downgrade

    if not yes:
        typer.confirm(f"Downgrade the database to {revision}? Dropped tables and columns lose their data", abort=True)
    with _plain_errors():
        downgrade(_database_url(), revision)
        _report_revision()


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration changes, e.g. 'add fee'.")],
) -> None:
    """Write a migration of what the models changed against the database (autogenerate; run from a checkout).

    The database must be at head (``coinflow db upgrade`` first). The file lands in
    models/migrations/versions/ with the next four-digit id; read and edit it before committing.
    """
    from models.migrate import autogenerate_revision

    with _plain_errors():
        path = autogenerate_revision(_database_url(), message)
    if path is None:
        err.print("no difference between the models and the database: no migration written")
        raise typer.Exit(1)
    typer.echo(str(path))
