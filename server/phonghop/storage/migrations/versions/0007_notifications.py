"""users belong to units and have an e-mail address; documents name their drafting
unit; in-app notifications (with their
e-mail delivery state) and reminder claims

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=200), nullable=False, server_default=""))
        batch.create_foreign_key(
            batch.f("fk_users_unit_id_units"), "units", ["unit_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_documents_unit_id_units"), "units", ["unit_id"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mail_state", sa.String(length=10), nullable=False),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_id"], ["issuing_bodies.id"], name=op.f("fk_notifications_body_id_issuing_bodies")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.create_index(batch.f("ix_notifications_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_notifications_mail_state"), ["mail_state"], unique=False)
    op.create_table(
        "reminder_claims",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reminder_claims")),
    )


def downgrade() -> None:
    op.drop_table("reminder_claims")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index(batch.f("ix_notifications_mail_state"))
        batch.drop_index(batch.f("ix_notifications_user_id"))
    op.drop_table("notifications")
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(batch.f("fk_documents_unit_id_units"), type_="foreignkey")
        batch.drop_column("unit_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(batch.f("fk_users_unit_id_units"), type_="foreignkey")
        batch.drop_column("email")
        batch.drop_column("unit_id")
