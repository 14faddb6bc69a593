"""SQLite: ``prices`` becomes a WITHOUT ROWID table, stored once in its primary-key order

A rowid table keeps every price twice on SQLite: the row under a hidden rowid, and its key
(coin_id, source, observed_at) again in the primary key's index. A WITHOUT ROWID table is that
index, clustered: the key is stored once and a coin's series is contiguous
(https://sqlite.org/withoutrowid.html, which recommends it for non-integer or composite keys with
rows well under 1/20 of a page). Measured with bench/api/load_fixture.py's 1,000,000 prices: the
file 132.4 MB -> 89.8 MB (prices 81.1 MB + its key index 51.0 MB -> 89.5 MB), load time the same
(21.1 s, 21.7 s). PostgreSQL is unchanged (a heap and a B-tree either way). The table is rebuilt
and its rows copied in key order.

Revision ID: 0008_sqlite_prices_without_rowid
Revises: 0007_raw_csv_chunks
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_sqlite_prices_without_rowid"
down_revision: str | None = "0007_raw_csv_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "coin_id, source, observed_at, price_usd, market_cap_usd, volume_24h_usd, change_24h_pct, rank, raw_record_id, run_id"
)


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table(
        "prices_rebuilt",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_usd", sa.Float(), nullable=False),
        sa.Column("market_cap_usd", sa.Float(), nullable=True),
        sa.Column("volume_24h_usd", sa.Float(), nullable=True),
        sa.Column("change_24h_pct", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("raw_record_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("coin_id", "source", "observed_at"),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(
        f"INSERT INTO prices_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM prices ORDER BY coin_id, source, observed_at"
    )
    op.drop_table("prices")
    op.rename_table("prices_rebuilt", "prices")
