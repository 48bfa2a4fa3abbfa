"""Conclusions (kết luận) recorded per agenda item, the material of the conclusion notice.

While the meeting runs the secretary or the chair records, for an agenda item, the
conclusion points — what is decided, who leads (chủ trì), who cooperates (phối hợp), by
when — and optionally a free summary (websocket command ``agenda.record_conclusion``).
After the meeting the office corrects them over HTTP, until a notice drafted from the
meeting has been issued: from then on the record the notice was made from is frozen (a
correction is a new notice, edited as a draft).

Each change replaces the item's conclusion and appends ``agenda.conclusion_recorded``
(audience "all") in the same transaction; the snapshot's ``live.conclusions`` is read
from the same rows, after the meeting row, so a snapshot is never older than its ``seq``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from phonghop.domain import meeting as rules
from phonghop.domain import notice as nd
from phonghop.domain.meeting import MeetingState
from phonghop.domain.permissions import Actor, require_meeting_controller, require_office
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput
from phonghop.services import meetings
from phonghop.services.audit import record_audit
from phonghop.services.events import append_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import AgendaItem, Conclusion, Meeting, Notice

MAX_POINTS = 50
MAX_COOPERATING = 20
MAX_TEXT = 2000
MAX_UNIT = 300
MAX_SUMMARY = 5000

#: Meeting states in which the office may correct conclusions over HTTP: once it began.
_RECORDABLE = frozenset({MeetingState.IN_PROGRESS, MeetingState.PAUSED, MeetingState.CLOSED})


@dataclass(frozen=True)
class PointFields:
    """One conclusion as a client sends it."""

    text: str
    chu_tri: str = ""
    phoi_hop: tuple[str, ...] = ()
    deadline: date | None = None


def clean_points(points: Sequence[PointFields]) -> list[dict[str, Any]]:
    """The points as stored: NFC, spaces folded, empty cooperating units dropped.

    Raises ``InvalidInput("conclusion_invalid", field=...)`` naming the first bad field
    (``points[2].text``): an empty text, a text or unit over its length, too many points
    or units, or cooperating units without a lead unit ("chủ trì, phối hợp với …").
    """
    if len(points) > MAX_POINTS:
        raise InvalidInput("conclusion_invalid", field="points")
    out: list[dict[str, Any]] = []
    for i, point in enumerate(points):
        where = f"points[{i}]"
        text, lead = normalize(point.text), normalize(point.chu_tri)
        cooperating = [normalize(p) for p in point.phoi_hop if normalize(p)]
        if not text or len(text) > MAX_TEXT:
            raise InvalidInput("conclusion_invalid", field=f"{where}.text")
        if len(lead) > MAX_UNIT:
            raise InvalidInput("conclusion_invalid", field=f"{where}.chu_tri")
        if len(cooperating) > MAX_COOPERATING or any(len(p) > MAX_UNIT for p in cooperating):
            raise InvalidInput("conclusion_invalid", field=f"{where}.phoi_hop")
        if cooperating and not lead:
            raise InvalidInput("conclusion_invalid", field=f"{where}.phoi_hop")
        out.append(
            {
                "text": text,
                "chu_tri": lead,
                "phoi_hop": cooperating,
                "deadline": point.deadline.isoformat() if point.deadline else None,
            }
        )
    return out


def conclusion_view(item_id: int, row: Conclusion | None) -> dict[str, Any]:
    """``{"item_id", "summary", "points"}``; an item without a record has none."""
    if row is None:
        return {"item_id": item_id, "summary": "", "points": []}
    return {"item_id": item_id, "summary": row.summary, "points": [dict(p) for p in row.points]}


def domain_points(row: Conclusion) -> tuple[nd.ConclusionPoint, ...]:
    """The record as the notice drafts it: the free summary (if any) first, as a point
    of its own, then the structured points."""
    points = [nd.ConclusionPoint(row.summary)] if row.summary.strip() else []
    for p in row.points:
        deadline = p.get("deadline")
        points.append(
            nd.ConclusionPoint(
                text=p["text"],
                chu_tri=p.get("chu_tri", ""),
                phoi_hop=tuple(p.get("phoi_hop", ())),
                deadline=date.fromisoformat(deadline) if deadline else None,
            )
        )
    return tuple(points)


async def by_item(uow: UnitOfWork, meeting_id: int) -> dict[int, Conclusion]:
    rows = await uow.session.scalars(select(Conclusion).where(Conclusion.meeting_id == meeting_id))
    return {row.agenda_item_id: row for row in rows}


async def snapshot_view(uow: UnitOfWork, meeting_id: int) -> dict[str, Any]:
    """``live.conclusions`` of the snapshot: item id (as a string) -> summary and points."""
    return {
        str(item_id): {"summary": row.summary, "points": [dict(p) for p in row.points]}
        for item_id, row in sorted((await by_item(uow, meeting_id)).items())
    }


async def _issued_notice_exists(uow: UnitOfWork, meeting_id: int) -> bool:
    found = await uow.session.scalar(
        select(Notice.id).where(Notice.meeting_id == meeting_id, Notice.state == "issued").limit(1)
    )
    return found is not None


async def _save(
    uow: UnitOfWork,
    actor: Actor,
    meeting: Meeting,
    item_id: int,
    points: Sequence[PointFields],
    summary: str | None,
) -> dict[str, Any]:
    item: AgendaItem = await meetings.load_agenda_item(uow, meeting.id, item_id)
    cleaned = clean_points(points)
    row = await uow.session.get(Conclusion, item.id)
    if summary is not None:
        summary = normalize(summary)
        if len(summary) > MAX_SUMMARY:
            raise InvalidInput("conclusion_invalid", field="summary")
    if row is None:
        row = Conclusion(agenda_item_id=item.id, meeting_id=meeting.id, summary=summary or "", points=cleaned)
        uow.session.add(row)
    else:
        row.points = cleaned
        if summary is not None:
            row.summary = summary
    row.updated_by = actor.user_id
    await uow.session.flush()
    view = conclusion_view(item.id, row)
    await append_event(uow, meeting.id, "agenda.conclusion_recorded", view, actor=actor)
    return view


async def record_conclusion(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    item_id: int,
    points: Sequence[PointFields],
    summary: str | None = None,
) -> dict[str, Any]:
    """The secretary or the chair records an item's conclusion while the meeting runs.

    The points replace the item's points; ``summary`` replaces its summary, or is kept
    when ``None``.
    """
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    require_meeting_controller(actor)
    if not rules.is_live(MeetingState(meeting.state)):
        raise Conflict("meeting_not_running", state=meeting.state)
    return await _save(uow, actor, meeting, item_id, points, summary)


async def put_conclusion(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    item_id: int,
    points: Sequence[PointFields],
    summary: str,
) -> dict[str, Any]:
    """The office corrects an item's conclusion (summary and points, both replaced).

    Refused before the meeting began or after it was cancelled
    (``conclusion_not_recordable``), and once a notice drafted from the meeting has been
    issued (``conclusion_notice_issued``).
    """
    require_office(actor)
    meeting, actor = await meetings.scoped(uow, actor, meeting_id, lock=True)
    if MeetingState(meeting.state) not in _RECORDABLE:
        raise Conflict("conclusion_not_recordable", state=meeting.state)
    if await _issued_notice_exists(uow, meeting.id):
        raise Conflict("conclusion_notice_issued")
    view = await _save(uow, actor, meeting, item_id, points, summary)
    record_audit(uow, actor, "conclusion.updated", target_type="agenda_item", target_id=item_id)
    return view


async def get_conclusion(uow: UnitOfWork, actor: Actor, meeting_id: int, item_id: int) -> dict[str, Any]:
    """An item's conclusion, for anyone who may see the meeting."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id)
    await meetings.actor_in_meeting(uow, actor, meeting)
    item = await meetings.load_agenda_item(uow, meeting.id, item_id)
    return conclusion_view(item.id, await uow.session.get(Conclusion, item.id))


async def list_conclusions(uow: UnitOfWork, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """Every agenda item's conclusion (empty ones too), in agenda order: top-level items,
    each followed by its sub-items."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    await meetings.actor_in_meeting(uow, actor, meeting)
    rows = await by_item(uow, meeting.id)
    return [conclusion_view(item.id, rows.get(item.id)) for item in agenda_order(meeting.agenda_items)]


def agenda_order(items: Sequence[AgendaItem]) -> list[AgendaItem]:
    """Top-level items by (position, id), each followed by its sub-items in the same order."""
    ordered = sorted(items, key=lambda i: (i.position, i.id))
    out: list[AgendaItem] = []
    for top in (i for i in ordered if i.parent_id is None):
        out.append(top)
        out.extend(i for i in ordered if i.parent_id == top.id)
    return out
