"""In-app notifications, their e-mail copies, and reminders sent exactly once.

* :func:`notify` adds one :class:`~phonghop.storage.models.Notification` per user in the
  caller's transaction, so a notification exists exactly when the change it reports was
  committed. Its text is not stored: ``kind`` and ``params`` are, and each reader gets it
  in their language (``notification.<kind>`` in the translations).
* **E-mail.** A notification made with ``mail=True`` is ``pending`` until
  :func:`phonghop.services.mail.deliver_pending` (running only when an SMTP server is configured)
  claims and sends it. Users without an address are skipped (``none``).
* **Reminders.** A rule (see :mod:`phonghop.services.reminders`) lists the reminders that
  are due as :class:`Reminder` values, each with a key naming it for good
  (``task:12:due``). :func:`send_reminders` inserts the key into ``reminder_claims`` with
  ``INSERT ... ON CONFLICT DO NOTHING`` in the same transaction as the notifications: of
  two instances running the rule at once, the second waits for the first and then inserts
  nothing; after a restart the key is still there. So each reminder goes out once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from phonghop.domain.permissions import Actor, UserRole
from phonghop.errors import NotFound, PermissionDenied
from phonghop.services.meetings import iso
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Notification, ReminderClaim, User, utcnow
from phonghop.translations import translate

#: How many notifications a listing returns at most (newest first).
LIST_LIMIT = 100


@dataclass(frozen=True)
class Reminder:
    """A reminder a rule found due. ``key`` names it for good: the same key is never sent
    twice. The rest is what :func:`notify` needs."""

    key: str
    body_id: int
    user_ids: tuple[int, ...]
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    link: str = ""


def notify(
    uow: UnitOfWork,
    *,
    body_id: int,
    user_ids: Iterable[int],
    kind: str,
    params: dict[str, Any] | None = None,
    link: str = "",
    mail: bool = True,
) -> list[Notification]:
    """Add one notification per user (duplicates in ``user_ids`` count once)."""
    rows = [
        Notification(
            body_id=body_id,
            user_id=user_id,
            kind=kind,
            params=dict(params or {}),
            link=link,
            mail_state="pending" if mail else "none",
        )
        for user_id in dict.fromkeys(user_ids)
    ]
    uow.session.add_all(rows)
    return rows


async def claim(uow: UnitOfWork, key: str) -> bool:
    """Claim a reminder key in this transaction: True when this transaction inserted it."""
    insert = sqlite_insert if uow.db.is_sqlite else pg_insert
    result = await uow.session.execute(
        insert(ReminderClaim)
        .values(key=key, claimed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


#: Keys looked up per query when skipping the reminders already sent.
_KEYS_PER_QUERY = 500


async def _claimed(uow: UnitOfWork, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[i : i + _KEYS_PER_QUERY]
        found.update(await uow.session.scalars(select(ReminderClaim.key).where(ReminderClaim.key.in_(chunk))))
    return found


async def send_reminders(uow: UnitOfWork, reminders: Iterable[Reminder]) -> list[Reminder]:
    """Notify for every reminder whose key this transaction claims; the ones sent.

    Rules list everything due, so most keys were claimed on an earlier run (an overdue task
    stays on the list until it is done): those are skipped with one lookup, and only the
    new ones try the claim, which still decides a race between instances."""
    candidates = [r for r in reminders if r.user_ids]
    old = await _claimed(uow, [r.key for r in candidates])
    sent = []
    for reminder in candidates:
        if reminder.key in old:
            continue
        if await claim(uow, reminder.key):
            notify(
                uow,
                body_id=reminder.body_id,
                user_ids=reminder.user_ids,
                kind=reminder.kind,
                params=reminder.params,
                link=reminder.link,
            )
            sent.append(reminder)
    return sent


def notification_text(row: Notification, lang: str) -> str:
    """The notification's sentence in ``lang`` (``notification.<kind>`` filled with its params)."""
    return translate(f"notification.{row.kind}", lang, **row.params)


def notification_view(row: Notification, lang: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "text": notification_text(row, lang),
        "params": row.params,
        "link": row.link,
        "created_at": iso(row.created_at),
        "read": row.read_at is not None,
        "mail_state": row.mail_state,
    }


def _require_user(actor: Actor) -> int:
    if actor.user_id is None:
        raise PermissionDenied("staff_account_required")
    return actor.user_id


async def list_notifications(
    uow: UnitOfWork, actor: Actor, lang: str, *, unread_only: bool = False
) -> dict[str, Any]:
    """The actor's newest notifications and how many are unread."""
    user_id = _require_user(actor)
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = await uow.session.scalars(query.order_by(Notification.id.desc()).limit(LIST_LIMIT))
    unread = await uow.session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return {"notifications": [notification_view(r, lang) for r in rows], "unread": int(unread or 0)}


async def mark_read(uow: UnitOfWork, actor: Actor, ids: list[int] | None, now: datetime) -> int:
    """Mark the actor's notifications read (``ids`` None: all of them); how many changed.
    Another user's notification does not exist for the actor."""
    user_id = _require_user(actor)
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        owned = set(
            await uow.session.scalars(
                select(Notification.id).where(Notification.id.in_(ids), Notification.user_id == user_id)
            )
        )
        if owned != set(ids):
            raise NotFound("notification_not_found")
        query = query.where(Notification.id.in_(ids))
    result = await uow.session.execute(query.values(read_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def office_users(uow: UnitOfWork, body_id: int) -> list[int]:
    """Who hears of the office's business (a draft submitted, an absence, a task reported
    done): the body's active office staff, or its administrators when it has none."""
    for role in (UserRole.OFFICE, UserRole.ADMIN):
        rows = list(
            await uow.session.scalars(
                select(User.id).where(User.body_id == body_id, User.role == role.value, User.active.is_(True))
            )
        )
        if rows:
            return rows
    return []


async def users_of_unit(uow: UnitOfWork, body_id: int, unit_id: int) -> list[int]:
    """The active users of one of the body's units (who receive the unit's reminders)."""
    rows = await uow.session.scalars(
        select(User.id).where(User.body_id == body_id, User.unit_id == unit_id, User.active.is_(True))
    )
    return list(rows)
