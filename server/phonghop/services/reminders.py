"""The reminder job: every instance runs it every ``reminder_interval`` seconds.

Each rule is a function ``rule(uow, now, tz) -> list[Reminder]`` listing the reminders
that are due at ``now`` (``tz``: the offices' time zone, for "today" and for dates in the
text); the job hands them to
:func:`phonghop.services.notifications.send_reminders`, which sends each key once however
many instances run the job, and across restarts (the claims are rows in the database).
A rule must therefore be idempotent: list everything due, already sent or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from phonghop.config import Settings
from phonghop.services.notifications import Reminder, send_reminders
from phonghop.storage.db import Database, UnitOfWork
from phonghop.storage.models import utcnow

log = logging.getLogger("phonghop.reminders")

Rule = Callable[[UnitOfWork, datetime, ZoneInfo], Awaitable[list[Reminder]]]


def rules() -> list[Rule]:
    """The rules of every area that sends reminders."""
    from phonghop.services import followup, invitations, opinions

    return [followup.due_reminders, opinions.due_reminders, invitations.due_reminders]


async def run_reminders(db: Database, now: datetime, tz: ZoneInfo) -> list[Reminder]:
    """Send every reminder due at ``now``: the ones this call sent. One transaction per
    rule, so one failing rule does not hold back the others."""
    sent: list[Reminder] = []
    for rule in rules():
        try:
            async with db.unit() as uow:
                sent += await send_reminders(uow, await rule(uow, now, tz))
        except Exception:
            log.exception("reminder rule %s failed", getattr(rule, "__qualname__", rule))
    return sent


async def run_schedule(db: Database, settings: Settings) -> None:
    """Reminders, then pending e-mails (when SMTP is configured), every interval, forever."""
    from phonghop.services.mail import deliver_pending

    tz = ZoneInfo(settings.timezone)
    while True:
        with contextlib.suppress(Exception):
            sent = await run_reminders(db, utcnow(), tz)
            if sent:
                log.info("sent %d reminders", len(sent))
        if settings.smtp_host:
            try:
                await deliver_pending(db, settings)
            except Exception:
                log.exception("e-mail delivery failed")
        await asyncio.sleep(settings.reminder_interval)
