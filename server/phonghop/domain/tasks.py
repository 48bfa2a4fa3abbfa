"""Tasks that follow conclusions: their states, the status the dashboard shows, and how an
actor sees one (pure rules; ``services.followup`` reads and writes them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from phonghop.domain.permissions import Actor

OPEN = "open"
IN_PROGRESS = "in_progress"
DONE = "done"
CANCELLED = "cancelled"
STATES = (OPEN, IN_PROGRESS, DONE, CANCELLED)

#: state -> the states it may change to.
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_PROGRESS, DONE, CANCELLED}),
    IN_PROGRESS: frozenset({DONE, CANCELLED}),
    DONE: frozenset({IN_PROGRESS}),
    CANCELLED: frozenset({OPEN}),
}
#: States in which a task is still to be done (and can be late).
PENDING = frozenset({OPEN, IN_PROGRESS})

MAX_NOTE = 2000
MAX_UNIT_NAME = 300
MAX_UNIT_SHORT = 100
MAX_ATTACHMENTS = 20
MAX_FILENAME = 300

#: How the actor sees a task: ``office`` (the body's office staff: everything), ``lead``
#: (a user of the lead unit: reads, reports, attachments), ``cooperating`` (a user of a
#: cooperating unit: reads only), ``superior`` (a superior body's office: the report only).
OFFICE_ACCESS = "office"
LEAD_ACCESS = "lead"
COOPERATING_ACCESS = "cooperating"
SUPERIOR_ACCESS = "superior"


class TaskFacts(Protocol):
    """What the rules read of a task (a ``storage.models.Task``)."""

    @property
    def body_id(self) -> int: ...
    @property
    def unit_id(self) -> int | None: ...
    @property
    def cooperating_units(self) -> Sequence[str]: ...
    @property
    def state(self) -> str: ...
    @property
    def deadline(self) -> date | None: ...
    @property
    def done_on(self) -> date | None: ...
    @property
    def accepted_at(self) -> datetime | None: ...


def access_to(actor: Actor, task: TaskFacts, match: Callable[[str], int | None]) -> str | None:
    """How ``actor`` sees ``task`` of its own body (see the constants); None: not at all."""
    if actor.body_id != task.body_id:
        return None
    if actor.is_staff:
        return OFFICE_ACCESS
    if actor.unit_id is None or actor.user_id is None:
        return None
    if task.unit_id == actor.unit_id:
        return LEAD_ACCESS
    if any(match(name) == actor.unit_id for name in task.cooperating_units):
        return COOPERATING_ACCESS
    return None


def is_late(task: TaskFacts, today: date) -> bool:
    return task.state in PENDING and task.deadline is not None and task.deadline < today


#: What the dashboard shows of a task (derived from its state, deadline, done date and the
#: office's date), overdue first.
STATUSES = ("overdue", "not_started", "in_progress", "done_late", "done_on_time", "cancelled")


def status_of(task: TaskFacts, today: date) -> str:
    """The dashboard status. A task still to do whose deadline has passed is overdue;
    done on the deadline day itself is on time."""
    if task.state == CANCELLED:
        return "cancelled"
    if task.state == DONE:
        late = task.deadline is not None and task.done_on is not None and task.done_on > task.deadline
        return "done_late" if late else "done_on_time"
    if is_late(task, today):
        return "overdue"
    return "in_progress" if task.state == IN_PROGRESS else "not_started"


def awaiting_acceptance(task: TaskFacts) -> bool:
    """Reported done, not yet accepted by the office."""
    return task.state == DONE and task.accepted_at is None
