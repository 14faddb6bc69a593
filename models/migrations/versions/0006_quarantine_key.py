"""quarantine key: rejected_records unique per (source, stream, natural key, reasons)

Before this revision every run that refused a record quarantined it again (a refused file ingested
three times left three rows per record). This adds ``quarantine_key`` (``models.quarantine``: the
SHA-256 of stream, natural key and reasons), keeps the oldest row of each duplicate set, and makes
(source, quarantine_key) unique. Downgrade drops the key; the deleted duplicates are not restored
(they were copies).

Revision ID: 0006_quarantine_key
Revises: 0005_coin_match_evidence
Create Date: 2026-11-30
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.quarantine import quarantine_key

revision: str = "0006_quarantine_key"
down_revision: str | None = "0005_coin_match_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS = sa.text("SELECT id, source, stream, natural_key, reasons FROM rejected_records ORDER BY id")
_SET_KEY = sa.text("UPDATE rejected_records SET quarantine_key = :key WHERE id = :id")
_DELETE = sa.text("DELETE FROM rejected_records WHERE id = :id")


def upgrade() -> None:
    with op.batch_alter_table("rejected_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quarantine_key", sa.String(length=64), nullable=True))
    dedup(op.get_bind())
    with op.batch_alter_table("rejected_records", schema=None) as batch_op:
        batch_op.alter_column("quarantine_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_rejected_records_source_key", ["source", "quarantine_key"])


def downgrade() -> None:
    with op.batch_alter_table("rejected_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rejected_records_source_key", type_="unique")
        batch_op.drop_column("quarantine_key")


def dedup(conn: sa.Connection) -> tuple[int, int]:
    """Key every quarantined row; delete all but the oldest of each (source, key). Returns (kept, deleted)."""
    seen: set[tuple[str, str]] = set()
    keep: list[dict[str, object]] = []
    drop: list[dict[str, object]] = []
    for row in conn.execute(_ROWS):
        reasons = json.loads(row.reasons) if isinstance(row.reasons, str) else row.reasons
        key = quarantine_key(row.stream, row.natural_key, reasons)
        if (row.source, key) in seen:
            drop.append({"id": row.id})
        else:
            seen.add((row.source, key))
            keep.append({"id": row.id, "key": key})
    if drop:
        conn.execute(_DELETE, drop)
    if keep:
        conn.execute(_SET_KEY, keep)
    return len(keep), len(drop)
