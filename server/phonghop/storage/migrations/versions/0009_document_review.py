"""document preparation: review states of drafts

Documents get a review state (submitted | approved | returned | published), the reason a
draft was returned, who reviewed it and when, and when it was published. Every document
that exists already was uploaded by the office and is published.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("review_state", sa.String(length=20), nullable=False, server_default="published")
        )
        batch.add_column(sa.Column("review_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE documents SET published_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("published_at")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by")
        batch.drop_column("review_reason")
        batch.drop_column("review_state")
