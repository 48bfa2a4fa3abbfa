"""notice images: the body's seal and the signers' signatures on signed notices

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("width_mm", sa.Float(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["issuing_bodies.id"], name=op.f("fk_notice_images_body_id_issuing_bodies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_images")),
        sa.UniqueConstraint(
            "body_id", "kind", "signer_name", name=op.f("uq_notice_images_body_id_kind_signer_name")
        ),
    )
    op.create_index(op.f("ix_notice_images_body_id"), "notice_images", ["body_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_images_body_id"), table_name="notice_images")
    op.drop_table("notice_images")
