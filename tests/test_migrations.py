"""Alembic owns the schema: the migrations build exactly what the models describe, on both backends."""

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, insert, select, text
from sqlmodel import SQLModel

from models.market import Price
from models.migrate import alembic_config, current_revision, downgrade, upgrade

PRICES: Table = Price.__table__  # type: ignore[attr-defined]


def test_migrated_schema_matches_the_models(engine: Engine, database_url: str) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert current_revision(database_url) == head


def test_upgrade_creates_a_new_sqlite_file_and_its_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "nested" / "folder" / "coinflow.db"
    upgrade(f"sqlite:///{target}")
    assert target.exists()
    assert current_revision(f"sqlite:///{target}") is not None


def test_prices_keep_every_value_through_the_without_rowid_rebuild(engine: Engine, database_url: str) -> None:
    """Migration 0008 (SQLite: ``prices`` WITHOUT ROWID) and its downgrade copy every price unchanged."""
    rows = [
        {"coin_id": 2, "source": "csv", "observed_at": datetime(2024, 1, 1, tzinfo=UTC), "price_usd": 84085.0},
        {
            "coin_id": 1,
            "source": "coingecko",
            "observed_at": datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
            "price_usd": 0.999698,
            "market_cap_usd": 1.677239926634e12,
            "volume_24h_usd": None,
            "change_24h_pct": -0.5,
            "rank": 3,
            "raw_record_id": 7,
            "run_id": 9,
        },
        {"coin_id": 1, "source": "coingecko", "observed_at": datetime(2023, 12, 31, 23, tzinfo=UTC), "price_usd": 1e-9},
    ]
    downgrade(database_url, "0007_raw_csv_chunks")
    with engine.begin() as conn:
        conn.execute(insert(PRICES), [dict.fromkeys(c.name for c in PRICES.columns) | row for row in rows])
    expected = _stored_prices(engine)
    rowid = False if engine.dialect.name == "sqlite" else None  # PostgreSQL: no such thing
    assert len(expected) == 3 and _sqlite_without_rowid(engine) is rowid

    upgrade(database_url)
    assert _stored_prices(engine) == expected
    assert _sqlite_without_rowid(engine) is (None if rowid is None else True)
    downgrade(database_url, "0007_raw_csv_chunks")
    assert _stored_prices(engine) == expected and _sqlite_without_rowid(engine) is rowid
    upgrade(database_url)


def _stored_prices(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(PRICES).order_by(*PRICES.primary_key.columns))]


def _sqlite_without_rowid(engine: Engine) -> bool | None:
    """Whether SQLite stores ``prices`` WITHOUT ROWID (None on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'prices'")).scalar_one()
    return "WITHOUT ROWID" in schema
