"""Reminders of the tasks still to do, before and on their deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from phonghop.domain.tasks import PENDING
from phonghop.services.followup.tasks import _link, _unit_users
from phonghop.services.notifications import Reminder, office_users
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    Task,
)

# -- reminders -----------------------------------------------------------------------------------

#: Days before the deadline when the lead unit is reminded first.
REMIND_DAYS_BEFORE = 3


async def due_reminders(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> list[Reminder]:
    """Reminders of the tasks still to do with a deadline: ``before`` from
    REMIND_DAYS_BEFORE days ahead of the deadline until the day before it, ``due`` from the
    deadline day on (a server that was off that day still sends it, once). They go to the
    lead unit's users; when the unit has none (or the lead unit is not one of the body's
    units), to the body's office staff. Each key names the task and the deadline, so a
    reminder is sent once per deadline."""
    today = now.astimezone(tz).date()
    rows = await uow.session.scalars(
        select(Task)
        .where(
            Task.state.in_(PENDING),
            Task.deadline.is_not(None),
            Task.deadline <= today + timedelta(days=REMIND_DAYS_BEFORE),
        )
        .order_by(Task.id)
    )
    recipients: dict[tuple[int, int | None], tuple[int, ...]] = {}
    due: list[Reminder] = []
    for task in rows:
        assert task.deadline is not None
        who = (task.body_id, task.unit_id)
        if who not in recipients:
            users = await _unit_users(uow, task) or await office_users(uow, task.body_id)
            recipients[who] = tuple(users)
        which = "due" if task.deadline <= today else "before"
        due.append(
            Reminder(
                key=f"task:{task.id}:{which}:{task.deadline.isoformat()}",
                body_id=task.body_id,
                user_ids=recipients[who],
                kind=f"task_{which}",
                params={"text": task.text[:200], "deadline": task.deadline.strftime("%d/%m/%Y")},
                link=_link(task),
            )
        )
    return due
