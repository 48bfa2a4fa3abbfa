"""notice signer: a draft handed to its signer, who signs in their own session

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("signer_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("signer_signed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("return_reason", sa.Text(), nullable=False, server_default=""))
        batch.create_foreign_key("fk_notices_signer_user_id_users", "users", ["signer_user_id"], ["id"])
        batch.create_index("ix_notices_signer_user_id", ["signer_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_index("ix_notices_signer_user_id")
        batch.drop_constraint("fk_notices_signer_user_id_users", type_="foreignkey")
        batch.drop_column("return_reason")
        batch.drop_column("signer_signed_at")
        batch.drop_column("signer_user_id")
