"""Written opinions (lấy ý kiến bằng văn bản): outside a meeting the office sends a
question on a draft to some of the body's users, who answer by a deadline.

* **Answers.** ``agree`` (đồng ý), ``disagree`` (không đồng ý) or ``other`` (ý kiến khác,
  with a text). One answer per member: the member's row (primary key consultation, user)
  holds it. Sending the same answer again changes nothing; a different one is refused
  (``opinion_already_given``) unless the consultation allows changes.
* **Closed.** When the office closed it (``closed_at``), or once its deadline has passed:
  worked out when read (no background job). Answers then are refused
  (``consultation_closed``, ``consultation_deadline_passed``).
* **Result.** Counts per answer and who did not answer, read from the rows (which no
  longer change once closed): :func:`closed_consultation_results` gives them as plain
  dataclasses, for a notice to cite like a vote.
* **Who.** The body's office staff and administrators create, close and see the tally;
  a member sees only the consultations sent to them, and only their own answer. Another
  body's consultations, and those not sent to a member, do not exist
  (404 ``consultation_not_found``).
* **On a draft.** A consultation may name a document of the body (``document_id``): its
  members read the current version's pages through the consultation while it is open
  (:func:`draft_page_access`; the office chose who reads it, whatever the document's own
  access list says; a classified draft is still watermarked and every page served is
  audited). An answer may point at a page and a section of the draft; answers with a text
  go into the draft's comment table (:mod:`phonghop.services.comments`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from phonghop.domain.permissions import Actor, require_office
from phonghop.domain.sections import find_headings
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound
from phonghop.services.audit import record_audit
from phonghop.services.comments import table_changed
from phonghop.services.documents import PageAccess
from phonghop.services.meetings import iso
from phonghop.services.notifications import Reminder, notify
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    Consultation,
    ConsultationMember,
    Document,
    DocumentPage,
    DocumentVersion,
    Meeting,
    User,
    utcnow,
)

AGREE = "agree"
DISAGREE = "disagree"
OTHER = "other"
CHOICES = (AGREE, DISAGREE, OTHER)

MAX_TITLE = 300
MAX_QUESTION = 20000
MAX_TEXT = 5000
MAX_MEMBERS = 500
MAX_SECTION = 200


@dataclass(frozen=True)
class Member:
    user_id: int
    full_name: str
    title: str


@dataclass(frozen=True)
class ConsultationResult:
    """The result of a closed consultation, as a notice cites it."""

    id: int
    title: str
    meeting_id: int | None
    deadline: datetime
    closed_at: datetime
    total: int
    agree: int
    disagree: int
    other: int
    not_answered: tuple[Member, ...]


def is_closed(c: Consultation, now: datetime) -> bool:
    return c.closed_at is not None or now >= c.deadline


def closed_at(c: Consultation) -> datetime:
    """When it closed: by the office, or at its deadline."""
    return c.closed_at if c.closed_at is not None and c.closed_at < c.deadline else c.deadline


def _is_office(actor: Actor) -> bool:
    return actor.is_staff


async def _get(uow: UnitOfWork, actor: Actor, consultation_id: int, *, lock: bool = False) -> Consultation:
    """The consultation, if the actor may see it: office of its body, or a member it was sent to."""
    query = select(Consultation).where(Consultation.id == consultation_id)
    if lock:
        query = query.with_for_update()
    c = await uow.session.scalar(query)
    if c is None or c.body_id != actor.body_id:
        raise NotFound("consultation_not_found")
    if not _is_office(actor) and (actor.user_id is None or await _row(uow, c.id, actor.user_id) is None):
        raise NotFound("consultation_not_found")
    return c


async def _row(uow: UnitOfWork, consultation_id: int, user_id: int) -> ConsultationMember | None:
    return await uow.session.get(ConsultationMember, (consultation_id, user_id))


async def _members(uow: UnitOfWork, consultation_id: int) -> list[tuple[ConsultationMember, User]]:
    rows = await uow.session.execute(
        select(ConsultationMember, User)
        .join(User, User.id == ConsultationMember.user_id)
        .where(ConsultationMember.consultation_id == consultation_id)
        .order_by(User.full_name, User.id)
    )
    return [(m, u) for m, u in rows]


def _base_view(c: Consultation, now: datetime) -> dict[str, Any]:
    closed = is_closed(c, now)
    return {
        "id": c.id,
        "title": c.title,
        "question": c.question,
        "meeting_id": c.meeting_id,
        "document_id": c.document_id,
        "deadline": iso(c.deadline),
        "allow_change": c.allow_change,
        "created_at": iso(c.created_at),
        "closed": closed,
        "closed_at": iso(closed_at(c)) if closed else None,
        "closed_by_office": c.closed_at is not None and c.closed_at < c.deadline,
    }


def _answer_view(m: ConsultationMember) -> dict[str, Any] | None:
    if not m.choice:
        return None
    return {
        "choice": m.choice,
        "text": m.text,
        "page": m.page,
        "section": m.section,
        "answered_at": iso(m.answered_at),
    }


def _tally(members: Sequence[tuple[ConsultationMember, User]]) -> dict[str, int]:
    counts = {choice: 0 for choice in CHOICES}
    for m, _ in members:
        if m.choice:
            counts[m.choice] += 1
    answered = sum(counts.values())
    return {"total": len(members), "answered": answered, "not_answered": len(members) - answered, **counts}


async def view(uow: UnitOfWork, actor: Actor, consultation_id: int, now: datetime) -> dict[str, Any]:
    """The office: the consultation, the tally and every member's answer. A member: the
    consultation and their own answer."""
    c = await _get(uow, actor, consultation_id)
    out = _base_view(c, now)
    document = await uow.session.get(Document, c.document_id) if c.document_id is not None else None
    out["document"] = {"id": document.id, "title": document.title} if document is not None else None
    if _is_office(actor):
        members = await _members(uow, c.id)
        out["tally"] = _tally(members)
        out["members"] = [
            {"user_id": u.id, "full_name": u.full_name, "title": u.title, "answer": _answer_view(m)}
            for m, u in members
        ]
    else:
        assert actor.user_id is not None
        row = await _row(uow, c.id, actor.user_id)
        assert row is not None
        out["my_answer"] = _answer_view(row)
        out["can_answer"] = not is_closed(c, now) and (not row.choice or c.allow_change)
    return out


async def list_consultations(uow: UnitOfWork, actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """The office: all of the body's, newest first. A member: those sent to them."""
    query = select(Consultation).where(Consultation.body_id == actor.body_id)
    if not _is_office(actor):
        if actor.user_id is None:
            return []
        query = query.join(ConsultationMember, ConsultationMember.consultation_id == Consultation.id).where(
            ConsultationMember.user_id == actor.user_id
        )
    out = []
    for c in await uow.session.scalars(query.order_by(Consultation.id.desc())):
        item = _base_view(c, now)
        if not _is_office(actor):
            assert actor.user_id is not None
            row = await _row(uow, c.id, actor.user_id)
            item["my_answer"] = _answer_view(row) if row is not None else None
        out.append(item)
    return out


async def create(
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    *,
    title: str,
    question: str,
    deadline: datetime,
    member_ids: Sequence[int],
    allow_change: bool = False,
    meeting_id: int | None = None,
    document_id: int | None = None,
    tz: tzinfo = UTC,
) -> int:
    """Send a consultation to ``member_ids`` (active users of the body), on the draft
    ``document_id`` (a document of the body) if given; returns its id. Each member gets a
    notification (e-mailed when SMTP is configured) with the deadline in ``tz``."""
    require_office(actor)
    title, question = normalize(title), question.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput("consultation_invalid", field="title")
    if not question or len(question) > MAX_QUESTION:
        raise InvalidInput("consultation_invalid", field="question")
    if deadline.tzinfo is None or deadline <= now:
        raise InvalidInput("consultation_deadline_invalid")
    ids = sorted(set(member_ids))
    if not ids or len(ids) > MAX_MEMBERS:
        raise InvalidInput("consultation_members_invalid")
    found = set(
        await uow.session.scalars(
            select(User.id).where(User.id.in_(ids), User.body_id == actor.body_id, User.active.is_(True))
        )
    )
    if found != set(ids):
        raise InvalidInput("consultation_members_invalid")
    if meeting_id is not None:
        meeting = await uow.session.get(Meeting, meeting_id)
        if meeting is None or meeting.body_id != actor.body_id:
            raise NotFound("meeting_not_found")
    if document_id is not None:
        await _body_document(uow, actor.body_id, document_id)
    c = Consultation(
        body_id=actor.body_id,
        meeting_id=meeting_id,
        document_id=document_id,
        title=title,
        question=question,
        deadline=deadline,
        allow_change=allow_change,
        created_by=actor.user_id,
        created_at=now,
    )
    uow.session.add(c)
    await uow.session.flush()
    uow.session.add_all(
        ConsultationMember(consultation_id=c.id, user_id=uid, choice="", text="") for uid in ids
    )
    await uow.session.flush()
    notify(
        uow,
        body_id=actor.body_id,
        user_ids=ids,
        kind="consultation_sent",
        params={"title": title, "deadline": deadline.astimezone(tz).strftime("%H:%M %d/%m/%Y")},
        link=f"/console/#/opinions/{c.id}",
    )
    record_audit(
        uow, actor, "consultation.create", target_type="consultation", target_id=c.id, members=len(ids)
    )
    return c.id


async def _body_document(uow: UnitOfWork, body_id: int, document_id: int) -> Document:
    """A document of the body (another body's does not exist)."""
    document = await uow.session.get(Document, document_id)
    meeting = await uow.session.get(Meeting, document.meeting_id) if document is not None else None
    if document is None or meeting is None or meeting.body_id != body_id:
        raise NotFound("document_not_found")
    return document


async def _current_version(uow: UnitOfWork, document_id: int) -> DocumentVersion:
    version = await uow.session.scalar(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )
    if version is None:
        raise NotFound("document_not_found")
    return version


async def answer(
    uow: UnitOfWork,
    actor: Actor,
    consultation_id: int,
    now: datetime,
    *,
    choice: str,
    text: str = "",
    page: int | None = None,
    section: str = "",
) -> bool:
    """Record the actor's answer, pointing at ``page`` and ``section`` of the draft if
    given; ``False`` when it is the answer already given (no change)."""
    if choice not in CHOICES:
        raise InvalidInput("opinion_choice_invalid", choice=choice)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput("opinion_text_too_long", limit=MAX_TEXT)
    if choice == OTHER and not text:
        raise InvalidInput("opinion_text_required")
    section = normalize(section)
    if len(section) > MAX_SECTION:
        raise InvalidInput("opinion_section_too_long", limit=MAX_SECTION)
    c = await _get(uow, actor, consultation_id, lock=True)
    version_id = None
    if c.document_id is None and (page is not None or section):
        raise InvalidInput("opinion_place_without_draft")
    if c.document_id is not None:
        version = await _current_version(uow, c.document_id)
        if page is not None and not 1 <= page <= version.page_count:
            raise InvalidInput("opinion_page_invalid", page=page, page_count=version.page_count)
        version_id = version.id
    assert actor.user_id is not None
    row = await _row(uow, c.id, actor.user_id)
    if row is None:  # office staff it was not sent to
        raise NotFound("consultation_not_found")
    if c.closed_at is not None:
        raise Conflict("consultation_closed")
    if now >= c.deadline:
        raise Conflict("consultation_deadline_passed")
    if row.choice == choice and row.text == text and row.page == page and row.section == section:
        return False
    if row.choice and not c.allow_change:
        raise Conflict("opinion_already_given")
    row.choice, row.text, row.answered_at = choice, text, now
    row.page, row.section, row.document_version_id = page, section, version_id
    await uow.session.flush()
    if c.document_id is not None:  # the answer is a comment in the draft's table
        document = await uow.session.get(Document, c.document_id)
        if document is not None:
            table_changed(uow, document, c.body_id)
    return True


async def close(uow: UnitOfWork, actor: Actor, consultation_id: int, now: datetime) -> None:
    """The office closes the consultation before its deadline."""
    require_office(actor)
    c = await _get(uow, actor, consultation_id, lock=True)
    if is_closed(c, now):
        raise Conflict("consultation_closed")
    c.closed_at, c.closed_by = now, actor.user_id
    await uow.session.flush()
    record_audit(uow, actor, "consultation.close", target_type="consultation", target_id=c.id)


async def _open_draft(uow: UnitOfWork, actor: Actor, consultation_id: int, now: datetime) -> Document:
    """The consultation's draft, while the actor may read it through the consultation:
    the office always, a member while it is open."""
    c = await _get(uow, actor, consultation_id)
    if c.document_id is None:
        raise NotFound("document_not_found")
    if not _is_office(actor) and is_closed(c, now):
        raise Conflict("consultation_closed")
    return await _body_document(uow, actor.body_id, c.document_id)


async def draft_view(uow: UnitOfWork, actor: Actor, consultation_id: int, now: datetime) -> dict[str, Any]:
    """The draft a consultation is on: its current version (pages and their sizes) and
    the sections found in its text, for the member to point at."""
    document = await _open_draft(uow, actor, consultation_id, now)
    version = await _current_version(uow, document.id)
    rows = await uow.session.execute(
        select(DocumentPage.page, DocumentPage.text).where(DocumentPage.version_id == version.id)
    )
    texts: dict[int, str] = {page: text for page, text in rows}
    headings = find_headings([texts.get(n, "") for n in range(1, version.page_count + 1)])
    return {
        "document_id": document.id,
        "title": document.title,
        "classification": document.classification,
        "version": {
            "id": version.id,
            "number": version.number,
            "page_count": version.page_count,
            "pages": [{"width": w, "height": h} for w, h in version.pages],
        },
        "sections": [{"page": x.page, "label": x.label, "title": x.title} for x in headings],
    }


async def draft_page_access(
    uow: UnitOfWork, actor: Actor, consultation_id: int, page: int, now: datetime
) -> PageAccess:
    """A page of the consultation's draft (its current version) for the actor to read."""
    document = await _open_draft(uow, actor, consultation_id, now)
    version = await _current_version(uow, document.id)
    return PageAccess.grant(document, version, actor, page, downloadable=False)


async def not_answered(uow: UnitOfWork, actor: Actor, consultation_id: int) -> list[dict[str, Any]]:
    """Who has not answered yet (for the office's reminders)."""
    require_office(actor)
    c = await _get(uow, actor, consultation_id)
    return [
        {"user_id": u.id, "full_name": u.full_name, "title": u.title}
        for m, u in await _members(uow, c.id)
        if not m.choice
    ]


async def closed_consultation_results(
    uow: UnitOfWork, body_id: int, now: datetime | None = None
) -> list[ConsultationResult]:
    """The results of the body's closed consultations (closed by the office or by their
    deadline), oldest first."""
    moment = now or utcnow()
    query = select(Consultation).where(Consultation.body_id == body_id).order_by(Consultation.id)
    out = []
    for c in await uow.session.scalars(query):
        if not is_closed(c, moment):
            continue
        members = await _members(uow, c.id)
        tally = _tally(members)
        out.append(
            ConsultationResult(
                id=c.id,
                title=c.title,
                meeting_id=c.meeting_id,
                deadline=c.deadline,
                closed_at=closed_at(c),
                total=tally["total"],
                agree=tally[AGREE],
                disagree=tally[DISAGREE],
                other=tally[OTHER],
                not_answered=tuple(Member(u.id, u.full_name, u.title) for m, u in members if not m.choice),
            )
        )
    return out


# -- reminders -----------------------------------------------------------------------------------

#: How long before the deadline members who have not answered are reminded.
REMIND_BEFORE = timedelta(hours=24)


async def due_reminders(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> list[Reminder]:
    """One reminder per open consultation, REMIND_BEFORE ahead of its deadline, to the
    members who have not answered yet (a consultation made less than that before its
    deadline is reminded at once; that is what its members would want)."""
    rows = await uow.session.scalars(
        select(Consultation).where(
            Consultation.closed_at.is_(None),
            Consultation.deadline > now,
            Consultation.deadline <= now + REMIND_BEFORE,
        )
    )
    due: list[Reminder] = []
    for c in rows:
        waiting = await uow.session.scalars(
            select(ConsultationMember.user_id).where(
                ConsultationMember.consultation_id == c.id, ConsultationMember.choice == ""
            )
        )
        due.append(
            Reminder(
                key=f"consultation:{c.id}:before",
                body_id=c.body_id,
                user_ids=tuple(waiting),
                kind="consultation_before",
                params={"title": c.title, "deadline": c.deadline.astimezone(tz).strftime("%H:%M %d/%m/%Y")},
                link=f"/console/#/opinions/{c.id}",
            )
        )
    return due
