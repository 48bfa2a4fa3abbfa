"""the comment table: feedback from annotations and opinions, drafting units' answers

Consultations may name a draft (``document_id``) and answers point at a page and section;
annotations can be marked as feedback; the drafting unit's answers and the closed tables.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_consultations_document_id"), ["document_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_consultations_document_id_documents"),
            "documents",
            ["document_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("consultation_members") as batch:
        batch.add_column(sa.Column("page", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("section", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("document_version_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_consultation_members_document_version_id_document_versions"),
            "document_versions",
            ["document_version_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("feedback", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("feedback_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "comment_tables",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_comment_tables_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_comment_tables")),
    )
    op.create_table(
        "comment_answers",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("comment_key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_comment_answers_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["users.id"],
            name=op.f("fk_comment_answers_answered_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("document_id", "comment_key", name=op.f("pk_comment_answers")),
    )


def downgrade() -> None:
    op.drop_table("comment_answers")
    op.drop_table("comment_tables")
    with op.batch_alter_table("annotations") as batch:
        batch.drop_column("feedback_at")
        batch.drop_column("feedback_text")
        batch.drop_column("feedback")
    with op.batch_alter_table("consultation_members") as batch:
        batch.drop_constraint(
            batch.f("fk_consultation_members_document_version_id_document_versions"), type_="foreignkey"
        )
        batch.drop_column("document_version_id")
        batch.drop_column("section")
        batch.drop_column("page")
    with op.batch_alter_table("consultations") as batch:
        batch.drop_constraint(batch.f("fk_consultations_document_id_documents"), type_="foreignkey")
        batch.drop_index(batch.f("ix_consultations_document_id"))
        batch.drop_column("document_id")
