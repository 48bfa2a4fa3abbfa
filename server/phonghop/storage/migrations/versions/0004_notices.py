"""conclusions, notices and their numbering

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conclusions",
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_items.id"],
            name=op.f("fk_conclusions_agenda_item_id_agenda_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_conclusions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agenda_item_id", name=op.f("pk_conclusions")),
    )
    op.create_index(op.f("ix_conclusions_meeting_id"), "conclusions", ["meeting_id"], unique=False)
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("number_label", sa.String(length=120), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("sequence_key", sa.String(length=200), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["issuing_bodies.id"], name=op.f("fk_notices_body_id_issuing_bodies")
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_notices_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        # The last line of defence of the numbering: one number once per sequence of a body.
        sa.UniqueConstraint(
            "body_id", "sequence_key", "number", name=op.f("uq_notices_body_id_sequence_key_number")
        ),
    )
    op.create_index(op.f("ix_notices_body_id"), "notices", ["body_id"], unique=False)
    op.create_index(op.f("ix_notices_meeting_id"), "notices", ["meeting_id"], unique=False)
    op.create_table(
        "notice_files",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_files_notice_id_notices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("notice_id", "kind", name=op.f("pk_notice_files")),
    )
    op.create_table(
        "notice_counters",
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("sequence_key", sa.String(length=200), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["issuing_bodies.id"], name=op.f("fk_notice_counters_body_id_issuing_bodies")
        ),
        sa.PrimaryKeyConstraint("body_id", "sequence_key", name=op.f("pk_notice_counters")),
    )


def downgrade() -> None:
    op.drop_table("notice_counters")
    op.drop_table("notice_files")
    op.drop_index(op.f("ix_notices_meeting_id"), table_name="notices")
    op.drop_index(op.f("ix_notices_body_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_index(op.f("ix_conclusions_meeting_id"), table_name="conclusions")
    op.drop_table("conclusions")
