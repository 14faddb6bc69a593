"""raw CSV chunks: a raw record may hold received bytes (a CSV chunk, compressed) beside its payload

A CSV run lands each chunk of the file as one raw record: the chunk's bytes zlib-compressed in the
new ``content`` column, and in ``payload`` the file fingerprint, byte range, row range, header and
delimiter (issue 18). API records keep ``content`` NULL. Existing rows are untouched.

Revision ID: 0007_raw_csv_chunks
Revises: 0006_quarantine_key
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_raw_csv_chunks"
down_revision: str | None = "0006_quarantine_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("raw_records") as batch:
        batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_records") as batch:
        batch.drop_column("content")
