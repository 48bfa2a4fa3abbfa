"""Follow-up of conclusions (theo dõi, đôn đốc): every conclusion point with a lead unit
becomes a task when a notice of its meeting is issued; the lead unit reports on it and the
office follows it to done.

* **Creation.** :func:`create_tasks` is called by ``services.notices.issue`` in the issuing
  transaction, after the notice has its number: the notice and its tasks commit together
  or not at all (an event consumer would run after the commit, and a crash between the two
  would leave an issued notice without its tasks). The points are read from the meeting's
  conclusion records, which are frozen once a notice is issued; a point is identified by
  (meeting, agenda item, point number), so a second notice of the same meeting (a
  correction) adds no second task for a point already followed.
* **States.** ``open`` → ``in_progress`` → ``done``; ``open`` or ``in_progress`` →
  ``cancelled``; ``done`` can be reopened (→ ``in_progress``), ``cancelled`` restored (→
  ``open``). Every change, and every progress note without a change, is a
  :class:`~phonghop.storage.models.TaskUpdate` row (who, when, from, to, note, kind).
* **Reporting.** The lead unit's users report progress (a note, files attached) and report
  the task done (báo cáo hoàn thành); ``done_on`` is the office's date of that report. The
  office then accepts it (the task stays done, ``accepted_at``/``accepted_by`` set; until
  then it is "awaiting acceptance") or reopens it with a reason (→ ``in_progress``; the
  unit's users are notified). Attachments are PDF, DOCX, XLSX, JPEG or PNG, recognised by
  their first bytes (and, for DOCX/XLSX, the parts inside the ZIP), never by the name alone.
* **Status shown** (:func:`status_of`): not started, in progress, overdue, done on time,
  done late, cancelled. A task is late when its deadline has passed (the deadline day itself
  is still on time) and it is neither done nor cancelled; done after the deadline is done
  late. "Today" is the office's date (``settings.timezone``), given by the caller.
* **Units.** The body's units (đơn vị), kept by its administrators. A task's ``unit_id``
  is the unit whose name, or else whose short name (when only one unit has it), equals the
  lead unit as written, ignoring case and tone-mark placement (``compare_key``). It is
  derived: set when the task is made, and worked out again for the body's tasks whenever
  a unit is added, renamed or removed. The report groups by unit where there is one, by
  the written name's key otherwise.
* **Who.** The body's office staff and administrators see and manage all its tasks. Unit
  staff (a user with a unit) see the tasks their unit leads (and report on them) and,
  read-only, those where their unit cooperates; nothing else of follow-up. The office of a
  superior body (``IssuingBody.parent_id``, at any depth) sees the report and the task list
  of the bodies under it, read-only, and nothing else of theirs. Any other task, unit,
  attachment or body does not exist for the actor (404 ``task_not_found``...).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from phonghop.domain.permissions import Actor, require_admin, require_office, require_same_body
from phonghop.domain.text import compare_key, normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied, UnsupportedMedia
from phonghop.exports.tables import Column, Table
from phonghop.services import conclusions
from phonghop.services.audit import record_audit
from phonghop.services.meetings import iso
from phonghop.services.notifications import Reminder, notify, office_users, users_of_unit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    IssuingBody,
    Meeting,
    Notice,
    Task,
    TaskAttachment,
    TaskUpdate,
    Unit,
    User,
    utcnow,
)
from phonghop.translations import translate

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


# -- units ---------------------------------------------------------------------------------------


def unit_view(unit: Unit) -> dict[str, Any]:
    return {"id": unit.id, "name": unit.name, "short_name": unit.short_name}


async def _units(uow: UnitOfWork, body_id: int) -> list[Unit]:
    return list(await uow.session.scalars(select(Unit).where(Unit.body_id == body_id).order_by(Unit.id)))


def unit_matcher(units: Sequence[Unit]) -> Callable[[str], int | None]:
    """Lead unit as written -> the id of the unit it names: by name, else by a short name
    no other unit has; ``None`` when nothing (or nothing unambiguous) matches."""
    by_name = {u.name_key: u.id for u in units}
    shorts: dict[str, list[int]] = {}
    for u in units:
        if u.short_name:
            shorts.setdefault(compare_key(u.short_name), []).append(u.id)
    by_short = {key: ids[0] for key, ids in shorts.items() if len(ids) == 1}

    def match(written: str) -> int | None:
        key = compare_key(written)
        return by_name.get(key, by_short.get(key))

    return match


async def _relink(uow: UnitOfWork, body_id: int) -> None:
    """Work out again which unit each of the body's tasks names."""
    await uow.session.flush()
    match = unit_matcher(await _units(uow, body_id))
    tasks = select(Task).where(Task.body_id == body_id).execution_options(populate_existing=True)
    for task in await uow.session.scalars(tasks):
        unit_id = match(task.lead_unit)
        if task.unit_id != unit_id:
            task.unit_id = unit_id
    await uow.session.flush()


def _unit_fields(name: str, short_name: str) -> tuple[str, str]:
    name, short_name = normalize(name), normalize(short_name)
    if not name or len(name) > MAX_UNIT_NAME:
        raise InvalidInput("unit_invalid", field="name")
    if len(short_name) > MAX_UNIT_SHORT:
        raise InvalidInput("unit_invalid", field="short_name")
    return name, short_name


async def _check_name_free(uow: UnitOfWork, body_id: int, key: str, unit_id: int | None) -> None:
    taken = await uow.session.scalar(
        select(Unit.id).where(Unit.body_id == body_id, Unit.name_key == key, Unit.id != (unit_id or 0))
    )
    if taken is not None:
        raise Conflict("unit_name_taken")


async def _flush_unit(uow: UnitOfWork) -> None:
    try:
        await uow.session.flush()
    except IntegrityError:  # the same name added at the same moment by another request
        raise Conflict("unit_name_taken") from None


async def list_units(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The body's units by name (office staff and administrators)."""
    require_office(actor)
    units = sorted(await _units(uow, actor.body_id), key=lambda u: u.name_key)
    return [unit_view(u) for u in units]


async def create_unit(uow: UnitOfWork, actor: Actor, *, name: str, short_name: str = "") -> dict[str, Any]:
    """Add a unit (administrators); ``unit_name_taken`` when the body has one of that name
    (whatever the case and tone-mark placement)."""
    require_admin(actor)
    name, short_name = _unit_fields(name, short_name)
    key = compare_key(name)
    await _check_name_free(uow, actor.body_id, key, None)
    unit = Unit(body_id=actor.body_id, name=name, short_name=short_name, name_key=key)
    uow.session.add(unit)
    await _flush_unit(uow)
    await _relink(uow, actor.body_id)
    record_audit(uow, actor, "unit.created", target_type="unit", target_id=unit.id, name=name)
    return unit_view(unit)


async def _load_unit(uow: UnitOfWork, actor: Actor, unit_id: int) -> Unit:
    require_admin(actor)
    unit = await uow.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit_not_found")
    require_same_body(actor, unit.body_id, "unit")
    return unit


async def update_unit(
    uow: UnitOfWork, actor: Actor, unit_id: int, *, name: str | None, short_name: str | None
) -> dict[str, Any]:
    """Rename a unit or change its short name (administrators); ``None`` keeps a field."""
    unit = await _load_unit(uow, actor, unit_id)
    new_name, new_short = _unit_fields(
        unit.name if name is None else name, unit.short_name if short_name is None else short_name
    )
    key = compare_key(new_name)
    await _check_name_free(uow, unit.body_id, key, unit.id)
    unit.name, unit.short_name, unit.name_key = new_name, new_short, key
    await _flush_unit(uow)
    await _relink(uow, unit.body_id)
    record_audit(uow, actor, "unit.updated", target_type="unit", target_id=unit.id, name=new_name)
    return unit_view(unit)


async def delete_unit(uow: UnitOfWork, actor: Actor, unit_id: int) -> None:
    """Remove a unit (administrators): its tasks keep their lead unit as written."""
    unit = await _load_unit(uow, actor, unit_id)
    await uow.session.execute(
        update(Task)
        .where(Task.unit_id == unit.id)
        .values(unit_id=None)
        .execution_options(synchronize_session=False)
    )
    await uow.session.delete(unit)
    await _relink(uow, unit.body_id)
    record_audit(uow, actor, "unit.deleted", target_type="unit", target_id=unit_id)


# -- creation ------------------------------------------------------------------------------------


async def create_tasks(uow: UnitOfWork, notice: Notice) -> list[Task]:
    """The tasks of the notice's meeting's conclusion points that name a lead unit and are
    not followed yet, added to the session (in the caller's transaction).

    The meeting row is locked first (``SELECT ... FOR UPDATE``): two notices of one
    meeting issued at once in different sequences (a State body's secret and plain ones)
    would otherwise both insert the same points and the second would fail on the unique
    constraint; after the lock the second sees the first's tasks and adds none.
    """
    await uow.session.execute(select(Meeting.id).where(Meeting.id == notice.meeting_id).with_for_update())
    existing = {
        (item_id, no)
        for item_id, no in await uow.session.execute(
            select(Task.agenda_item_id, Task.point_no).where(Task.meeting_id == notice.meeting_id)
        )
    }
    records = await conclusions.by_item(uow, notice.meeting_id)
    match = unit_matcher(await _units(uow, notice.body_id))
    made: list[Task] = []
    for item_id, record in sorted(records.items()):
        for no, point in enumerate(record.points, start=1):
            lead = normalize(point.get("chu_tri", ""))
            if not lead or (item_id, no) in existing:
                continue
            deadline = point.get("deadline")
            task = Task(
                body_id=notice.body_id,
                meeting_id=notice.meeting_id,
                notice_id=notice.id,
                agenda_item_id=item_id,
                point_no=no,
                text=point["text"],
                lead_unit=lead,
                unit_id=match(lead),
                cooperating_units=list(point.get("phoi_hop", ())),
                deadline=date.fromisoformat(deadline) if deadline else None,
                state=OPEN,
            )
            made.append(task)
    uow.session.add_all(made)
    await uow.session.flush()
    uow.session.add_all(
        TaskUpdate(
            task_id=t.id,
            actor_user_id=notice.issued_by,
            from_state=None,
            to_state=OPEN,
            note="",
            kind="created",
        )
        for t in made
    )
    await uow.session.flush()
    await _tell_lead_units(uow, notice, made)
    return made


async def _tell_lead_units(uow: UnitOfWork, notice: Notice, made: Sequence[Task]) -> None:
    """Each lead unit's users learn of their new tasks (one notification per task), in the
    issuing transaction: a unit hears of a task exactly when it exists."""
    users: dict[int, list[int]] = {}
    for task in made:
        if task.unit_id is None:
            continue
        if task.unit_id not in users:
            users[task.unit_id] = await users_of_unit(uow, task.body_id, task.unit_id)
        notify(
            uow,
            body_id=task.body_id,
            user_ids=users[task.unit_id],
            kind="task_assigned",
            params={
                "number": notice.number_label or "",
                "text": task.text[:200],
                "deadline": task.deadline.strftime("%d/%m/%Y") if task.deadline else "—",
            },
            link=f"/console/#/tasks/{task.id}",
        )


# -- who sees what -------------------------------------------------------------------------------


def require_follower(actor: Actor) -> None:
    """Follow-up is for the office and for unit staff (a user with a unit)."""
    if not actor.is_staff and (actor.user_id is None or actor.unit_id is None):
        raise PermissionDenied("office_required")


def access_to(actor: Actor, task: Task, match: Callable[[str], int | None]) -> str | None:
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


async def subordinate_bodies(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The bodies directly or indirectly under the actor's body (its office), by name."""
    require_office(actor)
    return [
        {"id": b.id, "name": b.name, "parent_id": b.parent_id}
        for b in sorted(await _subordinates(uow, actor.body_id), key=lambda b: compare_key(b.name))
    ]


async def _subordinates(uow: UnitOfWork, body_id: int) -> list[IssuingBody]:
    bodies = list(await uow.session.scalars(select(IssuingBody)))
    children: dict[int, list[IssuingBody]] = {}
    for body in bodies:
        if body.parent_id is not None:
            children.setdefault(body.parent_id, []).append(body)
    found: list[IssuingBody] = []
    seen = {body_id}
    queue = [body_id]
    while queue:
        for child in children.get(queue.pop(), []):
            if child.id not in seen:  # a cycle in bad data must not loop forever
                seen.add(child.id)
                found.append(child)
                queue.append(child.id)
    return found


async def _scope(uow: UnitOfWork, actor: Actor, body_id: int | None) -> tuple[IssuingBody, bool]:
    """The body whose follow-up is asked for and whether the actor only reads it (a
    superior body's office). Any other body does not exist: ``body_not_found``."""
    if body_id is None or body_id == actor.body_id:
        require_follower(actor)
        own = await uow.session.get(IssuingBody, actor.body_id)
        assert own is not None
        return own, False
    if actor.is_staff:
        for body in await _subordinates(uow, actor.body_id):
            if body.id == body_id:
                return body, True
    raise NotFound("body_not_found")


# -- views ---------------------------------------------------------------------------------------


def is_late(task: Task, today: date) -> bool:
    return task.state in PENDING and task.deadline is not None and task.deadline < today


#: What the dashboard shows of a task (derived from its state, deadline, done date and the
#: office's date), overdue first.
STATUSES = ("overdue", "not_started", "in_progress", "done_late", "done_on_time", "cancelled")


def status_of(task: Task, today: date) -> str:
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


def awaiting_acceptance(task: Task) -> bool:
    """Reported done, not yet accepted by the office."""
    return task.state == DONE and task.accepted_at is None


def task_view(
    task: Task, meeting: Meeting, notice: Notice, today: date, access: str = OFFICE_ACCESS
) -> dict[str, Any]:
    return {
        "id": task.id,
        "text": task.text,
        "lead_unit": task.lead_unit,
        "unit_id": task.unit_id,
        "cooperating_units": list(task.cooperating_units),
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "state": task.state,
        "late": is_late(task, today),
        "status": status_of(task, today),
        "awaiting_acceptance": awaiting_acceptance(task),
        "done_on": task.done_on.isoformat() if task.done_on else None,
        "accepted_at": iso(task.accepted_at) if task.accepted_at else None,
        "accepted_by": task.accepted_by,
        "access": access,
        "can_report": access in (OFFICE_ACCESS, LEAD_ACCESS) and task.state in PENDING,
        "can_accept": access == OFFICE_ACCESS and task.state == DONE,
        "source": {
            "meeting": {"id": meeting.id, "title": meeting.title, "starts_at": iso(meeting.starts_at)},
            "notice": {"id": notice.id, "number_label": notice.number_label, "summary": notice.summary},
            "agenda_item_id": task.agenda_item_id,
            "point_no": task.point_no,
        },
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }


def attachment_view(row: TaskAttachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "filename": row.filename,
        "kind": row.kind,
        "size": row.size,
        "update_id": row.update_id,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": iso(row.uploaded_at),
        "url": f"/api/task-attachments/{row.id}",
    }


def update_view(
    row: TaskUpdate,
    names: dict[int, str] | None = None,
    attachments: Sequence[TaskAttachment] = (),
) -> dict[str, Any]:
    return {
        "at": iso(row.at),
        "user_id": row.actor_user_id,
        **({"user_name": names.get(row.actor_user_id or 0, "")} if names is not None else {}),
        "kind": row.kind,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "note": row.note,
        **({"attachments": [attachment_view(a) for a in attachments]} if names is not None else {}),
    }


def _sort_key(task: Task) -> tuple[bool, date, int]:
    """Deadline first (none last), then creation order."""
    return (task.deadline is None, task.deadline or date.max, task.id)


def _dashboard_key(task: Task, today: date) -> tuple[int, bool, date, int]:
    """Overdue first, then what is still to do, then done, then cancelled; by deadline."""
    return (STATUSES.index(status_of(task, today)), *_sort_key(task))


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFilter:
    """``unit`` matches the lead unit or a cooperating unit, whatever the case and the
    tone-mark placement ("sở tài chính" finds "Sở Tài chính"); ``status`` one of
    :data:`STATUSES`; ``awaiting`` done and not accepted yet (or the opposite)."""

    state: str | None = None
    unit: str = ""
    unit_id: int | None = None
    late: bool | None = None
    meeting_id: int | None = None
    notice_id: int | None = None
    status: str | None = None
    awaiting: bool | None = None


Row = tuple[Task, Meeting, Notice, str]


async def _rows(uow: UnitOfWork, body_id: int) -> list[tuple[Task, Meeting, Notice]]:
    stmt = (
        select(Task, Meeting, Notice)
        .join(Meeting, Meeting.id == Task.meeting_id)
        .join(Notice, Notice.id == Task.notice_id)
        .where(Task.body_id == body_id)
    )
    return [(row[0], row[1], row[2]) for row in await uow.session.execute(stmt)]


async def _visible(uow: UnitOfWork, actor: Actor, body_id: int | None) -> tuple[IssuingBody, bool, list[Row]]:
    """The body asked for, whether read-only, and its tasks the actor sees (with how)."""
    body, read_only = await _scope(uow, actor, body_id)
    rows = await _rows(uow, body.id)
    if read_only:
        return body, True, [(t, m, n, SUPERIOR_ACCESS) for t, m, n in rows]
    match = unit_matcher(await _units(uow, body.id))
    seen: list[Row] = []
    for task, meeting, notice in rows:
        access = access_to(actor, task, match)
        if access is not None:
            seen.append((task, meeting, notice, access))
    return body, False, seen


def _matches(task: Task, today: date, where: TaskFilter, unit: str) -> bool:
    checks = [
        where.state is None or task.state == where.state,
        where.status is None or status_of(task, today) == where.status,
        where.awaiting is None or awaiting_acceptance(task) == where.awaiting,
        where.meeting_id is None or task.meeting_id == where.meeting_id,
        where.notice_id is None or task.notice_id == where.notice_id,
        where.unit_id is None or task.unit_id == where.unit_id,
        where.late is None or is_late(task, today) == where.late,
        not unit or unit in {compare_key(u) for u in [task.lead_unit, *task.cooperating_units]},
    ]
    return all(checks)


async def list_tasks(
    uow: UnitOfWork,
    actor: Actor,
    today: date,
    where: TaskFilter,
    *,
    limit: int = 100,
    offset: int = 0,
    body_id: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The tasks the actor sees matching ``where``, by deadline (none last), and their
    total; ``body_id``: a body under the actor's (its office reads them)."""
    if where.state is not None and where.state not in STATES:
        raise InvalidInput("invalid_query", field="state")
    if where.status is not None and where.status not in STATUSES:
        raise InvalidInput("invalid_query", field="status")
    _, _, rows = await _visible(uow, actor, body_id)
    unit = compare_key(normalize(where.unit))
    found = [row for row in rows if _matches(row[0], today, where, unit)]
    found.sort(key=lambda row: _sort_key(row[0]))
    page = found[offset : offset + limit]
    return [task_view(t, m, n, today, a) for t, m, n, a in page], len(found)


async def _load(uow: UnitOfWork, actor: Actor, task_id: int, *, lock: bool = False) -> tuple[Task, str]:
    require_follower(actor)
    stmt = select(Task).where(Task.id == task_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = await uow.session.scalar(stmt)
    if task is None:
        raise NotFound("task_not_found")
    require_same_body(actor, task.body_id, "task")
    access = access_to(actor, task, unit_matcher(await _units(uow, task.body_id)))
    if access is None:
        raise NotFound("task_not_found")
    return task, access


async def _names(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await uow.session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


async def get_task(uow: UnitOfWork, actor: Actor, task_id: int, today: date) -> dict[str, Any]:
    """A task with its history, oldest change first, and its attachments (for the office
    and the lead unit; a cooperating unit sees none)."""
    task, access = await _load(uow, actor, task_id)
    meeting = await uow.session.get(Meeting, task.meeting_id)
    notice = await uow.session.get(Notice, task.notice_id)
    assert meeting is not None and notice is not None  # referenced by foreign keys
    history = list(
        await uow.session.scalars(
            select(TaskUpdate).where(TaskUpdate.task_id == task.id).order_by(TaskUpdate.id)
        )
    )
    files: list[TaskAttachment] = []
    if access in (OFFICE_ACCESS, LEAD_ACCESS):
        files = list(
            await uow.session.scalars(
                select(TaskAttachment).where(TaskAttachment.task_id == task.id).order_by(TaskAttachment.id)
            )
        )
    names = await _names(uow, [h.actor_user_id for h in history] + [task.accepted_by])
    by_update: dict[int | None, list[TaskAttachment]] = {}
    for f in files:
        by_update.setdefault(f.update_id, []).append(f)
    return {
        **task_view(task, meeting, notice, today, access),
        "accepted_by_name": names.get(task.accepted_by or 0, ""),
        "history": [update_view(h, names, by_update.get(h.id, ())) for h in history],
        "attachments": [attachment_view(f) for f in files],
    }


# -- changing ------------------------------------------------------------------------------------


def _note(note: str) -> str:
    note = normalize(note)
    if len(note) > MAX_NOTE:
        raise InvalidInput("task_note_invalid", limit=MAX_NOTE)
    return note


def _record(uow: UnitOfWork, actor: Actor, task: Task, before: str, kind: str, note: str) -> TaskUpdate:
    task.updated_at = utcnow()
    row = TaskUpdate(
        task_id=task.id,
        actor_user_id=actor.user_id,
        from_state=before,
        to_state=task.state,
        note=note,
        kind=kind,
    )
    uow.session.add(row)
    return row


async def update_task(
    uow: UnitOfWork, actor: Actor, task_id: int, today: date, *, state: str | None, note: str
) -> None:
    """The office changes a task's state (with an optional note) or, with ``state`` None
    or unchanged, writes a progress note (then required). Done by the office is accepted
    at once (no report to accept).

    Raises ``InvalidInput("task_state_invalid")`` for an unknown state,
    ``InvalidInput("task_note_invalid")`` for a missing or too long note, and
    ``Conflict("task_transition_invalid", from_state, to_state)``.
    """
    require_office(actor)
    task, _ = await _load(uow, actor, task_id, lock=True)
    if state is not None and state not in STATES:
        raise InvalidInput("task_state_invalid", state=state)
    note = _note(note)
    before = task.state
    target = before if state is None else state
    if target == before:
        if not note:
            raise InvalidInput("task_note_invalid", limit=MAX_NOTE)
    elif target not in TRANSITIONS[before]:
        raise Conflict("task_transition_invalid", from_state=before, to_state=target)
    else:
        task.state = target
        task.done_on = today if target == DONE else None
        # The office marking a task done itself needs no acceptance of its own.
        task.accepted_at, task.accepted_by = (utcnow(), actor.user_id) if target == DONE else (None, None)
    _record(uow, actor, task, before, "update", note)
    await uow.session.flush()
    record_audit(
        uow, actor, "task.updated", target_type="task", target_id=task.id, from_state=before, to_state=target
    )


async def _unit_users(uow: UnitOfWork, task: Task) -> list[int]:
    return await users_of_unit(uow, task.body_id, task.unit_id) if task.unit_id is not None else []


def _params(task: Task) -> dict[str, Any]:
    return {"text": task.text[:200], "unit": task.lead_unit}


def _link(task: Task) -> str:
    return f"/console/#/tasks/{task.id}"


async def report_progress(
    uow: UnitOfWork,
    actor: Actor,
    task_id: int,
    today: date,
    *,
    note: str,
    done: bool,
    attachment_ids: Sequence[int] = (),
) -> None:
    """The lead unit (or the office) reports progress on a task still to do, or reports it
    done (``done_on`` = ``today``, awaiting the office's acceptance; the office is
    notified). Files uploaded for the task go with the report (``attachment_ids``).

    Raises ``PermissionDenied("task_read_only")`` for a cooperating unit,
    ``Conflict("task_not_pending")`` for a task done or cancelled,
    ``InvalidInput("task_note_invalid")`` for a progress report with neither note nor
    file, ``InvalidInput("attachment_not_found")`` for a file not uploaded to this task or
    already sent.
    """
    task, access = await _load(uow, actor, task_id, lock=True)
    if access not in (OFFICE_ACCESS, LEAD_ACCESS):
        raise PermissionDenied("task_read_only")
    note = _note(note)
    if task.state not in PENDING:
        raise Conflict("task_not_pending", state=task.state)
    ids = list(dict.fromkeys(attachment_ids))
    files = []
    if ids:
        files = list(
            await uow.session.scalars(
                select(TaskAttachment).where(
                    TaskAttachment.id.in_(ids),
                    TaskAttachment.task_id == task.id,
                    TaskAttachment.update_id.is_(None),
                )
            )
        )
        if len(files) != len(ids):
            raise InvalidInput("attachment_not_found")
    if not done and not note and not files:
        raise InvalidInput("task_note_invalid", limit=MAX_NOTE)
    before = task.state
    task.state = DONE if done else IN_PROGRESS
    if done:
        task.done_on = today
        task.accepted_at, task.accepted_by = None, None
    row = _record(uow, actor, task, before, "reported_done" if done else "progress", note)
    await uow.session.flush()
    for f in files:
        f.update_id = row.id
    if done:
        notify(
            uow,
            body_id=task.body_id,
            user_ids=[u for u in await office_users(uow, task.body_id) if u != actor.user_id],
            kind="task_reported_done",
            params=_params(task),
            link=_link(task),
        )
    await uow.session.flush()
    record_audit(
        uow,
        actor,
        "task.reported",
        target_type="task",
        target_id=task.id,
        done=done,
        attachments=len(files),
    )


async def accept_task(uow: UnitOfWork, actor: Actor, task_id: int, now: datetime, *, note: str = "") -> None:
    """The office accepts a task reported done: it stays done, accepted at ``now``.
    ``Conflict("task_not_done")`` otherwise, ``Conflict("task_already_accepted")``."""
    require_office(actor)
    task, _ = await _load(uow, actor, task_id, lock=True)
    note = _note(note)
    if task.state != DONE:
        raise Conflict("task_not_done", state=task.state)
    if task.accepted_at is not None:
        raise Conflict("task_already_accepted")
    task.accepted_at, task.accepted_by = now, actor.user_id
    _record(uow, actor, task, DONE, "accepted", note)
    notify(
        uow,
        body_id=task.body_id,
        user_ids=await _unit_users(uow, task),
        kind="task_accepted",
        params=_params(task),
        link=_link(task),
    )
    await uow.session.flush()
    record_audit(uow, actor, "task.accepted", target_type="task", target_id=task.id)


async def reopen_task(uow: UnitOfWork, actor: Actor, task_id: int, *, reason: str) -> None:
    """The office sends a task reported done back to the lead unit (→ in progress) with a
    reason, which the unit's users are notified of. ``InvalidInput("task_reason_required")``
    without one, ``Conflict("task_not_done")`` for a task not done."""
    require_office(actor)
    task, _ = await _load(uow, actor, task_id, lock=True)
    reason = _note(reason)
    if not reason:
        raise InvalidInput("task_reason_required", limit=MAX_NOTE)
    if task.state != DONE:
        raise Conflict("task_not_done", state=task.state)
    task.state, task.done_on = IN_PROGRESS, None
    task.accepted_at, task.accepted_by = None, None
    _record(uow, actor, task, DONE, "reopened", reason)
    notify(
        uow,
        body_id=task.body_id,
        user_ids=await _unit_users(uow, task),
        kind="task_reopened",
        params={**_params(task), "reason": reason[:300]},
        link=_link(task),
    )
    await uow.session.flush()
    record_audit(uow, actor, "task.reopened", target_type="task", target_id=task.id)


# -- attachments ---------------------------------------------------------------------------------

#: kind -> (media type, file name endings it may have).
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
}
#: How many bytes :func:`sniff_attachment` needs (PDF allows junk before its header).
SNIFF_BYTES = 1024


def sniff_attachment(head: bytes) -> str | None:
    """The kind the first bytes show: pdf | jpeg | png | zip (DOCX or XLSX, to be looked
    into by :func:`attachment_kind`) | None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return "pdf"
    return None


def attachment_kind(path: Path, filename: str) -> str:
    """The kind of a stored upload, from its content; a name that says otherwise (a
    ``.pdf`` that is a PNG) is refused too. ``UnsupportedMedia("attachment_type_invalid")``."""
    with path.open("rb") as f:
        kind = sniff_attachment(f.read(SNIFF_BYTES))
    if kind == "zip":
        kind = None
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            names = set()
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                kind = "docx"
            elif "xl/workbook.xml" in names:
                kind = "xlsx"
    if kind is None:
        raise UnsupportedMedia("attachment_type_invalid", allowed="PDF, DOCX, XLSX, JPEG, PNG")
    suffix = Path(filename).suffix.lower()
    if suffix and suffix not in ATTACHMENT_TYPES[kind][1]:
        raise UnsupportedMedia("attachment_type_invalid", allowed="PDF, DOCX, XLSX, JPEG, PNG")
    return kind


async def check_can_attach(uow: UnitOfWork, actor: Actor, task_id: int) -> None:
    """Before an upload is read: the actor may report on the task and it is still to do."""
    task, access = await _load(uow, actor, task_id)
    if access not in (OFFICE_ACCESS, LEAD_ACCESS):
        raise PermissionDenied("task_read_only")
    if task.state not in PENDING:
        raise Conflict("task_not_pending", state=task.state)
    pending = await uow.session.scalars(
        select(TaskAttachment.id).where(TaskAttachment.task_id == task.id, TaskAttachment.update_id.is_(None))
    )
    if len(list(pending)) >= MAX_ATTACHMENTS:
        raise Conflict("attachment_limit", limit=MAX_ATTACHMENTS)


async def add_attachment(
    uow: UnitOfWork, actor: Actor, task_id: int, *, sha256: str, size: int, kind: str, filename: str
) -> dict[str, Any]:
    """Record a stored upload as a file of the task, to be sent with the next report."""
    await check_can_attach(uow, actor, task_id)
    row = TaskAttachment(
        task_id=task_id,
        sha256=sha256,
        size=size,
        kind=kind,
        filename=normalize(filename)[:MAX_FILENAME] or f"tep-dinh-kem{ATTACHMENT_TYPES[kind][1][0]}",
        uploaded_by=actor.user_id,
    )
    uow.session.add(row)
    await uow.session.flush()
    return attachment_view(row)


async def attachment_for_download(uow: UnitOfWork, actor: Actor, attachment_id: int) -> TaskAttachment:
    """An attachment the office or the lead unit's users may download; 404 otherwise."""
    require_follower(actor)
    row = await uow.session.get(TaskAttachment, attachment_id)
    if row is None:
        raise NotFound("attachment_not_found")
    task = await uow.session.get(Task, row.task_id)
    assert task is not None
    if task.body_id != actor.body_id:
        raise NotFound("attachment_not_found")
    access = access_to(actor, task, unit_matcher(await _units(uow, task.body_id)))
    if access not in (OFFICE_ACCESS, LEAD_ACCESS):
        raise NotFound("attachment_not_found")
    return row


# -- the report ----------------------------------------------------------------------------------


def _group_of(task: Task, names: dict[int, str]) -> tuple[tuple[str, Any], str]:
    """The report's group of a task: its unit, or the lead unit as written (by key)."""
    if task.unit_id is not None and task.unit_id in names:
        return ("unit", task.unit_id), names[task.unit_id]
    return ("name", compare_key(task.lead_unit)), task.lead_unit


def unit_report(
    tasks: Sequence[tuple[Task, Meeting, Notice]], units: Sequence[Unit], today: date
) -> list[dict[str, Any]]:
    """Per lead unit: counts by state and by status, how many are late and awaiting
    acceptance, and the late tasks. Tasks of a unit of the body are counted under its name
    (``unit_id`` set); others under the name as first written, spellings that differ only
    in case or tone-mark placement together. Units with late tasks first."""
    names = {u.id: u.name for u in units}
    groups: dict[tuple[str, Any], dict[str, Any]] = {}
    for task, meeting, notice in sorted(tasks, key=lambda row: _sort_key(row[0])):
        key, shown = _group_of(task, names)
        group = groups.setdefault(
            key,
            {
                "unit": shown,
                "unit_id": key[1] if key[0] == "unit" else None,
                "total": 0,
                **{s: 0 for s in STATES},
                "late": 0,
                "statuses": {s: 0 for s in STATUSES},
                "awaiting_acceptance": 0,
                "late_tasks": [],
            },
        )
        group["total"] += 1
        group[task.state] += 1
        group["statuses"][status_of(task, today)] += 1
        group["awaiting_acceptance"] += awaiting_acceptance(task)
        if is_late(task, today):
            group["late"] += 1
            group["late_tasks"].append(task_view(task, meeting, notice, today))
    return sorted(groups.values(), key=lambda g: (-g["late"], compare_key(g["unit"])))


async def report(uow: UnitOfWork, actor: Actor, today: date, *, body_id: int | None = None) -> dict[str, Any]:
    """The follow-up report (the dashboard) as of ``today`` over the tasks the actor sees
    (``body_id``: a body under the actor's, read-only): totals by state and by status,
    per unit, and every task, overdue first."""
    body, read_only, rows = await _visible(uow, actor, body_id)
    plain = [(t, m, n) for t, m, n, _ in rows]
    units = unit_report(plain, await _units(uow, body.id), today)
    totals = {s: sum(u[s] for u in units) for s in ("total", *STATES, "late")}
    by_status = {s: sum(u["statuses"][s] for u in units) for s in STATUSES}
    rows.sort(key=lambda row: _dashboard_key(row[0], today))
    return {
        "today": today.isoformat(),
        "body": {"id": body.id, "name": body.name},
        "read_only": read_only,
        "totals": totals,
        "by_status": by_status,
        "awaiting_acceptance": sum(u["awaiting_acceptance"] for u in units),
        "units": units,
        "tasks": [task_view(t, m, n, today, a) for t, m, n, a in rows],
    }


def _status_label(task: Task, today: date, lang: str) -> str:
    label = translate(f"followup.status.{status_of(task, today)}", lang)
    if awaiting_acceptance(task):
        label += " " + translate("followup.awaiting_acceptance_note", lang)
    return label


def _short_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


async def report_table(
    uow: UnitOfWork, actor: Actor, today: date, lang: str, *, body_id: int | None = None
) -> Table:
    """The follow-up report as a table for :mod:`phonghop.exports.tables`: one row per
    task, grouped by lead unit (units with late tasks first; overdue first inside)."""
    body, _, rows = await _visible(uow, actor, body_id)
    parent = await uow.session.get(IssuingBody, body.parent_id) if body.parent_id is not None else None
    units = await _units(uow, body.id)
    names = {u.id: u.name for u in units}
    order = [g["unit"] for g in unit_report([(t, m, n) for t, m, n, _ in rows], units, today)]
    grouped: dict[str, list[Row]] = {name: [] for name in order}
    first_shown: dict[tuple[str, Any], str] = {}
    for row in sorted(rows, key=lambda r: _sort_key(r[0])):
        key, shown = _group_of(row[0], names)
        grouped[first_shown.setdefault(key, shown)].append(row)
    cells: list[list[str | int | None]] = []
    groups: list[str | None] = []
    for name in order:
        for i, (task, _, notice, _) in enumerate(
            sorted(grouped[name], key=lambda r: _dashboard_key(r[0], today))
        ):
            groups.append(name if i == 0 else None)
            cells.append(
                [
                    task.text,
                    task.lead_unit,
                    ", ".join(task.cooperating_units),
                    _short_date(task.deadline),
                    _status_label(task, today, lang),
                    notice.number_label,
                ]
            )
    counts = {s: 0 for s in STATUSES}
    for task, *_ in rows:
        counts[status_of(task, today)] += 1

    def tr(key: str, **params: Any) -> str:
        return translate(f"followup.export.{key}", lang, **params)

    return Table(
        body_name=body.name,
        parent_name=parent.name if parent is not None else "",
        title=tr("title"),
        subtitle=tr("subtitle", date=_short_date(today)),
        columns=[
            Column(tr("text"), 60),
            Column(tr("lead_unit"), 25),
            Column(tr("cooperating_units"), 25),
            Column(tr("deadline"), 14, "center"),
            Column(tr("status"), 22),
            Column(tr("notice"), 16, "center"),
        ],
        rows=cells,
        groups=groups,
        notes=[tr("totals", total=len(rows), **counts)],
        stt_header=tr("stt"),
        sheet_name=tr("sheet"),
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
