"""Alembic environment: the schema is SQLModel.metadata; the URL comes from the caller or settings."""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import models
from models.db import make_engine
from models.settings import get_settings

config = context.config
if config.config_file_name is not None:  # the Alembic CLI (alembic.ini): its log lines say what ran
    fileConfig(config.config_file_name, disable_existing_loggers=False)
models.register_tables()  # the whole schema on SQLModel.metadata (autogenerate compares against it)
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of connecting."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations over a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Dispose the engine we made: a pooled SQLite connection would keep the migration in the WAL
    # file, and a copy of the database file taken right after would miss it.
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
