"""Alembic, driven from code: ``coinflow db ...`` and the tests call these.

The root ``alembic.ini`` points the plain Alembic CLI at the same migrations; both read the
database URL from the caller or, failing that, ``COINFLOW_DATABASE_URL``.
"""

import re
import sys
from argparse import Namespace
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and ``database_url`` (no alembic.ini needed)."""
    config = Config(stdout=sys.stdout)  # the stream of now: Config's default is bound at import
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would eat a '%' in a password.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Revert migrations down to ``revision`` (an id, ``-1`` for one step, or ``base``: no tables)."""
    command.downgrade(alembic_config(database_url), revision)


def print_current(database_url: str) -> None:
    """Print the database's revision (``(head)`` when it is the newest) on stdout."""
    command.current(alembic_config(database_url))


def print_history(database_url: str) -> None:
    """Print every revision, newest first, marking the database's current one, on stdout."""
    command.history(alembic_config(database_url), indicate_current=True)


_REVISION_NUMBER = re.compile(r"^(\d{4})_")


def next_revision_id() -> str:
    """The next four-digit revision id after the highest file in ``migrations/versions`` (``0004``...)."""
    numbers = [
        int(match.group(1))
        for path in (MIGRATIONS_DIR / "versions").glob("*.py")
        if (match := _REVISION_NUMBER.match(path.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def autogenerate_revision(database_url: str, message: str) -> Path | None:
    """Write a migration of the difference between the models and the database (which must be at head).

    Returns the new file, or None when the models and the database agree (nothing is written).
    Raises ``alembic.util.CommandError`` when the database is not at head.
    """

    def skip_empty(_context: Any, _revision: Any, directives: list[MigrationScript]) -> None:
        upgrade_ops = directives[0].upgrade_ops
        if upgrade_ops is None or upgrade_ops.is_empty():
            directives.clear()

    config = alembic_config(database_url)
    config.cmd_opts = Namespace(quiet=True)  # the caller reports the path, not Alembic's "Generating ..." line
    script = command.revision(
        config,
        message=message,
        autogenerate=True,
        rev_id=next_revision_id(),
        process_revision_directives=skip_empty,
    )
    if script is None or isinstance(script, list):
        return None
    return Path(script.path)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from models.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision(database_url: str) -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def is_up_to_date(database_url: str) -> bool:
    """Whether the database schema is at the code's head revision."""
    return current_revision(database_url) == head_revision(database_url)
