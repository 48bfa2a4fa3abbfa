"""identity: personal codes, device limits, waiting devices, growing lockouts

Participants get the personal code printed on their invitation and how many devices may
be live for them; sessions remember whether they wait for the secretary's confirmation,
their public device name, how their holder proved who they are and from where; login
throttles count their lockouts so that each lasts longer than the one before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as services.accounts.JOIN_CODE_ALPHABET


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("personal_code", sa.String(20), nullable=True))
        batch.add_column(sa.Column("devices_allowed", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("device_id", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("proof", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("address", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("login_throttles") as batch:
        batch.add_column(sa.Column("strikes", sa.Integer(), nullable=False, server_default="0"))
    # Participants already on a list get their personal code now, as new ones do.
    participants = sa.table(
        "participants", sa.column("id", sa.Integer), sa.column("personal_code", sa.String)
    )
    bind = op.get_bind()
    for (pid,) in bind.execute(sa.select(participants.c.id)).all():
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        bind.execute(participants.update().where(participants.c.id == pid).values(personal_code=code))


def downgrade() -> None:
    with op.batch_alter_table("login_throttles") as batch:
        batch.drop_column("strikes")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("address")
        batch.drop_column("proof")
        batch.drop_column("device_id")
        batch.drop_column("pending")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("devices_allowed")
        batch.drop_column("personal_code")
