"""The minutes (biên bản) of a meeting: read with what the meeting recorded, saved with a
version check, exported as DOCX or PDF, and read by the notice drafter.

Who: the meeting's secretary and chair, and the office (``require_meeting_controller``);
delegates and guests do not see the minutes while they are a draft. A save carries the
version it was typed on: another save in between makes it ``minutes_stale`` (409) and
changes nothing, so two consoles never overwrite each other without knowing. A save sends
only the sections it changed; a section never saved is read as the text pre-filled from
the meeting (:mod:`phonghop.domain.minutes`), so votes and speakers recorded after the
first save still reach the sections nobody touched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TypedDict

from sqlalchemy import select

from phonghop.domain import minutes as rules
from phonghop.domain import notice as nd
from phonghop.domain.meeting import Attendance, Classification, MeetingState
from phonghop.domain.notice_votes import recorded_vote
from phonghop.domain.permissions import Actor, MeetingRole, require_meeting_controller
from phonghop.domain.text import fold
from phonghop.errors import Conflict, NotFound
from phonghop.notices.docx import write_docx
from phonghop.notices.minutes import MinutesFacts, MinutesSection, build_minutes
from phonghop.notices.pdf import write_pdf
from phonghop.services import conclusions, meetings, polls
from phonghop.services.audit import record_audit
from phonghop.services.notices.settings import load_body_config
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import AgendaItem, Meeting, MeetingEvent, Minutes, User, utcnow

__all__ = [
    "MinutesView",
    "SectionView",
    "export_minutes",
    "get_minutes",
    "save_minutes",
    "saved_conclusions",
]

_TIMELINE = (
    "meeting.started",
    "meeting.closed",
    "agenda.item_opened",
    "agenda.item_finished",
    "speaker.granted",
)


class SectionView(TypedDict):
    """One section: ``kind`` opening | record | conclusion | closing; ``saved`` false while
    the text is still the pre-filled one."""

    key: str
    kind: str
    item_id: int | None
    number: str
    title: str
    text: str
    saved: bool


class MinutesView(TypedDict):
    meeting_id: int
    version: int
    updated_at: str | None
    updated_by: str | None
    sections: list[SectionView]


@dataclass(frozen=True)
class _Item:
    id: int
    number: str
    title: str


def _numbered(items: Sequence[AgendaItem]) -> list[_Item]:
    """The agenda in order, numbered "1", "1.1", "2" as the console numbers it."""
    out: list[_Item] = []
    top = 0
    sub = 0
    for item in conclusions.agenda_order(items):
        if item.parent_id is None:
            top, sub = top + 1, 0
            out.append(_Item(item.id, str(top), item.title))
        else:
            sub += 1
            out.append(_Item(item.id, f"{top}.{sub}", item.title))
    return out


async def _timeline(
    uow: UnitOfWork, meeting: Meeting
) -> tuple[datetime | None, datetime | None, dict[int, list[int]]]:
    """When the meeting started and closed, and who was given the floor during each item."""
    rows = await uow.session.scalars(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting.id, MeetingEvent.type.in_(_TIMELINE))
        .order_by(MeetingEvent.seq)
    )
    started: datetime | None = None
    closed: datetime | None = None
    current: int | None = None
    speakers: dict[int, list[int]] = {}
    for event in rows:
        data = event.data or {}
        if event.type == "meeting.started" and started is None:
            started = event.created_at
        elif event.type == "meeting.closed":
            closed = event.created_at
        elif event.type == "agenda.item_opened":
            current = data.get("item_id")
        elif event.type == "agenda.item_finished" and data.get("item_id") == current:
            current = None
        elif event.type == "speaker.granted" and current is not None:
            heard = speakers.setdefault(current, [])
            if data.get("participant_id") not in heard:
                heard.append(data["participant_id"])
    if meeting.state != MeetingState.CLOSED.value:
        closed = None
    return started, closed, speakers


def _person(meeting: Meeting, role: MeetingRole) -> nd.Person | None:
    found = next((p for p in meeting.participants if p.role == role.value), None)
    return nd.Person(found.full_name, found.title) if found else None


async def _prefill(uow: UnitOfWork, meeting: Meeting, items: Sequence[_Item], tz: tzinfo) -> dict[str, str]:
    started, closed, heard = await _timeline(uow, meeting)
    invited = [p for p in meeting.participants if p.role != MeetingRole.GUEST.value]
    recorded = any(p.attendance != Attendance.UNKNOWN.value for p in invited)
    opening = rules.OpeningFacts(
        started_at=(started or meeting.starts_at).astimezone(tz),
        location=meeting.location,
        chair=_person(meeting, MeetingRole.CHAIR),
        secretary=_person(meeting, MeetingRole.SECRETARY),
        present=sum(1 for p in invited if Attendance(p.attendance).is_present) if recorded else None,
        invited=len(invited),
        absent=tuple(
            nd.Absentee(p.full_name, p.absence_reason)
            for p in invited
            if p.attendance == Attendance.ABSENT.value
        ),
    )
    names = {p.id: p.full_name for p in meeting.participants}
    votes: dict[int, list[str]] = {}
    for poll in await polls.closed_poll_results(uow, meeting.id):
        vote, _reason = recorded_vote(poll.title, poll.result)
        if vote is not None and poll.agenda_item_id is not None:
            votes.setdefault(poll.agenda_item_id, []).append(nd.vote_sentence(vote))
    rows = await conclusions.by_item(uow, meeting.id)
    facts = [
        rules.ItemFacts(
            item_id=item.id,
            presenter=next((i.presenter for i in meeting.agenda_items if i.id == item.id), ""),
            speakers=tuple(names[pid] for pid in heard.get(item.id, []) if pid in names),
            votes=tuple(votes.get(item.id, [])),
            conclusion=tuple(nd.format_point(point) for point in conclusions.domain_points(rows[item.id]))
            if item.id in rows
            else (),
        )
        for item in items
    ]
    return rules.prefill(opening, facts, closed.astimezone(tz) if closed else None)


async def _controlled(uow: UnitOfWork, actor: Actor, meeting_id: int, *, lock: bool = False) -> Meeting:
    """The meeting, if ``actor`` may read and edit its minutes (secretary, chair, office)."""
    meeting, scoped = await meetings.scoped(uow, actor, meeting_id, lock=lock)
    require_meeting_controller(scoped)
    full = await meetings.load_meeting(uow, actor, meeting.id, full=True)
    return full


async def _view(uow: UnitOfWork, meeting: Meeting, row: Minutes | None, tz: tzinfo) -> MinutesView:
    items = _numbered(meeting.agenda_items)
    filled = await _prefill(uow, meeting, items, tz)
    saved: Mapping[str, str] = row.sections if row is not None else {}
    titles = {item.id: item for item in items}
    sections: list[SectionView] = []
    for key in rules.section_keys(item.id for item in items):
        item_id = rules.item_of(key)
        item = titles.get(item_id) if item_id is not None else None
        kind = key.rsplit(":", 1)[-1] if item_id is not None else key
        sections.append(
            {
                "key": key,
                "kind": kind,
                "item_id": item_id,
                "number": item.number if item else "",
                "title": item.title if item else "",
                "text": saved[key] if key in saved else filled[key],
                "saved": key in saved,
            }
        )
    by_name = None
    if row is not None and row.updated_by is not None:
        user = await uow.session.get(User, row.updated_by)
        by_name = user.full_name if user else None
    return {
        "meeting_id": meeting.id,
        "version": row.version if row is not None else 0,
        "updated_at": meetings.iso(row.updated_at) if row is not None else None,
        "updated_by": by_name,
        "sections": sections,
    }


async def get_minutes(uow: UnitOfWork, actor: Actor, meeting_id: int, *, tz: tzinfo) -> MinutesView:
    """The minutes as the console shows them: every section, saved or pre-filled."""
    meeting = await _controlled(uow, actor, meeting_id)
    return await _view(uow, meeting, await uow.session.get(Minutes, meeting.id), tz)


async def save_minutes(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    version: int,
    sections: Mapping[str, str],
    *,
    tz: tzinfo,
) -> MinutesView:
    """Save the sections given (the others keep their text) on top of ``version``.

    ``minutes_stale`` (409, with who saved and when) when the minutes are no longer at
    ``version``; ``minutes_invalid`` (422) for a section the meeting does not have or a
    text too long. The meeting's row is locked first, so two saves on PostgreSQL are
    decided one after the other.
    """
    meeting = await _controlled(uow, actor, meeting_id, lock=True)
    row = await uow.session.get(Minutes, meeting.id, populate_existing=True)
    current = row.version if row is not None else 0
    if version != current:
        by = await uow.session.get(User, row.updated_by) if row and row.updated_by is not None else None
        raise Conflict(
            "minutes_stale",
            version=current,
            by=by.full_name if by else "",
            at=row.updated_at.astimezone(tz).strftime("%H:%M") if row else "",
        )
    cleaned = rules.clean_sections(sections, (i.id for i in _numbered(meeting.agenda_items)))
    merged = {**(row.sections if row is not None else {}), **cleaned}
    rules.check_total(merged)
    if row is None:
        row = Minutes(meeting_id=meeting.id, sections=merged, version=0)
        uow.session.add(row)
    row.sections = merged
    row.version = current + 1
    row.updated_by = actor.user_id
    row.updated_at = utcnow()
    await uow.session.flush()
    record_audit(
        uow, actor, "minutes.saved", target_type="meeting", target_id=meeting.id, version=row.version
    )
    return await _view(uow, meeting, row, tz)


async def saved_conclusions(uow: UnitOfWork, meeting_id: int) -> dict[int, tuple[str, ...]]:
    """The conclusion of each agenda item as the secretary saved it in the minutes, as the
    notice's points (one per line). No permission check: the notice drafter has one."""
    row = await uow.session.get(Minutes, meeting_id)
    if row is None:
        return {}
    out: dict[int, tuple[str, ...]] = {}
    for key, text in row.sections.items():
        item_id = rules.item_of(key)
        if item_id is not None and key == rules.conclusion_key(item_id):
            points = rules.conclusion_points(text)
            if points:
                out[item_id] = points
    return out


def _file_name(meeting: Meeting, kind: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(meeting.title)).strip("-")[:60].strip("-")
    return f"bien-ban-{meeting.id}" + (f"-{slug}" if slug else "") + f".{kind}"


async def export_minutes(
    uow: UnitOfWork, actor: Actor, meeting_id: int, kind: str, *, tz: tzinfo
) -> tuple[bytes, str]:
    """The minutes as DOCX or PDF in the body's format, and a file name."""
    if kind not in ("pdf", "docx"):
        raise NotFound("minutes_file_not_found")
    meeting = await _controlled(uow, actor, meeting_id)
    view = await _view(uow, meeting, await uow.session.get(Minutes, meeting.id), tz)
    _, config = await load_body_config(uow, meeting.body_id)
    facts = MinutesFacts(
        title=meeting.title,
        meeting_date=meeting.starts_at.astimezone(tz).date(),
        classification=Classification(meeting.classification),
        chair=_person(meeting, MeetingRole.CHAIR),
        secretary=_person(meeting, MeetingRole.SECRETARY),
        sections=tuple(
            MinutesSection(s["kind"], s["number"], s["title"], s["text"]) for s in view["sections"]
        ),
    )
    doc = build_minutes(facts, config.body, config.settings)
    content = write_pdf(doc) if kind == "pdf" else write_docx(doc)
    record_audit(uow, actor, "minutes.exported", target_type="meeting", target_id=meeting.id, kind=kind)
    return content, _file_name(meeting, kind)
