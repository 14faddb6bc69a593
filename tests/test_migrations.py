"""Alembic owns the schema: the migrations build exactly what the models describe, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

from models.migrate import alembic_config, current_revision


def test_migrated_schema_matches_the_models(engine: Engine, database_url: str) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert current_revision(database_url) == head


def test_upgrade_creates_a_new_sqlite_file_and_its_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from models.migrate import upgrade

    target = tmp_path / "nested" / "folder" / "coinflow.db"
    upgrade(f"sqlite:///{target}")
    assert target.exists()
    assert current_revision(f"sqlite:///{target}") is not None
