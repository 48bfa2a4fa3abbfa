"""the installation's log epoch

One row that belongs to the installation, never to a backup: the epoch of its meetings'
event logs, a random id made here and anew by every restore.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("log_epoch", sa.String(32), nullable=False),
        sa.Column("epoch_since", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "log_epoch": secrets.token_hex(16), "epoch_since": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("installation")
