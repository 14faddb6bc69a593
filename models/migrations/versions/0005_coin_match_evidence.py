"""coin match evidence: what each automatic identity match saw (flows/identity_rules.py)

Revision ID: 0005_coin_match_evidence
Revises: 0004_candle_close_time
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_coin_match_evidence"
down_revision: str | None = "0004_candle_close_time"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coin_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coin_sources", schema=None) as batch_op:
        batch_op.drop_column("evidence")
