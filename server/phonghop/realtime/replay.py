"""Reading the meeting log back: what a resuming tablet missed, and gap fills for rooms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from phonghop.events import event_dict
from phonghop.storage.db import Database
from phonghop.storage.installation import log_epoch
from phonghop.storage.models import Meeting, MeetingEvent


async def events_after(
    db: Database, meeting_id: int, after_seq: int, limit: int = 5000
) -> tuple[int, list[dict[str, Any]]]:
    """The meeting's last seq and its events with ``seq > after_seq`` (at most ``limit``)."""
    async with db.unit(write=False) as uow:
        last = await _last_seq(uow.session, meeting_id)
        return last, await _events(uow.session, meeting_id, after_seq, limit)


async def _last_seq(session: AsyncSession, meeting_id: int) -> int:
    return int(await session.scalar(select(Meeting.last_seq).where(Meeting.id == meeting_id)) or 0)


async def _events(session: AsyncSession, meeting_id: int, after_seq: int, limit: int) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > after_seq)
        .order_by(MeetingEvent.seq)
        .limit(limit)
    )
    return [event_dict(r) for r in rows]


async def resume_events(
    db: Database, meeting_id: int, last_seq: int, epoch: str | None, limit: int
) -> list[dict[str, Any]] | None:
    """The events a client holding ``(epoch, last_seq)`` missed, or None when it needs a
    snapshot instead: it holds another epoch's state (or one of unknown epoch), is ahead
    of the log, or missed more than ``limit`` events."""
    async with db.unit(write=False) as uow:
        if epoch != await log_epoch(uow.session):
            return None
        if last_seq > await _last_seq(uow.session, meeting_id):
            return None
        events = await _events(uow.session, meeting_id, last_seq, limit + 1)
    if len(events) > limit or (events and events[0]["seq"] != last_seq + 1):
        return None
    return events


async def last_seqs(db: Database, meeting_ids: list[int]) -> dict[int, int]:
    if not meeting_ids:
        return {}
    async with db.unit(write=False) as uow:
        rows = await uow.session.execute(
            select(Meeting.id, Meeting.last_seq).where(Meeting.id.in_(meeting_ids))
        )
        return {int(mid): int(seq) for mid, seq in rows}
