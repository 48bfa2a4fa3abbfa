"""The installation's own row: the epoch of its meetings' event logs.

A meeting's ``seq`` numbers are only meaningful within one history of its log. A restore
(or anything else that puts back an older copy of the database) starts another history
whose numbers overlap the old one's, so tablets must not resume across it by ``seq``
alone: their ``hello`` names the epoch they saw, and another epoch gets a snapshot.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from phonghop.storage.models import Installation, utcnow


def new_epoch() -> str:
    return secrets.token_hex(16)


async def log_epoch(session: AsyncSession | AsyncConnection) -> str:
    """The current epoch (made by the migration that created the table)."""
    epoch = await session.scalar(select(Installation.log_epoch).where(Installation.id == 1))
    if epoch is None:
        raise RuntimeError("the installation row is missing: run `phonghop db upgrade`")
    return epoch


async def renew_log_epoch(conn: AsyncSession | AsyncConnection, now: datetime | None = None) -> str:
    """Give the logs a new epoch, in the caller's transaction; returns it. Every tablet's
    next ``hello`` then gets a snapshot."""
    epoch = new_epoch()
    values = {"log_epoch": epoch, "epoch_since": now or utcnow()}
    result = await conn.execute(update(Installation).where(Installation.id == 1).values(**values))
    if not result.rowcount:  # type: ignore[attr-defined]
        await conn.execute(insert(Installation).values(id=1, **values))
    return epoch
