"""Invitations (giấy mời) to a scheduled meeting: each participant's answer, the office's
decision on substitutes (người dự thay), the confirmation table, and the iCalendar file.

* **Answers.** A participant answers from their own session (a tablet joined to the
  meeting, or a staff login that is a participant): ``confirmed``, ``absent`` with a
  reason, or ``substitute`` naming who attends instead. Answers may change while the
  meeting is ``scheduled``, except once the office has accepted a substitute.
* **Substitutes.** The office accepts or refuses a named substitute. Accepting adds the
  substitute as a participant of the meeting (through ``meetings.add_participant``: the
  ``participant.added`` event, same transaction), in the original's place in the list,
  as a delegate (a guest's substitute is a guest), voting only if the office says so and
  the original was a voting member: the vote then passes from the original to the
  substitute, whom the polls count like anyone else.
* **The table.** Every participant with their answer; a participant without a row, or
  whose row sending created, has not answered (``invited``).
* **Sending.** :func:`send_invitations` notifies every participant with a staff account
  (``notification.invitation``, e-mailed when SMTP is configured) and records ``sent_at``
  on their line; sending again reaches only those not sent yet, unless ``resend_all``.
  People without an account get the printed giấy mời (:mod:`phonghop.notices.invitation`).
* **Personal codes.** Whoever joins a tablet with a personal code (everyone but a chair or
  secretary with an account: ``identity.sign_in_with``) finds theirs on their own giấy mời,
  as text and as a QR code opening the join link with it, and in their invitation
  notification (and its e-mail). Only on pages addressed to that one person: the office
  (which prints and hands them out, and sees the codes anyway) downloads anyone's, a
  participant only their own; a page addressed to a list carries no code.
* **Live table, reminders.** Every answer and decision appends ``invitation.answered`` /
  ``invitation.substitute_decided`` for the controllers; an absence or a named substitute
  also notifies the office. The office reminds those who have not answered
  (:func:`remind_unanswered`); :func:`due_reminders` does it once, a day before the start.
* **Rights.** Accepting a substitute sets what they may do: read the documents
  (``can_read``), request to speak (``can_speak``), vote (``voting_member``).
* **iCalendar.** :func:`meeting_calendar` writes the meeting as an RFC 5545 VEVENT by hand:
  CRLF lines folded at 75 octets, TEXT values escaped, times in UTC.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select

from phonghop.domain.meeting import MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, require_office
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound
from phonghop.events import AUDIENCE_CONTROLLERS
from phonghop.notices.invitation import Invitee, MeetingFacts, build_invitation, write_invitations
from phonghop.services import identity, meetings, notices
from phonghop.services.audit import record_audit
from phonghop.services.conclusions import agenda_order
from phonghop.services.events import append_event
from phonghop.services.meetings import ParticipantFields, iso
from phonghop.services.notices import BodyConfig
from phonghop.services.notifications import Reminder, notify, office_users
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Invitation, Meeting, Participant, utcnow

INVITED = "invited"
CONFIRMED = "confirmed"
ABSENT = "absent"
SUBSTITUTE = "substitute"
ANSWERS = (CONFIRMED, ABSENT, SUBSTITUTE)

NO_SUBSTITUTE = "none"
PENDING = "pending"
ACCEPTED = "accepted"
REFUSED = "refused"

MAX_REASON = 500
MAX_NAME = 200

#: How long before the start the automatic reminder goes to those who have not answered.
REMIND_BEFORE = timedelta(days=1)

#: The office decides on substitutes until the meeting ends.
_DECIDABLE = frozenset({MeetingState.SCHEDULED, MeetingState.IN_PROGRESS, MeetingState.PAUSED})


@dataclass(frozen=True)
class Answer:
    state: str
    reason: str = ""
    substitute_name: str = ""
    substitute_title: str = ""


def invitation_view(
    participant: Participant, row: Invitation | None, substitute: Participant | None = None
) -> dict[str, Any]:
    """A participant's line of the confirmation table (``substitute``: the participant the
    office added for them, whose rights the line shows)."""
    base: dict[str, Any] = {
        "participant_id": participant.id,
        "full_name": participant.full_name,
        "title": participant.title,
        "role": participant.role,
        "has_account": participant.user_id is not None,
        "state": row.state if row else INVITED,
        "reason": row.reason if row else "",
        "answered_at": iso(row.answered_at) if row else None,
        "sent_at": iso(row.sent_at) if row else None,
        "reminded_at": iso(row.reminded_at) if row else None,
        "substitute": None,
    }
    if row is not None and row.state == SUBSTITUTE:
        base["substitute"] = {
            "full_name": row.substitute_name,
            "title": row.substitute_title,
            "state": row.substitute_state,
            "vote": row.substitute_vote,
            "read": substitute.can_read if substitute is not None else None,
            "speak": substitute.can_speak if substitute is not None else None,
            "participant_id": row.substitute_participant_id,
            "decided_at": iso(row.decided_at),
        }
    return base


def _clean(answer: Answer) -> Answer:
    if answer.state not in ANSWERS:
        raise InvalidInput("invitation_answer_invalid", field="state")
    reason = normalize(answer.reason)
    name, title = normalize(answer.substitute_name), normalize(answer.substitute_title)
    if len(reason) > MAX_REASON:
        raise InvalidInput("invitation_answer_invalid", field="reason")
    if answer.state == ABSENT and not reason:
        raise InvalidInput("invitation_answer_invalid", field="reason")
    if answer.state == SUBSTITUTE and (not name or len(name) > MAX_NAME):
        raise InvalidInput("invitation_answer_invalid", field="substitute_name")
    if len(title) > MAX_NAME:
        raise InvalidInput("invitation_answer_invalid", field="substitute_title")
    if answer.state != SUBSTITUTE and (name or title):
        raise InvalidInput("invitation_answer_invalid", field="substitute_name")
    return Answer(answer.state, reason, name, title)


async def answer(uow: UnitOfWork, actor: Actor, meeting_id: int, given: Answer) -> dict[str, Any]:
    """The actor answers their own invitation (see the module notes)."""
    meeting, scoped = await meetings.scoped(uow, actor, meeting_id, lock=True)
    if scoped.participant_id is None:
        raise Conflict("invitation_not_participant")
    participant = await uow.session.get(Participant, scoped.participant_id)
    assert participant is not None
    return await _record(uow, actor, meeting, participant, given, tell_office=True)


async def record_answer(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int, given: Answer
) -> dict[str, Any]:
    """The office records a participant's answer given by telephone or on paper (most
    delegates have no account to answer with). The same rules as answering oneself; the
    row keeps who recorded it (``answered_by``)."""
    require_office(actor)
    meeting, _scoped = await meetings.scoped(uow, actor, meeting_id, lock=True)
    participant = await uow.session.get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        raise NotFound("participant_not_found")
    substitute_of = await uow.session.scalar(
        select(Invitation.participant_id).where(Invitation.substitute_participant_id == participant.id)
    )
    if substitute_of is not None:
        raise Conflict("invitation_not_participant")  # an accepted substitute was not invited
    return await _record(uow, actor, meeting, participant, given, tell_office=False)


async def _record(
    uow: UnitOfWork,
    actor: Actor,
    meeting: Meeting,
    participant: Participant,
    given: Answer,
    *,
    tell_office: bool,
) -> dict[str, Any]:
    if meeting.state != MeetingState.SCHEDULED.value:
        raise Conflict("invitation_closed", state=meeting.state)
    cleaned = _clean(given)
    row = await uow.session.get(Invitation, participant.id)
    if row is not None and row.substitute_state == ACCEPTED:
        raise Conflict("invitation_substitute_accepted")
    if row is None:
        row = Invitation(participant_id=participant.id, meeting_id=meeting.id)
        uow.session.add(row)
    row.state = cleaned.state
    row.reason = cleaned.reason
    row.substitute_name = cleaned.substitute_name
    row.substitute_title = cleaned.substitute_title
    row.substitute_state = PENDING if cleaned.state == SUBSTITUTE else NO_SUBSTITUTE
    row.substitute_vote = False
    row.substitute_participant_id = None
    row.decided_at = None
    row.decided_by = None
    row.answered_at = utcnow()
    row.answered_by = actor.user_id
    await uow.session.flush()
    view = invitation_view(participant, row)
    await append_event(
        uow, meeting.id, "invitation.answered", view, actor=actor, audience=AUDIENCE_CONTROLLERS
    )
    if tell_office and cleaned.state in (ABSENT, SUBSTITUTE):
        notify(
            uow,
            body_id=meeting.body_id,
            user_ids=await office_users(uow, meeting.body_id),
            kind=f"invitation_{cleaned.state}",
            params={
                "name": participant.full_name,
                "meeting": meeting.title,
                "reason": cleaned.reason,
                "substitute": cleaned.substitute_name,
            },
            link=office_link(meeting.id),
        )
    return view


async def decide_substitute(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    participant_id: int,
    *,
    accept: bool,
    vote: bool,
    read: bool = True,
    speak: bool = True,
) -> dict[str, Any]:
    """The office accepts (with the rights to read, speak and vote it gives) or refuses a
    named substitute."""
    require_office(actor)
    meeting, _scoped = await meetings.scoped(uow, actor, meeting_id, lock=True)
    if MeetingState(meeting.state) not in _DECIDABLE:
        raise Conflict("invitation_closed", state=meeting.state)
    participant = await uow.session.get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        raise NotFound("participant_not_found")
    row = await uow.session.get(Invitation, participant.id)
    if row is None or row.substitute_state != PENDING:
        raise Conflict("invitation_no_pending_substitute")
    if accept and vote and not participant.voting_member:
        raise InvalidInput("invitation_substitute_cannot_vote")
    if accept:
        role = MeetingRole.GUEST if participant.role == MeetingRole.GUEST.value else MeetingRole.DELEGATE
        added = await meetings.add_participant(
            uow,
            actor,
            meeting.id,
            ParticipantFields(
                full_name=row.substitute_name,
                title=row.substitute_title,
                role=role,
                voting_member=vote,
                position=participant.position,
            ),
        )
        row.substitute_participant_id = added.id
        if not (read and speak):
            added.can_read, added.can_speak = read, speak
            await append_event(
                uow, meeting.id, "participant.updated", meetings.participant_view(added), actor=actor
            )
        if vote:
            # The vote passes to the substitute: the body's voting members stay as many as
            # its membership (polls refuse more voters than ``members_total``).
            participant.voting_member = False
            await append_event(
                uow, meeting.id, "participant.updated", meetings.participant_view(participant), actor=actor
            )
        substitute: Participant | None = added
    else:
        substitute = None
    row.substitute_state = ACCEPTED if accept else REFUSED
    row.substitute_vote = accept and vote
    row.decided_at = utcnow()
    row.decided_by = actor.user_id
    await uow.session.flush()
    record_audit(
        uow,
        actor,
        "invitation.substitute_decided",
        target_type="participant",
        target_id=participant.id,
        accepted=accept,
        vote=row.substitute_vote,
        read=accept and read,
        speak=accept and speak,
    )
    view = invitation_view(participant, row, substitute)
    await append_event(
        uow, meeting.id, "invitation.substitute_decided", view, actor=actor, audience=AUDIENCE_CONTROLLERS
    )
    return view


async def confirmation_table(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Every participant's answer, in list order, and the counts per state (office)."""
    require_office(actor)
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    rows = {
        r.participant_id: r
        for r in await uow.session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id))
    }
    substitutes = {r.substitute_participant_id: r.participant_id for r in rows.values()}
    by_id = {p.id: p for p in meeting.participants}
    people = sorted(meeting.participants, key=lambda p: (p.position, p.id))
    lines = []
    for p in people:
        row = rows.get(p.id)
        added = by_id.get(row.substitute_participant_id) if row and row.substitute_participant_id else None
        line = invitation_view(p, row, added)
        line["substitute_for"] = substitutes.get(p.id)
        lines.append(line)
    invited = [line for line in lines if line["substitute_for"] is None]  # substitutes are not invited
    counts = {s: sum(1 for line in invited if line["state"] == s) for s in (INVITED, *ANSWERS)}
    return {"meeting_id": meeting.id, "counts": counts, "invitations": lines}


async def my_invitation(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """The actor's own line (a participant's session)."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if scoped.participant_id is None:
        raise Conflict("invitation_not_participant")
    participant = await uow.session.get(Participant, scoped.participant_id)
    assert participant is not None
    return invitation_view(participant, await uow.session.get(Invitation, participant.id))


# -- sending and reminding --------------------------------------------------------------------


def office_link(meeting_id: int) -> str:
    """Where the office's copy of a notification leads: the meeting's invitations tab."""
    return f"/console/#/meetings/{meeting_id}/invitations"


def member_link(meeting_id: int) -> str:
    """Where a participant's invitation leads: their own answer in the console."""
    return f"/console/#/invitation/{meeting_id}"


def local_time(value: datetime, tz: tzinfo) -> str:
    """ "08:00 30/11/2026": the meeting's start in the office's time zone, for notifications."""
    return value.astimezone(tz).strftime("%H:%M %d/%m/%Y")


async def _lines(uow: UnitOfWork, meeting: Meeting) -> list[tuple[Participant, Invitation | None, bool]]:
    """Every participant in list order with their row, and whether they are someone's
    accepted substitute (substitutes are not invited themselves)."""
    people = list(
        await uow.session.scalars(
            select(Participant)
            .where(Participant.meeting_id == meeting.id)
            .order_by(Participant.position, Participant.id)
        )
    )
    rows = {
        r.participant_id: r
        for r in await uow.session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id))
    }
    added = {r.substitute_participant_id for r in rows.values() if r.substitute_participant_id}
    return [(p, rows.get(p.id), p.id in added) for p in people]


def _row_for(
    uow: UnitOfWork, meeting: Meeting, participant: Participant, row: Invitation | None
) -> Invitation:
    if row is None:
        row = Invitation(
            participant_id=participant.id,
            meeting_id=meeting.id,
            state=INVITED,
            reason="",
            substitute_name="",
            substitute_title="",
            substitute_state=NO_SUBSTITUTE,
            substitute_vote=False,
        )
        uow.session.add(row)
    return row


def personal_code_for(p: Participant, meeting: Meeting) -> str:
    """The participant's personal code if they join a tablet with one, else "" (a chair or
    secretary with an account signs in with it; no join code yet, nothing to join)."""
    if not p.personal_code or not meeting.join_code or identity.sign_in_with(p) != "code":
        return ""
    return p.personal_code


def _params(meeting: Meeting, tz: tzinfo) -> dict[str, Any]:
    return {
        "meeting": meeting.title,
        "starts_at": local_time(meeting.starts_at, tz),
        "location": meeting.location,
    }


async def send_invitations(
    uow: UnitOfWork, actor: Actor, meeting_id: int, tz: tzinfo, *, resend_all: bool = False
) -> dict[str, Any]:
    """Send the invitation of a scheduled meeting: a notification (``invitation``, or
    ``invitation_with_code`` with the personal code of one who joins a tablet with it) to
    every participant with a staff account, ``sent_at`` recorded on each line. Lines already
    sent are skipped unless ``resend_all``. Participants without an account are listed in
    ``without_account`` (they get the printed giấy mời) and keep ``sent_at`` empty."""
    require_office(actor)
    meeting, _scoped = await meetings.scoped(uow, actor, meeting_id, lock=True)
    if meeting.state != MeetingState.SCHEDULED.value:
        raise Conflict("invitation_not_scheduled", state=meeting.state)
    now = utcnow()
    sent: list[int] = []
    without_account: list[int] = []
    for participant, row, is_substitute in await _lines(uow, meeting):
        if is_substitute:
            continue
        if participant.user_id is None:
            without_account.append(participant.id)
            continue
        if row is not None and row.sent_at is not None and not resend_all:
            continue
        row = _row_for(uow, meeting, participant, row)
        row.sent_at = now
        # The personal code goes to its holder only: their own notification and e-mail.
        code = personal_code_for(participant, meeting)
        params = _params(meeting, tz)
        if code:
            params.update(personal_code=code, join_code=meeting.join_code)
        notify(
            uow,
            body_id=meeting.body_id,
            user_ids=[participant.user_id],
            kind="invitation_with_code" if code else "invitation",
            params=params,
            link=member_link(meeting.id),
        )
        sent.append(participant.id)
    await uow.session.flush()
    record_audit(uow, actor, "invitation.sent", target_type="meeting", target_id=meeting.id, count=len(sent))
    return {"sent": len(sent), "participant_ids": sent, "without_account": without_account}


def _unanswered(row: Invitation | None) -> bool:
    return row is None or row.state == INVITED


async def remind_unanswered(uow: UnitOfWork, actor: Actor, meeting_id: int, tz: tzinfo) -> dict[str, Any]:
    """The office's "remind those who have not answered": a notification
    (``invitation_reminder``) to each such participant with an account; ``reminded_at``
    recorded. How many were reminded."""
    require_office(actor)
    meeting, _scoped = await meetings.scoped(uow, actor, meeting_id, lock=True)
    if meeting.state != MeetingState.SCHEDULED.value:
        raise Conflict("invitation_not_scheduled", state=meeting.state)
    now = utcnow()
    reminded: list[int] = []
    for participant, row, is_substitute in await _lines(uow, meeting):
        if is_substitute or participant.user_id is None or not _unanswered(row):
            continue
        row = _row_for(uow, meeting, participant, row)
        row.reminded_at = now
        notify(
            uow,
            body_id=meeting.body_id,
            user_ids=[participant.user_id],
            kind="invitation_reminder",
            params=_params(meeting, tz),
            link=member_link(meeting.id),
        )
        reminded.append(participant.id)
    await uow.session.flush()
    return {"reminded": len(reminded), "participant_ids": reminded}


async def due_reminders(uow: UnitOfWork, now: datetime, tz: tzinfo) -> list[Reminder]:
    """From REMIND_BEFORE ahead of the start of a scheduled meeting, a reminder to each
    participant with an account who has not answered (key
    ``invitation:<meeting>:<participant>:before``, so once each)."""
    meetings_due = await uow.session.scalars(
        select(Meeting).where(
            Meeting.state == MeetingState.SCHEDULED.value,
            Meeting.starts_at > now,
            Meeting.starts_at <= now + REMIND_BEFORE,
        )
    )
    due: list[Reminder] = []
    for meeting in meetings_due:
        for participant, row, is_substitute in await _lines(uow, meeting):
            if is_substitute or participant.user_id is None or not _unanswered(row):
                continue
            due.append(
                Reminder(
                    key=f"invitation:{meeting.id}:{participant.id}:before",
                    body_id=meeting.body_id,
                    user_ids=(participant.user_id,),
                    kind="invitation_reminder",
                    params=_params(meeting, tz),
                    link=member_link(meeting.id),
                )
            )
    return due


# -- the printed giấy mời ----------------------------------------------------------------------


def _render_pdf(config: BodyConfig, facts: MeetingFacts, groups: list[list[Invitee]]) -> bytes:
    with notices.RENDER_LOCK:  # reportlab's font state is per process: one layout at a time
        docs = [
            build_invitation(config.body, config.settings, config.body.default_signature, facts, group)
            for group in groups
        ]
        return write_invitations(docs)


def _invitee(p: Participant, meeting: Meeting, base_url: str, with_code: bool) -> Invitee:
    """The addressee of a page; with their personal code if they join with one."""
    code = personal_code_for(p, meeting) if with_code else ""
    if not code or not meeting.join_code:
        return Invitee(p.full_name, p.title)
    link = identity.personal_link(base_url, meeting.join_code, code)
    return Invitee(p.full_name, p.title, personal_code=code, personal_link=link)


async def _pdf(
    uow: UnitOfWork, meeting: Meeting, people: list[Participant], tz: tzinfo, as_list: bool, base_url: str
) -> bytes:
    if not people:
        raise Conflict("invitation_nobody")
    _body, config = await notices.load_body_config(uow, meeting.body_id)
    agenda = tuple(i.title for i in agenda_order(meeting.agenda_items) if i.parent_id is None)
    facts = MeetingFacts(
        title=meeting.title,
        starts_at=meeting.starts_at.astimezone(tz),
        location=meeting.location,
        agenda=agenda,
        issue_date=utcnow().astimezone(tz).date(),
        join_code=meeting.join_code or "",
    )
    invitees = [_invitee(p, meeting, base_url, not as_list) for p in people]
    groups = [invitees] if as_list else [[i] for i in invitees]
    return await asyncio.to_thread(_render_pdf, config, facts, groups)


async def invitations_pdf(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    tz: tzinfo,
    *,
    participant_id: int | None = None,
    as_list: bool = False,
    base_url: str = "",
) -> tuple[bytes, str]:
    """The office's printable giấy mời: one page per invited participant (accepted
    substitutes left out), one participant's page, or one page addressed to the list.
    ``base_url``: the server's address as the tablets reach it, for the QR codes."""
    require_office(actor)
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    lines = await _lines(uow, meeting)
    if participant_id is not None:
        people = [p for p, _row, _sub in lines if p.id == participant_id]
        if not people:
            raise NotFound("participant_not_found")
    else:
        people = [p for p, _row, is_substitute in lines if not is_substitute]
    return await _pdf(uow, meeting, people, tz, as_list, base_url), f"giay-moi-{meeting.id}.pdf"


async def my_invitation_pdf(
    uow: UnitOfWork, actor: Actor, meeting_id: int, tz: tzinfo, base_url: str = ""
) -> tuple[bytes, str]:
    """The actor's own giấy mời (a participant's session), with their own personal code."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if scoped.participant_id is None:
        raise Conflict("invitation_not_participant")
    participant = await uow.session.get(Participant, scoped.participant_id)
    assert participant is not None
    return await _pdf(uow, meeting, [participant], tz, False, base_url), f"giay-moi-{meeting.id}.pdf"


# -- iCalendar (RFC 5545) ----------------------------------------------------------------------


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newline escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold_line(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character;
    each continuation begins with a space."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # the leading space counts
        current += ch
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_calendar(meeting: Meeting, agenda: list[str], *, now: datetime, host: str) -> str:
    """The meeting as an iCalendar object with one VEVENT (CRLF line ends)."""
    status = "CANCELLED" if meeting.state == MeetingState.CANCELLED.value else "CONFIRMED"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//phonghop//phonghop//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}-{int(meeting.created_at.timestamp())}@{host}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(meeting.starts_at)}",
    ]
    if meeting.ends_at is not None:
        lines.append(f"DTEND:{_utc(meeting.ends_at)}")
    lines.append(f"SUMMARY:{escape_text(meeting.title)}")
    if meeting.location:
        lines.append(f"LOCATION:{escape_text(meeting.location)}")
    if agenda:
        lines.append("DESCRIPTION:" + escape_text("\n".join(f"{i}. {t}" for i, t in enumerate(agenda, 1))))
    lines += [
        f"LAST-MODIFIED:{_utc(meeting.updated_at)}",
        f"STATUS:{status}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold_line(line) + "\r\n" for line in lines)


async def calendar_file(uow: UnitOfWork, actor: Actor, meeting_id: int, *, host: str) -> tuple[str, str]:
    """The meeting's .ics text and a file name, for anyone who may see the meeting."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    await meetings.actor_in_meeting(uow, actor, meeting)
    agenda = [i.title for i in agenda_order(meeting.agenda_items) if i.parent_id is None]
    return meeting_calendar(meeting, agenda, now=utcnow(), host=host), f"cuoc-hop-{meeting.id}.ics"
