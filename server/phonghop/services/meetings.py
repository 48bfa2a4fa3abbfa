"""Preparing and running meetings: details, lifecycle, participants, agenda, join codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from phonghop.domain import meeting as rules
from phonghop.domain.meeting import Attendance, Classification, MeetingAction, MeetingState
from phonghop.domain.permissions import (
    Actor,
    MeetingRole,
    can_run_meeting,
    require_meeting_controller,
    require_office,
    require_participant,
    require_same_body,
)
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.events import audience_of
from phonghop.services.accounts import (
    CLOSE_REMOVED,
    CLOSE_RIGHTS_CHANGED,
    end_access,
    end_meeting_sessions,
    new_join_code,
)
from phonghop.services.audit import record_audit
from phonghop.services.events import append_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import AgendaItem, AuthSession, Meeting, Participant, User, utcnow

MAX_AGENDA_ITEMS = 200
MAX_PARTICIPANTS = 3000


async def load_meeting(uow: UnitOfWork, actor: Actor, meeting_id: int, *, full: bool = False) -> Meeting:
    """The meeting if ``actor`` may see it; another body's meeting is "not found"."""
    query = select(Meeting).where(Meeting.id == meeting_id)
    if full:
        query = query.options(selectinload(Meeting.participants), selectinload(Meeting.agenda_items))
    meeting = await uow.session.scalar(query)
    if meeting is None:
        raise NotFound("meeting_not_found")
    require_same_body(actor, meeting.body_id)
    return meeting


async def actor_in_meeting(uow: UnitOfWork, actor: Actor, meeting: Meeting) -> Actor:
    """``actor`` with their role in this meeting (a staff login that is also a participant)."""
    if actor.meeting_id == meeting.id:
        return actor
    if actor.meeting_id is not None:
        raise NotFound("meeting_not_found")  # a tablet session belongs to one meeting only
    participant = None
    if actor.user_id is not None:
        participant = await uow.session.scalar(
            select(Participant).where(
                Participant.meeting_id == meeting.id, Participant.user_id == actor.user_id
            )
        )
    scoped = actor.in_meeting(
        meeting.id,
        MeetingRole(participant.role) if participant else None,
        participant.id if participant else None,
        can_read=participant.can_read if participant else True,
    )
    require_participant(scoped, meeting.id)
    return scoped


async def scoped(
    uow: UnitOfWork, actor: Actor, meeting_id: int, *, lock: bool = False
) -> tuple[Meeting, Actor]:
    """The meeting ``actor`` may see and the actor with their role in it; another body's
    meeting, or another meeting's tablet, is ``meeting_not_found``.

    With ``lock`` the meeting row is locked until commit (``SELECT ... FOR UPDATE``) and
    read afresh. Every change that appends events takes this lock first, then, if it needs
    one, the poll's row lock (``polls``): **meeting before poll**, always, so that two
    changes never wait on each other.
    """
    if lock:
        meeting = await uow.session.scalar(
            select(Meeting)
            .where(Meeting.id == meeting_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if meeting is None:
            raise NotFound("meeting_not_found")
        require_same_body(actor, meeting.body_id)
    else:
        meeting = await load_meeting(uow, actor, meeting_id)
    return meeting, await actor_in_meeting(uow, actor, meeting)


@dataclass(frozen=True)
class MeetingFields:
    title: str | None = None
    location: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    classification: Classification | None = None
    members_total: int | None = None


def _check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("meeting_ends_before_start")


async def create_meeting(uow: UnitOfWork, actor: Actor, fields: MeetingFields) -> Meeting:
    require_office(actor)
    if not fields.title or not normalize(fields.title) or fields.starts_at is None:
        raise InvalidInput("meeting_title_and_start_required")
    _check_times(fields.starts_at, fields.ends_at)
    meeting = Meeting(
        body_id=actor.body_id,
        title=normalize(fields.title),
        location=normalize(fields.location or ""),
        starts_at=fields.starts_at,
        ends_at=fields.ends_at,
        classification=(fields.classification or Classification.NORMAL).value,
        members_total=fields.members_total,
        state=MeetingState.DRAFT.value,
        created_by=actor.user_id,
        live={},
    )
    uow.session.add(meeting)
    await uow.session.flush()
    await append_event(uow, meeting.id, "meeting.created", {"title": meeting.title}, actor=actor)
    record_audit(uow, actor, "meeting.created", target_type="meeting", target_id=meeting.id)
    return meeting


async def update_meeting(uow: UnitOfWork, actor: Actor, meeting_id: int, fields: MeetingFields) -> Meeting:
    require_office(actor)
    meeting = await load_meeting(uow, actor, meeting_id)
    if not rules.is_editable(MeetingState(meeting.state)):
        raise Conflict("meeting_not_editable", state=meeting.state)
    changed: dict[str, Any] = {}
    if fields.title is not None:
        if not normalize(fields.title):
            raise InvalidInput("meeting_title_and_start_required")
        meeting.title = changed["title"] = normalize(fields.title)
    if fields.location is not None:
        meeting.location = changed["location"] = normalize(fields.location)
    if fields.starts_at is not None:
        meeting.starts_at = fields.starts_at
        changed["starts_at"] = fields.starts_at.isoformat()
    if fields.ends_at is not None:
        meeting.ends_at = fields.ends_at
        changed["ends_at"] = fields.ends_at.isoformat()
    if fields.classification is not None:
        meeting.classification = changed["classification"] = fields.classification.value
    if fields.members_total is not None:
        meeting.members_total = changed["members_total"] = fields.members_total
    _check_times(meeting.starts_at, meeting.ends_at)
    if changed:
        await append_event(uow, meeting.id, "meeting.updated", changed, actor=actor)
    return meeting


async def list_meetings(
    uow: UnitOfWork, actor: Actor, *, state: MeetingState | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Meeting], int]:
    """The body's meetings, newest first; a member sees only the meetings they take part in."""
    query = select(Meeting).where(Meeting.body_id == actor.body_id)
    if not actor.is_staff:
        if actor.meeting_id is not None:
            query = query.where(Meeting.id == actor.meeting_id)
        else:
            mine = select(Participant.meeting_id).where(Participant.user_id == actor.user_id)
            query = query.where(Meeting.id.in_(mine))
    if state is not None:
        query = query.where(Meeting.state == state.value)
    total = int(await uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await uow.session.scalars(
        query.order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


async def change_state(uow: UnitOfWork, actor: Actor, meeting_id: int, action: MeetingAction) -> Meeting:
    """Schedule, start, pause, resume, close or cancel a meeting.

    Preparing (schedule, unschedule, cancel) is the office's; running (start, pause,
    resume, close) is the secretary's or chair's, or the office's in their place.
    """
    meeting = await load_meeting(uow, actor, meeting_id)
    if action in (MeetingAction.SCHEDULE, MeetingAction.UNSCHEDULE, MeetingAction.CANCEL):
        require_office(actor)
    else:
        require_meeting_controller(await actor_in_meeting(uow, actor, meeting))
    new_state = rules.transition(MeetingState(meeting.state), action)
    if action is MeetingAction.SCHEDULE and meeting.join_code is None:
        meeting.join_code = await _unique_join_code(uow)
    meeting.state = new_state.value
    await append_event(
        uow, meeting.id, rules.EVENT_FOR_ACTION[action], {"state": new_state.value}, actor=actor
    )
    detail: dict[str, Any] = {}
    if new_state in (MeetingState.CLOSED, MeetingState.CANCELLED):
        # Tablets that joined without an account end with the meeting (DOMAIN.md: access
        # per attendee, documents recalled after the meeting); accounts keep theirs.
        detail["sessions_ended"] = await end_meeting_sessions(uow, meeting.id)
    record_audit(uow, actor, f"meeting.{action.value}", target_type="meeting", target_id=meeting.id, **detail)
    return meeting


async def _unique_join_code(uow: UnitOfWork) -> str:
    for _ in range(20):
        code = new_join_code()
        if await uow.session.scalar(select(Meeting.id).where(Meeting.join_code == code)) is None:
            return code
    raise Conflict("join_code_exhausted")  # 32**8 codes: practically unreachable


async def reissue_join_code(uow: UnitOfWork, actor: Actor, meeting_id: int) -> Meeting:
    meeting = await load_meeting(uow, actor, meeting_id)
    require_meeting_controller(await actor_in_meeting(uow, actor, meeting))
    if MeetingState(meeting.state) in (MeetingState.CLOSED, MeetingState.CANCELLED):
        raise Conflict("meeting_not_open_for_join")
    meeting.join_code = await _unique_join_code(uow)
    record_audit(uow, actor, "meeting.join_code_reissued", target_type="meeting", target_id=meeting.id)
    return meeting


async def revoke_join_code(uow: UnitOfWork, actor: Actor, meeting_id: int) -> Meeting:
    """No new tablet can join; tablets already in keep their sessions."""
    meeting = await load_meeting(uow, actor, meeting_id)
    require_meeting_controller(await actor_in_meeting(uow, actor, meeting))
    meeting.join_code = None
    record_audit(uow, actor, "meeting.join_code_revoked", target_type="meeting", target_id=meeting.id)
    return meeting


# -- participants -------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantFields:
    user_id: int | None = None
    full_name: str | None = None
    title: str | None = None
    role: MeetingRole | None = None
    voting_member: bool | None = None
    position: int | None = None


async def add_participant(
    uow: UnitOfWork, actor: Actor, meeting_id: int, fields: ParticipantFields
) -> Participant:
    require_office(actor)
    meeting = await load_meeting(uow, actor, meeting_id)
    if not rules.is_editable(MeetingState(meeting.state)):
        raise Conflict("meeting_not_editable", state=meeting.state)
    count = await uow.session.scalar(select(func.count()).where(Participant.meeting_id == meeting.id))
    if (count or 0) >= MAX_PARTICIPANTS:
        raise Conflict("too_many_participants", max=MAX_PARTICIPANTS)
    full_name, title = fields.full_name, fields.title
    if fields.user_id is not None:
        user = await uow.session.get(User, fields.user_id)
        if user is None or user.body_id != meeting.body_id:
            raise NotFound("user_not_found")
        duplicate = await uow.session.scalar(
            select(Participant.id).where(Participant.meeting_id == meeting.id, Participant.user_id == user.id)
        )
        if duplicate is not None:
            raise Conflict("participant_exists")
        full_name = full_name or user.full_name
        title = title if title is not None else user.title
    if not full_name or not normalize(full_name):
        raise InvalidInput("participant_name_required")
    role = fields.role or MeetingRole.DELEGATE
    voting = (
        fields.voting_member
        if fields.voting_member is not None
        else role in (MeetingRole.CHAIR, MeetingRole.DELEGATE)
    )
    if role is MeetingRole.GUEST and voting:
        raise InvalidInput("guest_cannot_vote")
    position = fields.position if fields.position is not None else int(count or 0)
    participant = Participant(
        meeting_id=meeting.id,
        user_id=fields.user_id,
        full_name=normalize(full_name),
        title=normalize(title or ""),
        role=role.value,
        voting_member=voting,
        position=position,
        attendance=Attendance.UNKNOWN.value,
        absence_reason="",
    )
    uow.session.add(participant)
    await uow.session.flush()
    await append_event(uow, meeting.id, "participant.added", participant_view(participant), actor=actor)
    return participant


async def _load_participant(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int
) -> Participant:
    participant = await uow.session.get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting_id:
        raise NotFound("participant_not_found")
    return participant


async def update_participant(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int, fields: ParticipantFields
) -> Participant:
    require_office(actor)
    meeting = await load_meeting(uow, actor, meeting_id)
    if not rules.is_editable(MeetingState(meeting.state)):
        raise Conflict("meeting_not_editable", state=meeting.state)
    participant = await _load_participant(uow, actor, meeting.id, participant_id)
    if fields.full_name is not None:
        if not normalize(fields.full_name):
            raise InvalidInput("participant_name_required")
        participant.full_name = normalize(fields.full_name)
    if fields.title is not None:
        participant.title = normalize(fields.title)
    if fields.role is not None:
        if participant.role != fields.role.value:
            # Its live sockets hold the old role: they reconnect and get the new one.
            end_access(uow, close=CLOSE_RIGHTS_CHANGED, participants=[participant.id])
        participant.role = fields.role.value
    if fields.voting_member is not None:
        participant.voting_member = fields.voting_member
    if fields.position is not None:
        participant.position = fields.position
    if participant.role == MeetingRole.GUEST.value and participant.voting_member:
        raise InvalidInput("guest_cannot_vote")
    await append_event(uow, meeting.id, "participant.updated", participant_view(participant), actor=actor)
    return participant


async def remove_participant(uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int) -> None:
    require_office(actor)
    meeting = await load_meeting(uow, actor, meeting_id)
    if MeetingState(meeting.state) not in (MeetingState.DRAFT, MeetingState.SCHEDULED):
        raise Conflict("meeting_not_editable", state=meeting.state)
    participant = await _load_participant(uow, actor, meeting.id, participant_id)
    await uow.session.delete(participant)
    end_access(uow, close=CLOSE_REMOVED, participants=[participant_id])
    await append_event(
        uow, meeting.id, "participant.removed", {"participant_id": participant_id}, actor=actor
    )


async def set_attendance(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int, state: Attendance, reason: str = ""
) -> Participant:
    """Roll call (điểm danh): the secretary marks each participant present or absent."""
    meeting = await load_meeting(uow, actor, meeting_id)
    require_meeting_controller(await actor_in_meeting(uow, actor, meeting))
    if MeetingState(meeting.state) in (MeetingState.CLOSED, MeetingState.CANCELLED):
        raise Conflict("meeting_not_editable", state=meeting.state)
    participant = await _load_participant(uow, actor, meeting.id, participant_id)
    participant.absence_reason = rules.check_attendance(state, reason)
    participant.attendance = state.value
    await append_event(
        uow,
        meeting.id,
        "attendance.recorded",
        {"participant_id": participant.id, "attendance": state.value, "reason": participant.absence_reason},
        actor=actor,
    )
    return participant


# -- agenda ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaFields:
    title: str | None = None
    presenter: str | None = None
    planned_minutes: int | None = None
    parent_id: int | None = None


async def add_agenda_item(uow: UnitOfWork, actor: Actor, meeting_id: int, fields: AgendaFields) -> AgendaItem:
    """Add an item; during the meeting the secretary may add one too (tablets see it)."""
    meeting = await load_meeting(uow, actor, meeting_id, full=True)
    state = MeetingState(meeting.state)
    if rules.is_live(state):
        require_meeting_controller(await actor_in_meeting(uow, actor, meeting))
    else:
        require_office(actor)
    if not rules.is_editable(state):
        raise Conflict("meeting_not_editable", state=meeting.state)
    if not fields.title or not normalize(fields.title):
        raise InvalidInput("agenda_title_required")
    if len(meeting.agenda_items) >= MAX_AGENDA_ITEMS:
        raise Conflict("too_many_agenda_items", max=MAX_AGENDA_ITEMS)
    if fields.parent_id is not None:
        parent = next((i for i in meeting.agenda_items if i.id == fields.parent_id), None)
        if parent is None:
            raise NotFound("agenda_item_not_found")
        if parent.parent_id is not None:
            raise InvalidInput("agenda_too_deep")
    siblings = [i for i in meeting.agenda_items if i.parent_id == fields.parent_id]
    item = AgendaItem(
        meeting_id=meeting.id,
        parent_id=fields.parent_id,
        position=max((i.position for i in siblings), default=-1) + 1,
        title=normalize(fields.title),
        presenter=normalize(fields.presenter or ""),
        planned_minutes=fields.planned_minutes,
        state="pending",
    )
    uow.session.add(item)
    await uow.session.flush()
    await append_event(uow, meeting.id, "agenda.item_added", agenda_item_view(item), actor=actor)
    return item


async def load_agenda_item(uow: UnitOfWork, meeting_id: int, item_id: int) -> AgendaItem:
    item = await uow.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise NotFound("agenda_item_not_found")
    return item


async def update_agenda_item(
    uow: UnitOfWork, actor: Actor, meeting_id: int, item_id: int, fields: AgendaFields
) -> AgendaItem:
    meeting = await load_meeting(uow, actor, meeting_id)
    state = MeetingState(meeting.state)
    if rules.is_live(state):
        require_meeting_controller(await actor_in_meeting(uow, actor, meeting))
    else:
        require_office(actor)
    if not rules.is_editable(state):
        raise Conflict("meeting_not_editable", state=meeting.state)
    item = await load_agenda_item(uow, meeting.id, item_id)
    if fields.title is not None:
        if not normalize(fields.title):
            raise InvalidInput("agenda_title_required")
        item.title = normalize(fields.title)
    if fields.presenter is not None:
        item.presenter = normalize(fields.presenter)
    if fields.planned_minutes is not None:
        item.planned_minutes = fields.planned_minutes
    await append_event(uow, meeting.id, "agenda.item_updated", agenda_item_view(item), actor=actor)
    return item


async def remove_agenda_item(uow: UnitOfWork, actor: Actor, meeting_id: int, item_id: int) -> None:
    require_office(actor)
    meeting = await load_meeting(uow, actor, meeting_id)
    if MeetingState(meeting.state) not in (MeetingState.DRAFT, MeetingState.SCHEDULED):
        raise Conflict("meeting_not_editable", state=meeting.state)
    item = await load_agenda_item(uow, meeting.id, item_id)
    await uow.session.delete(item)
    await append_event(uow, meeting.id, "agenda.item_removed", {"item_id": item_id}, actor=actor)


async def reorder_agenda(
    uow: UnitOfWork, actor: Actor, meeting_id: int, order: list[int], parent_id: int | None = None
) -> list[AgendaItem]:
    """Put the items under ``parent_id`` (top level when None) in the order given.

    The list must name every such item exactly once, so a stale screen cannot drop one.
    """
    meeting = await load_meeting(uow, actor, meeting_id, full=True)
    state = MeetingState(meeting.state)
    if rules.is_live(state):
        require_meeting_controller(await actor_in_meeting(uow, actor, meeting))
    else:
        require_office(actor)
    if not rules.is_editable(state):
        raise Conflict("meeting_not_editable", state=meeting.state)
    siblings = {i.id: i for i in meeting.agenda_items if i.parent_id == parent_id}
    if sorted(order) != sorted(siblings) or len(set(order)) != len(order):
        raise InvalidInput("agenda_order_mismatch")
    for position, item_id in enumerate(order):
        siblings[item_id].position = position
    await append_event(
        uow, meeting.id, "agenda.reordered", {"parent_id": parent_id, "order": order}, actor=actor
    )
    return [siblings[i] for i in order]


# -- views ------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class ParticipantView(TypedDict):
    """A participant as the API and the events show it."""

    id: int
    user_id: int | None
    full_name: str
    title: str | None
    role: str
    voting_member: bool
    position: int
    attendance: str
    absence_reason: str
    can_read: bool
    can_speak: bool


class AgendaItemView(TypedDict):
    id: int
    parent_id: int | None
    position: int
    title: str
    presenter: str
    planned_minutes: int | None
    state: str


class AgendaNode(AgendaItemView):
    """A top-level agenda item with its sub-items."""

    children: list[AgendaItemView]


class MeetingView(TypedDict):
    """A meeting in lists and after a change; ``join_code`` for those who run it."""

    id: int
    title: str
    location: str
    starts_at: str | None
    ends_at: str | None
    state: str
    classification: str
    members_total: int | None
    last_seq: int
    allowed_actions: list[str]
    join_code: NotRequired[str | None]


class MeetingDetail(MeetingView):
    """A meeting with its participants and agenda."""

    participants: list[ParticipantView]
    agenda: list[AgendaNode]


def participant_view(p: Participant) -> ParticipantView:
    return {
        "id": p.id,
        "user_id": p.user_id,
        "full_name": p.full_name,
        "title": p.title,
        "role": p.role,
        "voting_member": p.voting_member,
        "position": p.position,
        "attendance": p.attendance,
        "absence_reason": p.absence_reason,
        "can_read": p.can_read,
        "can_speak": p.can_speak,
    }


def agenda_item_view(i: AgendaItem) -> AgendaItemView:
    return {
        "id": i.id,
        "parent_id": i.parent_id,
        "position": i.position,
        "title": i.title,
        "presenter": i.presenter,
        "planned_minutes": i.planned_minutes,
        "state": i.state,
    }


def meeting_view(m: Meeting, *, with_code: bool = False) -> MeetingView:
    view: MeetingView = {
        "id": m.id,
        "title": m.title,
        "location": m.location,
        "starts_at": iso(m.starts_at),
        "ends_at": iso(m.ends_at),
        "state": m.state,
        "classification": m.classification,
        "members_total": m.members_total,
        "last_seq": m.last_seq,
        "allowed_actions": [a.value for a in rules.allowed_actions(MeetingState(m.state))],
    }
    if with_code:
        view["join_code"] = m.join_code
    return view


def meeting_detail_view(m: Meeting, *, with_code: bool) -> MeetingDetail:
    items = sorted(m.agenda_items, key=lambda i: (i.position, i.id))
    return MeetingDetail(
        **meeting_view(m, with_code=with_code),
        participants=[participant_view(p) for p in sorted(m.participants, key=lambda p: (p.position, p.id))],
        agenda=[
            AgendaNode(
                **agenda_item_view(i), children=[agenda_item_view(c) for c in items if c.parent_id == i.id]
            )
            for i in items
            if i.parent_id is None
        ],
    )


async def load_meeting_unchecked(uow: UnitOfWork, meeting_id: int) -> Meeting:
    """For the join page, whose caller proved the join code instead of a session."""
    meeting = await uow.session.scalar(
        select(Meeting).where(Meeting.id == meeting_id).options(selectinload(Meeting.participants))
    )
    if meeting is None:
        raise NotFound("meeting_not_found")
    return meeting


async def revoke_participant_sessions(uow: UnitOfWork, actor: Actor, participant_id: int) -> int:
    """The office takes a tablet out of the meeting: its sessions end, its sockets close (4409)."""
    participant = await uow.session.get(Participant, participant_id)
    if participant is None:
        raise NotFound("participant_not_found")
    meeting = await uow.session.get(Meeting, participant.meeting_id)
    assert meeting is not None
    if meeting.body_id != actor.body_id:
        raise NotFound("participant_not_found")
    scoped = actor if actor.meeting_id == meeting.id else await actor_in_meeting(uow, actor, meeting)
    if not can_run_meeting(scoped):
        raise PermissionDenied("secretary_required")
    result = await uow.session.execute(
        update(AuthSession)
        .where(AuthSession.participant_id == participant_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    record_audit(
        uow, scoped, "session.revoked", target_type="participant", target_id=participant_id, count=count
    )
    await append_event(
        uow,
        meeting.id,
        "participant.sessions_revoked",
        {"participant_id": participant_id},
        actor=scoped,
        audience=audience_of([participant_id]),
    )
    return count
