"""invitations: sending, reminders, substitutes' rights

Participants get the read and speak rights (a substitute the office accepted may have
neither); invitations remember when they were sent and when the last reminder went out.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("can_read", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("can_speak", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("reminded_at")
        batch.drop_column("sent_at")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("can_speak")
        batch.drop_column("can_read")
