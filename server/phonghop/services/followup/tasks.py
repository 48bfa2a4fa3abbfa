"""Tasks: made when a notice is issued, who sees which, their views, reading and changing them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from phonghop.domain.permissions import Actor, require_office, require_same_body
from phonghop.domain.tasks import (
    DONE,
    IN_PROGRESS,
    LEAD_ACCESS,
    MAX_NOTE,
    OFFICE_ACCESS,
    OPEN,
    PENDING,
    STATES,
    STATUSES,
    SUPERIOR_ACCESS,
    TRANSITIONS,
    access_to,
    awaiting_acceptance,
    is_late,
    status_of,
)
from phonghop.domain.text import compare_key, normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.services import conclusions
from phonghop.services.audit import record_audit
from phonghop.services.changes import TASKS, note_change
from phonghop.services.followup.units import _units, unit_matcher
from phonghop.services.meetings import iso
from phonghop.services.notifications import notify, office_users, users_of_unit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    IssuingBody,
    Meeting,
    Notice,
    Task,
    TaskAttachment,
    TaskUpdate,
    User,
    utcnow,
)

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
    for task in made:
        _changed(uow, task, match)
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


def _changed(uow: UnitOfWork, task: Task, match: Callable[[str], int | None]) -> None:
    """The consoles showing this task (its body's office, its lead and cooperating units'
    users) refetch it after commit."""
    units = [task.unit_id, *(match(name) for name in task.cooperating_units)]
    note_change(uow, TASKS, task.id, body_id=task.body_id, units=units)


async def _signal(uow: UnitOfWork, task: Task) -> None:
    _changed(uow, task, unit_matcher(await _units(uow, task.body_id)))


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
    await _signal(uow, task)


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
    await _signal(uow, task)


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
    await _signal(uow, task)


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
    await _signal(uow, task)
