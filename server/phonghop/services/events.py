"""Appending to the meeting event log: the only way a state change reaches tablets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update

from phonghop.domain.permissions import Actor
from phonghop.events import event_dict, validate_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Meeting, MeetingEvent, utcnow


async def append_event(
    uow: UnitOfWork,
    meeting_id: int,
    type_: str,
    data: Mapping[str, Any],
    *,
    actor: Actor | None = None,
    audience: str = "all",
    at: datetime | None = None,
) -> MeetingEvent:
    """Give the event the meeting's next sequence number and store it in this transaction,
    stamped ``at`` (default: now; a change that also stores its time passes the same one,
    so the state built from the event equals a snapshot).

    ``UPDATE ... RETURNING`` takes the meeting row's lock on PostgreSQL until commit, so
    two instances appending to one meeting commit in sequence order; SQLite has one writer.
    """
    data = validate_event(type_, dict(data))
    result = await uow.session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id)
        .values(last_seq=Meeting.last_seq + 1)
        .returning(Meeting.last_seq)
        .execution_options(synchronize_session=False)
    )
    seq = int(result.scalar_one())
    row = MeetingEvent(
        meeting_id=meeting_id,
        seq=seq,
        type=type_,
        data=data,
        audience=audience,
        actor_user_id=actor.user_id if actor else None,
        actor_participant_id=actor.participant_id if actor else None,
        created_at=at or utcnow(),
    )
    uow.session.add(row)
    await uow.session.flush()
    uow.events.append(event_dict(row))
    return row
