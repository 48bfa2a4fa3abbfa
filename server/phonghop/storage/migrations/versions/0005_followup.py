"""follow-up of conclusions (units, tasks and their history) and invitations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["issuing_bodies.id"], name=op.f("fk_units_body_id_issuing_bodies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("body_id", "name_key", name=op.f("uq_units_body_id_name_key")),
    )
    op.create_index(op.f("ix_units_body_id"), "units", ["body_id"], unique=False)
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("point_no", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lead_unit", sa.String(length=300), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("cooperating_units", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["issuing_bodies.id"], name=op.f("fk_tasks_body_id_issuing_bodies")
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_tasks_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_tasks_notice_id_notices")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_tasks_unit_id_units"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        # One task per conclusion point, however many notices the meeting gets.
        sa.UniqueConstraint(
            "meeting_id",
            "agenda_item_id",
            "point_no",
            name=op.f("uq_tasks_meeting_id_agenda_item_id_point_no"),
        ),
    )
    op.create_index("ix_tasks_body_state", "tasks", ["body_id", "state"], unique=False)
    op.create_index(op.f("ix_tasks_meeting_id"), "tasks", ["meeting_id"], unique=False)
    op.create_index(op.f("ix_tasks_notice_id"), "tasks", ["notice_id"], unique=False)
    op.create_table(
        "task_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_updates_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_updates")),
    )
    op.create_index(op.f("ix_task_updates_task_id"), "task_updates", ["task_id"], unique=False)
    op.create_table(
        "invitations",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("substitute_name", sa.String(length=200), nullable=False),
        sa.Column("substitute_title", sa.String(length=200), nullable=False),
        sa.Column("substitute_state", sa.String(length=20), nullable=False),
        sa.Column("substitute_vote", sa.Boolean(), nullable=False),
        sa.Column("substitute_participant_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_invitations_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_invitations_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["substitute_participant_id"],
            ["participants.id"],
            name=op.f("fk_invitations_substitute_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_invitations")),
    )
    op.create_index(op.f("ix_invitations_meeting_id"), "invitations", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invitations_meeting_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_task_updates_task_id"), table_name="task_updates")
    op.drop_table("task_updates")
    op.drop_index(op.f("ix_tasks_notice_id"), table_name="tasks")
    op.drop_index(op.f("ix_tasks_meeting_id"), table_name="tasks")
    op.drop_index("ix_tasks_body_state", table_name="tasks")
    op.drop_table("tasks")
    op.drop_index(op.f("ix_units_body_id"), table_name="units")
    op.drop_table("units")
