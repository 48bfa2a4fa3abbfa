"""Drafting a conclusion notice from what a closed meeting recorded.

:func:`draft_from_meeting` builds the :class:`~phonghop.domain.notice.MeetingRecord`
(chair, roll call, presenters, conclusions, closed polls) with :func:`meeting_record`,
lets the domain word the draft, and stores it; what could not be used is kept as warnings
on the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from phonghop.domain import notice as nd
from phonghop.domain.meeting import Attendance, Classification, MeetingState
from phonghop.domain.notice_edits import DRAFT
from phonghop.domain.notice_votes import recorded_votes
from phonghop.domain.permissions import Actor, MeetingRole, require_office
from phonghop.domain.text import compare_key, normalize
from phonghop.errors import Conflict, NotFound
from phonghop.services import conclusions, meetings, minutes, polls
from phonghop.services.audit import record_audit
from phonghop.services.notices.settings import BodyConfig, load_body_config
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Meeting, Notice, Participant


@dataclass(frozen=True)
class DraftOptions:
    """What the office says when it asks for a draft.

    ``presiding_participant_id``: who chaired when the chair was marked absent (required
    then, refused otherwise). ``subject``: what the meeting was about ("về …"), for the
    summary line. ``attendance_groups``: the other attendees as written, instead of the
    non-voting participants present. ``secret``: secret content (default: the meeting's
    classification). ``concluded_by``: the body or the leader who presided (default: the
    format's, see :class:`~phonghop.domain.notice.Concluder`).
    """

    presiding_participant_id: int | None = None
    subject: str = ""
    attendance_groups: tuple[str, ...] | None = None
    secret: bool | None = None
    concluded_by: nd.Concluder | None = None


def _warning(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params}


def _person(p: Participant, warnings: list[dict[str, Any]]) -> nd.Person:
    if not p.title.strip():
        warnings.append(_warning("title_missing", name=p.full_name))
    return nd.Person(p.full_name, p.title)


def _presiding(
    parts: list[Participant], presiding_id: int | None, warnings: list[dict[str, Any]]
) -> tuple[nd.Person, bool, nd.Person | None]:
    """The chair, whether they were absent, and who presided instead."""
    chair = next((p for p in parts if p.role == MeetingRole.CHAIR.value), None)
    if chair is None:
        raise Conflict("notice_chair_missing")
    absent = chair.attendance == Attendance.ABSENT.value
    if not absent:
        if presiding_id is not None and presiding_id != chair.id:
            raise Conflict("notice_chair_present", name=chair.full_name)
        return _person(chair, warnings), False, None
    if presiding_id is None:
        raise Conflict("notice_presiding_required", name=chair.full_name)
    deputy = next((p for p in parts if p.id == presiding_id), None)
    if deputy is None:
        raise NotFound("participant_not_found")
    if deputy.attendance == Attendance.ABSENT.value:
        raise Conflict("notice_presiding_absent", name=deputy.full_name)
    return nd.Person(chair.full_name, chair.title), True, _person(deputy, warnings)


def _attendance(
    meeting: Meeting,
    parts: list[Participant],
    member_label: str,
    groups: tuple[str, ...] | None,
    presiding: nd.Person,
    warnings: list[dict[str, Any]],
) -> nd.Attendance | None:
    """Voting members present out of the body's members (``members_total``, else the
    voting members listed), the absent ones with their reasons, the other attendees, and
    the members present by name besides who presided (the State format lists them)."""
    if all(p.attendance == Attendance.UNKNOWN.value for p in parts):
        warnings.append(_warning("attendance_not_recorded"))
        return None
    voting = [p for p in parts if p.voting_member]
    present = sum(1 for p in voting if Attendance(p.attendance).is_present)
    total = meeting.members_total or len(voting)
    absentees = tuple(
        nd.Absentee(p.full_name, p.absence_reason) for p in voting if p.attendance == Attendance.ABSENT.value
    )
    if total < 1 or present > total or len(absentees) > total - present:
        warnings.append(_warning("attendance_inconsistent", present=present, total=total))
        return None
    if groups is None:
        groups = tuple(
            f"đồng chí {p.full_name}, {p.title}" if p.title.strip() else f"đồng chí {p.full_name}"
            for p in parts
            if not p.voting_member and Attendance(p.attendance).is_present
        )
    members = tuple(
        nd.Person(p.full_name, p.title)
        for p in voting
        if Attendance(p.attendance).is_present and compare_key(p.full_name) != compare_key(presiding.name)
    )
    return nd.Attendance(
        present, total, member_label, tuple(normalize(g) for g in groups if normalize(g)), absentees, members
    )


async def meeting_record(
    uow: UnitOfWork, meeting: Meeting, config: BodyConfig, options: DraftOptions, meeting_date: date
) -> tuple[nd.MeetingRecord, list[dict[str, Any]]]:
    """What the meeting recorded, as the notice needs it, and what could not be used.

    ``meeting`` must be loaded with its participants and agenda.
    """
    warnings: list[dict[str, Any]] = []
    parts = sorted(meeting.participants, key=lambda p: (p.position, p.id))
    chair, chair_absent, deputy = _presiding(parts, options.presiding_participant_id, warnings)
    presiding = deputy if chair_absent and deputy is not None else chair
    groups = options.attendance_groups
    attendance = _attendance(meeting, parts, config.member_label, groups, presiding, warnings)
    items = conclusions.agenda_order(meeting.agenda_items)
    heard: list[str] = []
    for item in items:
        if item.presenter.strip() and compare_key(item.presenter) not in {compare_key(h) for h in heard}:
            heard.append(item.presenter)
    rows = await conclusions.by_item(uow, meeting.id)
    # An item with no recorded conclusion takes the one the secretary wrote in the minutes.
    written = await minutes.saved_conclusions(uow, meeting.id)
    agenda: list[nd.AgendaItem] = []
    for top in (i for i in items if i.parent_id is None):
        points: list[nd.ConclusionPoint] = []
        for item in (i for i in items if i.id == top.id or i.parent_id == top.id):
            if item.id in rows:
                points.extend(conclusions.domain_points(rows[item.id]))
            elif item.id in written:
                points.extend(nd.ConclusionPoint(text) for text in written[item.id])
                warnings.append(_warning("conclusion_from_minutes", item=item.title))
        if points:
            agenda.append(nd.AgendaItem(top.title, tuple(points)))
    if not agenda:
        warnings.append(_warning("conclusions_missing"))
    order = {item.id: index for index, item in enumerate(items)}
    votes, vote_warnings = recorded_votes(await polls.closed_poll_results(uow, meeting.id), order)
    warnings.extend(vote_warnings)
    record = nd.MeetingRecord(
        meeting_date=meeting_date,
        chair=chair,
        location=meeting.location,
        subject=normalize(options.subject),
        chair_absent=chair_absent,
        deputy_chair=deputy,
        attendance=attendance,
        heard=tuple(heard),
        agenda_items=tuple(agenda),
        votes=votes,
        concluded_by=options.concluded_by,
    )
    return record, warnings


async def draft_from_meeting(
    uow: UnitOfWork, actor: Actor, meeting_id: int, options: DraftOptions, *, today: date, tz: tzinfo
) -> Notice:
    """A new draft notice from a closed meeting (office staff of the meeting's body).

    ``today`` is the draft's date (the date of issue replaces it); ``tz`` the offices'
    time zone, in which the meeting's date is read. Several drafts of one meeting may
    exist (a correction is a new notice).
    """
    require_office(actor)
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    if meeting.state != MeetingState.CLOSED.value:
        raise Conflict("notice_meeting_not_closed", state=meeting.state)
    _, config = await load_body_config(uow, meeting.body_id)
    meeting_date = meeting.starts_at.astimezone(tz).date()
    record, warnings = await meeting_record(uow, meeting, config, options, meeting_date)
    draft = nd.draft_notice(record, config.body, config.settings, today)
    secret = options.secret
    if secret is None:
        secret = Classification(meeting.classification).is_classified
    notice = Notice(
        body_id=meeting.body_id,
        meeting_id=meeting.id,
        state=DRAFT,
        secret=secret,
        draft=draft.to_dict(),
        summary=draft.summary,
        number_label="",
        warnings=warnings,
        signed=False,
        created_by=actor.user_id,
    )
    uow.session.add(notice)
    await uow.session.flush()
    record_audit(
        uow, actor, "notice.drafted", target_type="notice", target_id=notice.id, meeting_id=meeting.id
    )
    return notice
