"""Change signals for the consoles: "a comment table or a task changed", sent after commit.

A signal is a hint, not a log: it names the topic, the thing's id and its body, never its
content, and a console that gets one refetches through the API, which applies the
permission rules. The audience is still narrowed to who may read the thing
(``may_see``): the body's office staff, and the users of the ``units`` named here (the
drafting unit of a draft; the lead and cooperating units of a task).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from phonghop.domain.permissions import Actor
from phonghop.storage.db import UnitOfWork

COMMENT_TABLE = "comment_table"
TASKS = "tasks"
TOPICS = (COMMENT_TABLE, TASKS)


def note_change(
    uow: UnitOfWork, topic: str, thing_id: int | None, *, body_id: int, units: Iterable[int | None] = ()
) -> None:
    """Signal, once this unit of work commits, that ``thing_id`` of ``topic`` changed."""
    assert topic in TOPICS, topic
    change = {
        "topic": topic,
        "id": thing_id,
        "body_id": body_id,
        "units": sorted({u for u in units if u is not None}),
    }
    if change not in uow.changes:  # one per thing per transaction
        uow.changes.append(change)


def may_see(actor: Actor, change: dict[str, Any]) -> bool:
    """Whether ``actor`` reads what the change is about (the services' reading rules):
    office staff of its body, or a user of one of its units."""
    if actor.body_id != change.get("body_id") or actor.user_id is None:
        return False
    return actor.is_staff or (actor.unit_id is not None and actor.unit_id in change.get("units", ()))
