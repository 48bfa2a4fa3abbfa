"""repair stored text that breaks the input rules

Rows written before every string was checked at the boundary (``domain/hygiene.py``) may
hold lone surrogates (inside JSON, e.g. an annotation's ``data``), C0 control characters
or decomposed (NFD) text. Such a row made events, listings and exports fail. Every text
and JSON column of every table is read once and rewritten where :func:`repair` changes it:
surrogates become U+FFFD, controls other than tab and newline are removed, ``\\r`` line
breaks become ``\\n``, text is NFC; the downgrade keeps the repair.

Document versions also remember whether the uploaded file was encrypted with an owner
password only (``restricted``): such files are now accepted.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from phonghop.domain.hygiene import repair, repair_all

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def _repair_table(conn: sa.Connection, table: sa.Table) -> None:
    keys = list(table.primary_key.columns)
    texts = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text) and not c.primary_key]
    jsons = [c for c in table.columns if isinstance(c.type, sa.JSON)]
    if not keys or not (texts or jsons):
        return
    changed: list[dict[str, Any]] = []
    rows = conn.execute(sa.select(*keys, *texts, *jsons)).all()
    for row in rows:
        values = row._mapping
        fix: dict[str, Any] = {}
        for column in texts:
            value = values[column.name]
            if isinstance(value, str) and repair(value) != value:
                fix[column.name] = repair(value)
        for column in jsons:
            value = values[column.name]
            if value is not None and repair_all(value) != value:
                fix[column.name] = repair_all(value)
        if fix:
            changed.append({**{f"k_{k.name}": values[k.name] for k in keys}, **fix})
    for fixed in changed:
        where = sa.and_(*(k == fixed[f"k_{k.name}"] for k in keys))
        new = {n: v for n, v in fixed.items() if not n.startswith("k_")}
        conn.execute(table.update().where(where).values(new))


def upgrade() -> None:
    with op.batch_alter_table("document_versions") as batch:
        batch.add_column(sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    meta = sa.MetaData()
    meta.reflect(conn)
    for table in meta.sorted_tables:
        if table.name != "alembic_version":
            _repair_table(conn, table)


def downgrade() -> None:
    """The repaired text stays repaired: the broken form cannot be told back."""
    with op.batch_alter_table("document_versions") as batch:
        batch.drop_column("restricted")
