"""display links: the room display's read-only link, without a signed-in browser

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "display_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name="fk_display_links_meeting_id_meetings", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_display_links_created_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_display_links"),
        sa.UniqueConstraint("token_hash", name="uq_display_links_token_hash"),
    )
    op.create_index("ix_display_links_meeting_id", "display_links", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_display_links_meeting_id", table_name="display_links")
    op.drop_table("display_links")
