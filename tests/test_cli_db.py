"""``coinflow db current|history|downgrade|upgrade|revision`` on real databases (both backends)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from deployments.cli import app
from models.db import make_engine
from models.migrate import MIGRATIONS_DIR, current_revision, head_revision, next_revision_id, upgrade
from models.settings import Settings

runner = CliRunner()


def _db(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["db", *args])
    return result.exit_code, result.stdout, result.stderr


def test_current_and_history_name_the_database_revision(settings: Settings) -> None:
    head = head_revision(settings.database_url)

    code, out, _ = _db("current")
    assert code == 0
    assert out.strip() == f"{head} (head)"

    code, out, _ = _db("history")
    assert code == 0
    revisions = sorted(path.name[:4] for path in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert [line.split(" -> ")[1][:4] for line in out.splitlines() if " -> " in line] == revisions[::-1]
    assert "(current)" in out.splitlines()[0]


def test_downgrade_one_step_drops_the_newest_schema_and_upgrade_restores_it(settings: Settings) -> None:
    url = settings.database_url
    head = head_revision(url)
    try:
        code, _, err = _db("downgrade", "-1", "--yes")
        assert code == 0, err
        below = current_revision(url)
        assert below not in (None, head)
        assert f"database at {below}" in err
    finally:
        code, _, err = _db("upgrade")
    assert code == 0, err
    assert current_revision(url) == head


def test_downgrade_asks_first_and_keeps_the_schema_when_refused(settings: Settings) -> None:
    head = head_revision(settings.database_url)
    result = runner.invoke(app, ["db", "downgrade", "base"], input="n\n")
    assert result.exit_code == 1
    assert current_revision(settings.database_url) == head


def test_unknown_revision_is_one_line_and_exit_2(settings: Settings) -> None:
    code, _, err = _db("downgrade", "no-such-revision", "--yes")
    assert code == 2
    assert err.strip() == "error: Can't locate revision identified by 'no-such-revision'"


@pytest.fixture
def sqlite_at_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file of its own (the revision tests change its schema behind Alembic's back)."""
    from models.settings import get_settings

    url = f"sqlite:///{tmp_path / 'coinflow.db'}"
    upgrade(url)
    monkeypatch.setenv("COINFLOW_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_revision_writes_nothing_when_models_and_database_agree(sqlite_at_head: str) -> None:
    before = set((MIGRATIONS_DIR / "versions").iterdir())
    code, _, err = _db("revision", "-m", "nothing changed")
    assert code == 1
    assert "no migration written" in err
    assert set((MIGRATIONS_DIR / "versions").iterdir()) == before


def test_revision_autogenerates_the_missing_schema_with_the_next_id(sqlite_at_head: str) -> None:
    engine = make_engine(sqlite_at_head)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE coin_identity_changes"))
    engine.dispose()
    expected_id = next_revision_id()

    code, out, err = _db("revision", "-m", "restore identity changes")
    written = Path(out.strip())
    try:
        assert code == 0, err
        assert written.parent == MIGRATIONS_DIR / "versions"
        assert written.name == f"{expected_id}_restore_identity_changes.py"
        source = written.read_text()
        assert f"revision: str = '{expected_id}'" in source
        assert "op.create_table('coin_identity_changes'" in source
    finally:
        if written.suffix == ".py":
            written.unlink(missing_ok=True)
    engine = make_engine(sqlite_at_head)
    assert "coin_identity_changes" not in inspect(engine).get_table_names()
    engine.dispose()
