"""Reading the meeting log back: what a resuming tablet missed, and gap fills for rooms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from phonghop.storage.db import Database
from phonghop.storage.models import Meeting, MeetingEvent


def event_dict(row: MeetingEvent) -> dict[str, Any]:
    return {
        "meeting_id": row.meeting_id,
        "seq": row.seq,
        "type": row.type,
        "ts": row.created_at.isoformat().replace("+00:00", "Z"),
        "data": row.data,
        "audience": row.audience,
    }


async def events_after(
    db: Database, meeting_id: int, after_seq: int, limit: int = 5000
) -> tuple[int, list[dict[str, Any]]]:
    """The meeting's last seq and its events with ``seq > after_seq`` (at most ``limit``)."""
    async with db.unit(write=False) as uow:
        last = await uow.session.scalar(select(Meeting.last_seq).where(Meeting.id == meeting_id))
        rows = await uow.session.scalars(
            select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > after_seq)
            .order_by(MeetingEvent.seq)
            .limit(limit)
        )
        return int(last or 0), [event_dict(r) for r in rows]


async def last_seqs(db: Database, meeting_ids: list[int]) -> dict[int, int]:
    if not meeting_ids:
        return {}
    async with db.unit(write=False) as uow:
        rows = await uow.session.execute(
            select(Meeting.id, Meeting.last_seq).where(Meeting.id.in_(meeting_ids))
        )
        return {int(mid): int(seq) for mid, seq in rows}
