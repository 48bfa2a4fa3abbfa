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
  the original was a voting member: the polls then count the substitute like anyone else.
* **The table.** Every participant with their answer; a participant without a row has
  not answered (``invited``).
* **iCalendar.** :func:`meeting_calendar` writes the meeting as an RFC 5545 VEVENT by hand:
  CRLF lines folded at 75 octets, TEXT values escaped, times in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from phonghop.domain.meeting import MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, require_office
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound
from phonghop.services import meetings
from phonghop.services.audit import record_audit
from phonghop.services.conclusions import agenda_order
from phonghop.services.meetings import ParticipantFields, iso
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

#: The office decides on substitutes until the meeting ends.
_DECIDABLE = frozenset({MeetingState.SCHEDULED, MeetingState.IN_PROGRESS, MeetingState.PAUSED})


@dataclass(frozen=True)
class Answer:
    state: str
    reason: str = ""
    substitute_name: str = ""
    substitute_title: str = ""


def invitation_view(participant: Participant, row: Invitation | None) -> dict[str, Any]:
    """A participant's line of the confirmation table."""
    base: dict[str, Any] = {
        "participant_id": participant.id,
        "full_name": participant.full_name,
        "title": participant.title,
        "role": participant.role,
        "state": row.state if row else INVITED,
        "reason": row.reason if row else "",
        "answered_at": iso(row.answered_at) if row else None,
        "substitute": None,
    }
    if row is not None and row.state == SUBSTITUTE:
        base["substitute"] = {
            "full_name": row.substitute_name,
            "title": row.substitute_title,
            "state": row.substitute_state,
            "vote": row.substitute_vote,
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


async def _lock_meeting(uow: UnitOfWork, actor: Actor, meeting_id: int) -> Meeting:
    meeting = await uow.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if meeting is None or meeting.body_id != actor.body_id:
        raise NotFound("meeting_not_found")
    return meeting


async def answer(uow: UnitOfWork, actor: Actor, meeting_id: int, given: Answer) -> dict[str, Any]:
    """The actor answers their own invitation (see the module notes)."""
    meeting = await _lock_meeting(uow, actor, meeting_id)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if scoped.participant_id is None:
        raise Conflict("invitation_not_participant")
    if meeting.state != MeetingState.SCHEDULED.value:
        raise Conflict("invitation_closed", state=meeting.state)
    cleaned = _clean(given)
    participant = await uow.session.get(Participant, scoped.participant_id)
    assert participant is not None
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
    return invitation_view(participant, row)


async def decide_substitute(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int, *, accept: bool, vote: bool
) -> dict[str, Any]:
    """The office accepts (with or without the vote) or refuses a named substitute."""
    require_office(actor)
    meeting = await _lock_meeting(uow, actor, meeting_id)
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
    )
    return invitation_view(participant, row)


async def confirmation_table(uow: UnitOfWork, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Every participant's answer, in list order, and the counts per state (office)."""
    require_office(actor)
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    rows = {
        r.participant_id: r
        for r in await uow.session.scalars(select(Invitation).where(Invitation.meeting_id == meeting.id))
    }
    substitutes = {r.substitute_participant_id: r.participant_id for r in rows.values()}
    people = sorted(meeting.participants, key=lambda p: (p.position, p.id))
    lines = []
    for p in people:
        line = invitation_view(p, rows.get(p.id))
        line["substitute_for"] = substitutes.get(p.id)
        lines.append(line)
    counts = {s: sum(1 for line in lines if line["state"] == s) for s in (INVITED, *ANSWERS)}
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
