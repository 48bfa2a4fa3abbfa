"""Follow-up of conclusions (theo dõi, đôn đốc): every conclusion point with a lead unit
becomes a task when a notice of its meeting is issued, and the office follows it to done.

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
  :class:`~phonghop.storage.models.TaskUpdate` row (who, when, from, to, note).
* **Late.** A task is late when its deadline has passed (the deadline day itself is still
  on time) and it is neither done nor cancelled. "Today" is the office's date
  (``settings.timezone``), given by the caller.
* **Units.** The body's units (đơn vị), kept by its administrators. A task's ``unit_id``
  is the unit whose name, or else whose short name (when only one unit has it), equals the
  lead unit as written, ignoring case and tone-mark placement (``compare_key``). It is
  derived: set when the task is made, and worked out again for the body's tasks whenever
  a unit is added, renamed or removed. The report groups by unit where there is one, by
  the written name's key otherwise.
* **Who.** The body's office staff and administrators; another body's tasks and units do
  not exist for them (404 ``task_not_found``, ``unit_not_found``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from phonghop.domain.permissions import Actor, require_admin, require_office, require_same_body
from phonghop.domain.text import compare_key, normalize
from phonghop.errors import Conflict, InvalidInput, NotFound
from phonghop.services import conclusions
from phonghop.services.audit import record_audit
from phonghop.services.meetings import iso
from phonghop.services.notifications import Reminder, users_of_unit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Meeting, Notice, Task, TaskUpdate, Unit, utcnow

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
        TaskUpdate(task_id=t.id, actor_user_id=notice.issued_by, from_state=None, to_state=OPEN, note="")
        for t in made
    )
    await uow.session.flush()
    return made


# -- views ---------------------------------------------------------------------------------------


def is_late(task: Task, today: date) -> bool:
    return task.state in PENDING and task.deadline is not None and task.deadline < today


#: What the office's dashboard shows of a task (derived from its state, deadline, done date
#: and the office's date): not_started | in_progress | overdue | done_on_time | done_late |
#: cancelled.
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


def task_view(task: Task, meeting: Meeting, notice: Notice, today: date) -> dict[str, Any]:
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
        "done_on": task.done_on.isoformat() if task.done_on else None,
        "source": {
            "meeting": {"id": meeting.id, "title": meeting.title, "starts_at": iso(meeting.starts_at)},
            "notice": {"id": notice.id, "number_label": notice.number_label, "summary": notice.summary},
            "agenda_item_id": task.agenda_item_id,
            "point_no": task.point_no,
        },
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }


def update_view(row: TaskUpdate) -> dict[str, Any]:
    return {
        "at": iso(row.at),
        "user_id": row.actor_user_id,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "note": row.note,
    }


def _sort_key(task: Task) -> tuple[bool, date, int]:
    """Deadline first (none last), then creation order."""
    return (task.deadline is None, task.deadline or date.max, task.id)


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFilter:
    """``unit`` matches the lead unit or a cooperating unit, whatever the case and the
    tone-mark placement ("sở tài chính" finds "Sở Tài chính")."""

    state: str | None = None
    unit: str = ""
    unit_id: int | None = None
    late: bool | None = None
    meeting_id: int | None = None
    notice_id: int | None = None


async def _rows(uow: UnitOfWork, body_id: int) -> list[tuple[Task, Meeting, Notice]]:
    stmt = (
        select(Task, Meeting, Notice)
        .join(Meeting, Meeting.id == Task.meeting_id)
        .join(Notice, Notice.id == Task.notice_id)
        .where(Task.body_id == body_id)
    )
    return [(row[0], row[1], row[2]) for row in await uow.session.execute(stmt)]


async def list_tasks(
    uow: UnitOfWork,
    actor: Actor,
    today: date,
    where: TaskFilter,
    *,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The body's tasks matching ``where``, by deadline (none last), and their total."""
    require_office(actor)
    if where.state is not None and where.state not in STATES:
        raise InvalidInput("invalid_query", field="state")
    unit = compare_key(normalize(where.unit))
    found = []
    for task, meeting, notice in await _rows(uow, actor.body_id):
        if where.state is not None and task.state != where.state:
            continue
        if where.meeting_id is not None and task.meeting_id != where.meeting_id:
            continue
        if where.notice_id is not None and task.notice_id != where.notice_id:
            continue
        if where.unit_id is not None and task.unit_id != where.unit_id:
            continue
        if where.late is not None and is_late(task, today) != where.late:
            continue
        units = [task.lead_unit, *task.cooperating_units]
        if unit and unit not in {compare_key(u) for u in units}:
            continue
        found.append((task, meeting, notice))
    found.sort(key=lambda row: _sort_key(row[0]))
    page = found[offset : offset + limit]
    return [task_view(t, m, n, today) for t, m, n in page], len(found)


async def _load(uow: UnitOfWork, actor: Actor, task_id: int, *, lock: bool = False) -> Task:
    require_office(actor)
    stmt = select(Task).where(Task.id == task_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = await uow.session.scalar(stmt)
    if task is None:
        raise NotFound("task_not_found")
    require_same_body(actor, task.body_id, "task")
    return task


async def get_task(uow: UnitOfWork, actor: Actor, task_id: int, today: date) -> dict[str, Any]:
    """A task with its history, oldest change first."""
    task = await _load(uow, actor, task_id)
    meeting = await uow.session.get(Meeting, task.meeting_id)
    notice = await uow.session.get(Notice, task.notice_id)
    assert meeting is not None and notice is not None  # referenced by foreign keys
    history = await uow.session.scalars(
        select(TaskUpdate).where(TaskUpdate.task_id == task.id).order_by(TaskUpdate.id)
    )
    return {**task_view(task, meeting, notice, today), "history": [update_view(h) for h in history]}


# -- changing ------------------------------------------------------------------------------------


async def update_task(
    uow: UnitOfWork, actor: Actor, task_id: int, today: date, *, state: str | None, note: str
) -> None:
    """Change a task's state (with an optional note) or, with ``state`` None or unchanged,
    write a progress note (then required).

    Raises ``InvalidInput("task_state_invalid")`` for an unknown state,
    ``InvalidInput("task_note_invalid")`` for a missing or too long note, and
    ``Conflict("task_transition_invalid", from_state, to_state)``.
    """
    task = await _load(uow, actor, task_id, lock=True)
    if state is not None and state not in STATES:
        raise InvalidInput("task_state_invalid", state=state)
    note = normalize(note)
    if len(note) > MAX_NOTE:
        raise InvalidInput("task_note_invalid", limit=MAX_NOTE)
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
    task.updated_at = utcnow()
    uow.session.add(
        TaskUpdate(
            task_id=task.id,
            actor_user_id=actor.user_id,
            from_state=before,
            to_state=target,
            note=note,
        )
    )
    await uow.session.flush()
    record_audit(
        uow, actor, "task.updated", target_type="task", target_id=task.id, from_state=before, to_state=target
    )


# -- the report ----------------------------------------------------------------------------------


def unit_report(
    tasks: Sequence[tuple[Task, Meeting, Notice]], units: Sequence[Unit], today: date
) -> list[dict[str, Any]]:
    """Per lead unit: counts by state, how many are late, and the late tasks. Tasks of a
    unit of the body are counted under its name (``unit_id`` set); others under the name
    as first written, spellings that differ only in case or tone-mark placement together."""
    names = {u.id: u.name for u in units}
    groups: dict[tuple[str, Any], dict[str, Any]] = {}
    for task, meeting, notice in sorted(tasks, key=lambda row: _sort_key(row[0])):
        if task.unit_id is not None and task.unit_id in names:
            key: tuple[str, Any] = ("unit", task.unit_id)
            shown = names[task.unit_id]
        else:
            key, shown = ("name", compare_key(task.lead_unit)), task.lead_unit
        group = groups.setdefault(
            key,
            {
                "unit": shown,
                "unit_id": key[1] if key[0] == "unit" else None,
                "total": 0,
                **{s: 0 for s in STATES},
                "late": 0,
                "late_tasks": [],
            },
        )
        group["total"] += 1
        group[task.state] += 1
        if is_late(task, today):
            group["late"] += 1
            group["late_tasks"].append(task_view(task, meeting, notice, today))
    return sorted(groups.values(), key=lambda g: (-g["late"], compare_key(g["unit"])))


async def report(uow: UnitOfWork, actor: Actor, today: date) -> dict[str, Any]:
    """The body's follow-up report as of ``today``: units with late tasks first."""
    require_office(actor)
    rows = await _rows(uow, actor.body_id)
    units = unit_report(rows, await _units(uow, actor.body_id), today)
    totals = {s: sum(u[s] for u in units) for s in ("total", *STATES, "late")}
    return {"today": today.isoformat(), "totals": totals, "units": units}


# -- reminders -----------------------------------------------------------------------------------

#: Days before the deadline when the lead unit is reminded first.
REMIND_DAYS_BEFORE = 3


async def due_reminders(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> list[Reminder]:
    """Reminders to the lead unit's users: ``before`` from REMIND_DAYS_BEFORE days ahead of
    the deadline, ``due`` from the deadline day on (a server that was off that day still
    sends it, once). Only tasks still to do whose lead unit is one of the body's units."""
    today = now.astimezone(tz).date()
    rows = await uow.session.scalars(
        select(Task).where(
            Task.state.in_(PENDING),
            Task.deadline.is_not(None),
            Task.unit_id.is_not(None),
            Task.deadline <= today + timedelta(days=REMIND_DAYS_BEFORE),
        )
    )
    due: list[Reminder] = []
    for task in rows:
        assert task.deadline is not None and task.unit_id is not None
        users = tuple(await users_of_unit(uow, task.body_id, task.unit_id))
        which = "due" if task.deadline <= today else "before"
        params = {"text": task.text[:200], "deadline": task.deadline.strftime("%d/%m/%Y")}
        due.append(
            Reminder(
                key=f"task:{task.id}:{which}",
                body_id=task.body_id,
                user_ids=users,
                kind=f"task_{which}",
                params=params,
                link=f"/console/#/tasks/{task.id}",
            )
        )
    return due
