"""What the secretary and the tablets do while the meeting runs.

Each use case locks the meeting row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has
one writer), changes the live state kept on the meeting, and appends the event — all in
one transaction, so the snapshot a late tablet reads always matches the log.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from phonghop.domain import meeting as rules
from phonghop.domain.hygiene import json_text
from phonghop.domain.meeting import Attendance, MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, can_run_meeting, require_meeting_controller
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.services import conclusions, documents, meetings, polls
from phonghop.services.events import append_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Meeting, Participant, utcnow


async def _lock_running(uow: UnitOfWork, actor: Actor, meeting_id: int) -> tuple[Meeting, Actor]:
    """The locked meeting, for the secretary or chair, while it runs."""
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    require_meeting_controller(actor)
    _require_live(meeting)
    return meeting, actor


def _require_live(meeting: Meeting) -> None:
    if not rules.is_live(MeetingState(meeting.state)):
        raise Conflict("meeting_not_running", state=meeting.state)


def _set_live(meeting: Meeting, **changes: Any) -> dict[str, Any]:
    live = dict(meeting.live or {})
    live.update(changes)
    meeting.live = live  # a new dict, so SQLAlchemy sees the JSON change
    return live


async def open_agenda_item(uow: UnitOfWork, actor: Actor, meeting_id: int, item_id: int) -> dict[str, Any]:
    meeting, actor = await _lock_running(uow, actor, meeting_id)
    item = await meetings.load_agenda_item(uow, meeting.id, item_id)
    previous = (meeting.live or {}).get("current_item_id")
    if previous == item.id:
        return {"item_id": item.id}
    item.state = "open"
    _set_live(meeting, current_item_id=item.id)
    await append_event(
        uow, meeting.id, "agenda.item_opened", {"item_id": item.id, "previous_item_id": previous}, actor=actor
    )
    return {"item_id": item.id}


async def finish_agenda_item(uow: UnitOfWork, actor: Actor, meeting_id: int, item_id: int) -> dict[str, Any]:
    meeting, actor = await _lock_running(uow, actor, meeting_id)
    item = await meetings.load_agenda_item(uow, meeting.id, item_id)
    item.state = "done"
    if (meeting.live or {}).get("current_item_id") == item.id:
        _set_live(meeting, current_item_id=None)
    await append_event(uow, meeting.id, "agenda.item_finished", {"item_id": item.id}, actor=actor)
    return {"item_id": item.id}


async def show_page(
    uow: UnitOfWork, actor: Actor, meeting_id: int, document_id: int, page: int
) -> dict[str, Any]:
    """The presenter turns to a page; following tablets turn with it.

    The page must exist in the current version of a document of this meeting that has
    not been recalled.
    """
    meeting, actor = await _lock_running(uow, actor, meeting_id)
    await documents.presentable_page(uow, meeting.id, document_id, page)
    _set_live(meeting, presenter={"document_id": document_id, "page": page})
    await append_event(
        uow, meeting.id, "presenter.page_changed", {"document_id": document_id, "page": page}, actor=actor
    )
    return {"document_id": document_id, "page": page}


async def clear_presenter(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    require_meeting_controller(actor)
    _set_live(meeting, presenter=None)
    await append_event(uow, meeting.id, "presenter.cleared", {}, actor=actor)
    return {}


async def record_attendance(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int, state: Attendance, reason: str
) -> dict[str, Any]:
    participant = await meetings.set_attendance(uow, actor, meeting_id, participant_id, state, reason)
    return dict(meetings.participant_view(participant))


def _queue(meeting: Meeting) -> list[dict[str, Any]]:
    return [dict(entry) for entry in (meeting.live or {}).get("speakers", [])]


async def _speaker_event(
    uow: UnitOfWork,
    meeting: Meeting,
    actor: Actor,
    type_: str,
    participant_id: int,
    queue: list[dict[str, Any]],
) -> dict[str, Any]:
    _set_live(meeting, speakers=queue)
    await append_event(
        uow, meeting.id, type_, {"participant_id": participant_id, "queue": queue}, actor=actor
    )
    return {"queue": queue}


async def request_to_speak(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    _require_live(meeting)
    if actor.participant_id is None or actor.meeting_role is MeetingRole.GUEST:
        raise PermissionDenied("speaker_not_allowed")
    speaker = await uow.session.get(Participant, actor.participant_id)
    if speaker is not None and not speaker.can_speak:  # a substitute without the right (invitations)
        raise PermissionDenied("speak_not_allowed")
    queue = _queue(meeting)
    if any(e["participant_id"] == actor.participant_id for e in queue):
        raise Conflict("speaker_already_queued")
    queue.append(
        {"participant_id": actor.participant_id, "state": "waiting", "since": meetings.iso(utcnow())}
    )
    return await _speaker_event(uow, meeting, actor, "speaker.requested", actor.participant_id, queue)


async def withdraw_request(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    queue = _queue(meeting)
    mine = [e for e in queue if e["participant_id"] == actor.participant_id and e["state"] == "waiting"]
    if actor.participant_id is None or not mine:
        raise Conflict("speaker_not_queued")
    queue = [e for e in queue if e not in mine]
    return await _speaker_event(uow, meeting, actor, "speaker.withdrawn", actor.participant_id, queue)


async def grant_floor(uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int) -> dict[str, Any]:
    """Give the floor to a participant (queued or not); whoever was speaking is done."""
    meeting, actor = await _lock_running(uow, actor, meeting_id)
    participant = await uow.session.get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        raise NotFound("participant_not_found")
    now = meetings.iso(utcnow())
    queue = [e for e in _queue(meeting) if e["state"] != "speaking" and e["participant_id"] != participant_id]
    queue.insert(0, {"participant_id": participant_id, "state": "speaking", "since": now})
    return await _speaker_event(uow, meeting, actor, "speaker.granted", participant_id, queue)


async def finish_speaking(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int
) -> dict[str, Any]:
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    if actor.participant_id != participant_id:
        require_meeting_controller(actor)
    queue = _queue(meeting)
    if not any(e["participant_id"] == participant_id and e["state"] == "speaking" for e in queue):
        raise Conflict("speaker_not_speaking")
    queue = [e for e in queue if e["participant_id"] != participant_id]
    return await _speaker_event(uow, meeting, actor, "speaker.finished", participant_id, queue)


async def start_timer(
    uow: UnitOfWork, actor: Actor, meeting_id: int, seconds: int, label: str
) -> dict[str, Any]:
    meeting, actor = await _lock_running(uow, actor, meeting_id)
    ends_at = meetings.iso(utcnow() + timedelta(seconds=seconds))
    timer = {"label": normalize(label), "seconds": seconds, "ends_at": ends_at}
    _set_live(meeting, timer=timer)
    await append_event(uow, meeting.id, "timer.started", timer, actor=actor)
    return timer


async def stop_timer(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    require_meeting_controller(actor)
    _set_live(meeting, timer=None)
    await append_event(uow, meeting.id, "timer.stopped", {}, actor=actor)
    return {}


async def announce(uow: UnitOfWork, actor: Actor, meeting_id: int, text: str) -> dict[str, Any]:
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    require_meeting_controller(actor)
    text = normalize(text)
    if not text:
        raise InvalidInput("announcement_empty")
    now = utcnow()  # the announcement's time is its event's ts (docs/protocol.md)
    _set_live(meeting, announcement={"text": text, "at": meetings.iso(now)})
    await append_event(uow, meeting.id, "announcement.made", {"text": text}, actor=actor, at=now)
    return {"text": text}


async def snapshot(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Everything a tablet needs to draw the meeting now, and the seq it corresponds to.

    Read in one transaction: ``last_seq`` and the live state were written together.
    """
    parts = await snapshot_parts(uow, actor, meeting_id)
    return {"meeting": parts.meeting, **parts.rest, "seq": parts.seq}


@dataclass(frozen=True)
class SnapshotParts:
    """A snapshot as the socket sends it: the shared ``meeting`` part already encoded."""

    seq: int
    meeting: dict[str, Any]
    meeting_json: str
    rest: dict[str, Any]


async def snapshot_parts(uow: UnitOfWork, actor: Actor, meeting_id: int) -> SnapshotParts:
    meeting = await meetings.load_meeting(uow, actor, meeting_id)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    view, text = await meeting_view_cached(uow, meeting, with_code=can_run_meeting(scoped))
    rest = {
        "live": {
            **_live_view(meeting.live or {}),
            "conclusions": await conclusions.snapshot_view(uow, meeting.id),
            "polls": await polls.snapshot_polls(uow, scoped, meeting),
        },
        "me": {
            "participant_id": scoped.participant_id,
            "role": scoped.meeting_role.value if scoped.meeting_role else None,
            "controller": can_run_meeting(scoped),
        },
    }
    return SnapshotParts(seq=meeting.last_seq, meeting=view, meeting_json=text, rest=rest)


#: The meeting part of recent snapshots, as a dict and as JSON text, by the state it shows.
_VIEWS: OrderedDict[tuple[Any, ...], tuple[dict[str, Any], str]] = OrderedDict()
_VIEWS_KEPT = 32


async def meeting_view_cached(
    uow: UnitOfWork, meeting: Meeting, *, with_code: bool
) -> tuple[dict[str, Any], str]:
    """The snapshot's ``meeting`` for this meeting's state, built once per state.

    Every change a tablet can see appends an event, so ``last_seq`` (with the join code for
    controllers, which changes without one, and ``updated_at``) names the state. A congress
    of 1,600 tablets resuming at once then loads and encodes its 1,600 participants once,
    not 1,600 times (that was 2.5 million rows and the handshakes timed out). Callers must
    not change the returned dict.
    """
    key = (
        meeting.id,
        meeting.last_seq,
        meeting.updated_at,
        with_code,
        meeting.join_code if with_code else None,
    )
    hit = _VIEWS.get(key)
    if hit is not None:
        _VIEWS.move_to_end(key)
        return hit
    await uow.session.refresh(meeting, ["participants", "agenda_items"])
    view: dict[str, Any] = dict(meetings.meeting_detail_view(meeting, with_code=with_code))
    entry = (view, json_text(view))
    _VIEWS[key] = entry
    while len(_VIEWS) > _VIEWS_KEPT:
        _VIEWS.popitem(last=False)
    return entry


def _live_view(live: dict[str, Any]) -> dict[str, Any]:
    return {
        "current_item_id": live.get("current_item_id"),
        "presenter": live.get("presenter"),
        "speakers": live.get("speakers", []),
        "timer": live.get("timer"),
        "announcement": live.get("announcement"),
    }
