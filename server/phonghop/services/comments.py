"""The comment table (bảng tổng hợp ý kiến) of a draft: every comment on it, consolidated
by section, and the drafting unit's answer to each.

* **Comments.** The answers with a text to the written consultations on the draft
  (``Consultation.document_id``), and the annotations that delegates marked as feedback on
  any version of it (``Annotation.feedback``; the annotation stays private otherwise: its
  text goes into the table with its owner's name, nothing else of it). A comment's key:
  ``o<consultation>-<user>`` or ``a<annotation>``.
* **Sections.** The section the member wrote, matched to the draft's headings when it
  names one ("điều 5, khoản 2" goes under "Điều 5. ..."); else the last heading on or
  before the comment's page (above the mark, for an annotation) found in the text of the
  version commented on (:mod:`phonghop.domain.sections`); else the general comments (ý kiến
  chung), first. Inside a section, by page, then by when the comment was given.
* **Answers.** The drafting unit (``Document.unit_id``) answers each comment: accepted
  (tiếp thu), explained (giải trình) or not accepted (không tiếp thu), with a text (required
  but for accepted). Without a drafting unit the office answers. A comment changed after its
  answer shows ``changed_since_answer``.
* **Closing.** The drafting unit or the office closes the table: its content is kept as it
  was (``CommentTable.snapshot``) and nothing changes it any more (no answers, no marking
  or unmarking of feedback); the office may reopen it.
* **Who.** The body's office staff see every table; the drafting unit's users see their
  documents' tables; for anyone else (another unit, another body) the table does not exist
  (404 ``document_not_found``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from phonghop.domain.permissions import Actor, require_same_body
from phonghop.domain.sections import Heading, find_headings, match_section, section_at
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.exports.tables import Column, Table
from phonghop.services.audit import record_audit
from phonghop.services.changes import COMMENT_TABLE, note_change
from phonghop.services.meetings import iso
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    Annotation,
    CommentAnswer,
    CommentTable,
    Consultation,
    ConsultationMember,
    Document,
    DocumentPage,
    DocumentVersion,
    IssuingBody,
    Meeting,
    Participant,
    Unit,
    User,
)
from phonghop.translations import translate

ACCEPTED = "accepted"
EXPLAINED = "explained"
REJECTED = "rejected"
ANSWER_KINDS = (ACCEPTED, EXPLAINED, REJECTED)
MAX_ANSWER = 5000
MAX_SECTION = 200
#: Where a comment with no section and no page goes: before every section.
GENERAL_ORDER = -1.0
#: A section written by hand that names no heading and has no page: after every section.
UNKNOWN_ORDER = 1e9


# -- access -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Draft:
    document: Document
    meeting: Meeting
    #: The actor may answer the comments (the drafting unit, or the office without one).
    may_answer: bool
    is_office: bool


async def _draft(uow: UnitOfWork, actor: Actor, document_id: int) -> _Draft:
    document = await uow.session.get(Document, document_id)
    meeting = await uow.session.get(Meeting, document.meeting_id) if document is not None else None
    if document is None or meeting is None:
        raise NotFound("document_not_found")
    require_same_body(actor, meeting.body_id, "document")
    drafting = document.unit_id is not None and actor.unit_id == document.unit_id
    if not (actor.is_staff or drafting):
        raise NotFound("document_not_found")
    may_answer = drafting if document.unit_id is not None else actor.is_staff
    return _Draft(document, meeting, may_answer, actor.is_staff)


def table_changed(uow: UnitOfWork, document: Document, body_id: int) -> None:
    """The consoles showing this draft's table refetch it after commit."""
    note_change(uow, COMMENT_TABLE, document.id, body_id=body_id, units=[document.unit_id])


async def table_closed(uow: UnitOfWork, document_id: int) -> bool:
    row = await uow.session.get(CommentTable, document_id)
    return row is not None and row.closed_at is not None


# -- consolidating ------------------------------------------------------------------------------


@dataclass
class Comment:
    key: str
    source: str  # opinion | annotation
    author: str
    author_title: str
    author_unit: str
    text: str
    page: int | None
    version: int | None
    #: What the table's "draft content" column says: the section as written or found.
    section: str
    #: The group it goes under (a heading's line, the section as written) or None: general.
    group: str | None
    order: float
    at: datetime
    consultation_id: int | None = None
    answer: dict[str, Any] | None = field(default=None)

    def view(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "source": self.source,
            "author": {"name": self.author, "title": self.author_title, "unit": self.author_unit},
            "text": self.text,
            "page": self.page,
            "version": self.version,
            "section": self.section,
            "consultation_id": self.consultation_id,
            "at": iso(self.at),
            "answer": self.answer,
        }


class _Headings:
    """The headings of each version of the draft, read once per request."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._found: dict[int, list[Heading]] = {}

    async def of(self, version_id: int | None) -> list[Heading]:
        if version_id is None:
            return []
        if version_id not in self._found:
            rows = await self.uow.session.execute(
                select(DocumentPage.page, DocumentPage.text)
                .where(DocumentPage.version_id == version_id)
                .order_by(DocumentPage.page)
            )
            texts: dict[int, str] = {page: text for page, text in rows}
            pages = [texts.get(n, "") for n in range(1, max(texts, default=0) + 1)]
            self._found[version_id] = find_headings(pages)
        return self._found[version_id]


def _place(
    headings: Sequence[Heading], written: str, page: int | None, position: float | None
) -> tuple[str, str | None, float]:
    """(the "draft content" text, the group, the group's order) of one comment."""
    if written:
        named = match_section(headings, written)
        if named is not None:
            return written, named.title, float(named.order)
        near = section_at(headings, page) if page is not None else None
        return written, written, (near.order + 0.5) if near is not None else UNKNOWN_ORDER
    if page is not None:
        found = section_at(headings, page, position)
        if found is not None:
            return found.label, found.title, float(found.order)
    return "", None, GENERAL_ORDER


def _position(a: Annotation) -> float | None:
    """How far down the page the mark starts (0..1), when the kind says."""
    data = a.data or {}
    try:
        if a.kind == "comment":
            return float(data["y"])
        if a.kind == "note":
            return float(data["rect"][1])
        if a.kind == "highlight":
            return float(min(r[1] for r in data["rects"]))
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None


def feedback_text(a: Annotation) -> str:
    """The comment an annotation marked as feedback makes: the text added when marking,
    else the annotation's own text."""
    own = (a.data or {}).get("text")
    return a.feedback_text or (own if isinstance(own, str) else "")


async def _units(uow: UnitOfWork, body_id: int) -> dict[int, str]:
    rows = await uow.session.execute(select(Unit.id, Unit.name).where(Unit.body_id == body_id))
    return {unit_id: name for unit_id, name in rows}


async def _comments(uow: UnitOfWork, draft: _Draft) -> list[Comment]:
    doc = draft.document
    body_id = draft.meeting.body_id
    units = await _units(uow, body_id)
    versions = {
        v_id: number
        for v_id, number in await uow.session.execute(
            select(DocumentVersion.id, DocumentVersion.number).where(DocumentVersion.document_id == doc.id)
        )
    }
    current = max(versions, key=lambda v: versions[v]) if versions else None
    headings = _Headings(uow)
    out: list[Comment] = []

    opinions = await uow.session.execute(
        select(ConsultationMember, User, Consultation)
        .join(Consultation, Consultation.id == ConsultationMember.consultation_id)
        .join(User, User.id == ConsultationMember.user_id)
        .where(
            Consultation.document_id == doc.id,
            Consultation.body_id == body_id,
            ConsultationMember.choice != "",
            ConsultationMember.text != "",
        )
    )
    for member, user, consultation in opinions:
        version_id = member.document_version_id if member.document_version_id in versions else current
        section, group, order = _place(await headings.of(version_id), member.section, member.page, None)
        assert member.answered_at is not None
        out.append(
            Comment(
                key=f"o{consultation.id}-{user.id}",
                source="opinion",
                author=user.full_name,
                author_title=user.title,
                author_unit=units.get(user.unit_id, "") if user.unit_id is not None else "",
                text=member.text,
                page=member.page,
                version=versions.get(version_id) if version_id is not None and member.page else None,
                section=section,
                group=group,
                order=order,
                at=member.answered_at,
                consultation_id=consultation.id,
            )
        )

    marked = await uow.session.execute(
        select(Annotation, Participant, User)
        .join(Participant, Participant.id == Annotation.owner_id)
        .outerjoin(User, User.id == Participant.user_id)
        .where(Annotation.document_id == doc.id, Annotation.feedback.is_(True), Annotation.deleted.is_(False))
    )
    for a, participant, user in marked:
        text = feedback_text(a)
        if not text:
            continue
        section, group, order = _place(await headings.of(a.document_version_id), "", a.page, _position(a))
        changed = max(a.updated_at, a.feedback_at or a.updated_at)
        out.append(
            Comment(
                key=f"a{a.id}",
                source="annotation",
                author=participant.full_name,
                author_title=participant.title,
                author_unit=units.get(user.unit_id, "") if user is not None and user.unit_id else "",
                text=text,
                page=a.page,
                version=versions.get(a.document_version_id),
                section=section,
                group=group,
                order=order,
                at=changed,
            )
        )
    answers = await uow.session.execute(
        select(CommentAnswer, User)
        .outerjoin(User, User.id == CommentAnswer.answered_by)
        .where(CommentAnswer.document_id == doc.id)
        .execution_options(populate_existing=True)
    )
    by_key = {answer.comment_key: (answer, user) for answer, user in answers}
    for comment in out:
        found = by_key.get(comment.key)
        if found is not None:
            answer, user = found
            comment.answer = {
                "kind": answer.kind,
                "text": answer.text,
                "by": user.full_name if user is not None else "",
                "at": iso(answer.answered_at),
                "changed_since_answer": comment.at > answer.answered_at,
            }
    return out


def _grouped(comments: Sequence[Comment]) -> list[dict[str, Any]]:
    """Sections in the draft's order (general first), comments by page then time."""
    orders: dict[str | None, float] = {}
    for c in comments:
        orders[c.group] = min(orders.get(c.group, c.order), c.order)
    sections: dict[str | None, list[Comment]] = {}
    for c in sorted(comments, key=lambda c: (c.page or 0, c.at, c.key)):
        sections.setdefault(c.group, []).append(c)
    ordered = sorted(sections, key=lambda g: (orders[g], g or ""))
    return [{"title": g, "comments": [c.view() for c in sections[g]]} for g in ordered]


# -- reading ------------------------------------------------------------------------------------


async def _unit_name(uow: UnitOfWork, unit_id: int | None) -> str:
    if unit_id is None:
        return ""
    unit = await uow.session.get(Unit, unit_id)
    return unit.name if unit is not None else ""


async def _sections(uow: UnitOfWork, draft: _Draft) -> tuple[list[dict[str, Any]], CommentTable | None]:
    row = await uow.session.get(CommentTable, draft.document.id)
    if row is not None and row.closed_at is not None and row.snapshot is not None:
        return list(row.snapshot), row
    return _grouped(await _comments(uow, draft)), row


async def comment_table(uow: UnitOfWork, actor: Actor, document_id: int) -> dict[str, Any]:
    """The draft's comment table: its sections with their comments and answers."""
    draft = await _draft(uow, actor, document_id)
    sections, row = await _sections(uow, draft)
    closed = row is not None and row.closed_at is not None
    comments = [c for s in sections for c in s["comments"]]
    doc = draft.document
    return {
        "document": {
            "id": doc.id,
            "title": doc.title,
            "meeting_id": doc.meeting_id,
            "meeting_title": draft.meeting.title,
            "unit_id": doc.unit_id,
            "unit_name": await _unit_name(uow, doc.unit_id),
        },
        "closed": closed,
        "closed_at": iso(row.closed_at) if row is not None and row.closed_at is not None else None,
        "can_answer": draft.may_answer and not closed,
        "can_close": (draft.may_answer or draft.is_office) and not closed,
        "can_reopen": draft.is_office and closed,
        "total": len(comments),
        "answered": sum(1 for c in comments if c["answer"]),
        "sections": sections,
    }


async def list_tables(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The comment tables the actor works on, newest document first: the drafting unit's
    users, their unit's documents; the office, the documents that have comments coming
    (a consultation on them, or an annotation marked as feedback)."""
    query = (
        select(Document, Meeting)
        .join(Meeting, Meeting.id == Document.meeting_id)
        .where(Meeting.body_id == actor.body_id)
        .order_by(Document.id.desc())
    )
    if actor.is_staff:
        with_consultation = select(Consultation.document_id).where(Consultation.document_id.is_not(None))
        with_feedback = select(Annotation.document_id).where(Annotation.feedback.is_(True))
        query = query.where(Document.id.in_(with_consultation.union(with_feedback)))
    elif actor.unit_id is not None:
        query = query.where(Document.unit_id == actor.unit_id)
    else:
        return []
    closed = {
        document_id
        for document_id in await uow.session.scalars(
            select(CommentTable.document_id).where(CommentTable.closed_at.is_not(None))
        )
    }
    units = await _units(uow, actor.body_id)
    return [
        {
            "document_id": doc.id,
            "title": doc.title,
            "meeting_id": meeting.id,
            "meeting_title": meeting.title,
            "unit_name": units.get(doc.unit_id, "") if doc.unit_id is not None else "",
            "closed": doc.id in closed,
        }
        for doc, meeting in await uow.session.execute(query.limit(200))
    ]


# -- changes ------------------------------------------------------------------------------------


async def _locked_table(uow: UnitOfWork, document_id: int) -> CommentTable:
    """The table's row, made if missing and locked: answers and closing of one table wait
    for each other, so no answer slips in after the snapshot of a closing."""
    insert = sqlite_insert if uow.db.is_sqlite else pg_insert
    await uow.session.execute(
        insert(CommentTable)
        .values(document_id=document_id)
        .on_conflict_do_nothing(index_elements=["document_id"])
    )
    row = await uow.session.scalar(
        select(CommentTable)
        .where(CommentTable.document_id == document_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if row.closed_at is not None:
        raise Conflict("comment_table_closed")
    return row


async def answer_comment(
    uow: UnitOfWork, actor: Actor, document_id: int, key: str, now: datetime, *, kind: str, text: str
) -> dict[str, Any]:
    """The drafting unit's answer to comment ``key`` (a new answer replaces the old one)."""
    if kind not in ANSWER_KINDS:
        raise InvalidInput("comment_answer_kind_invalid", kind=kind)
    text = text.strip()
    if len(text) > MAX_ANSWER:
        raise InvalidInput("comment_answer_too_long", limit=MAX_ANSWER)
    if kind != ACCEPTED and not text:
        raise InvalidInput("comment_answer_text_required")
    draft = await _draft(uow, actor, document_id)
    if not draft.may_answer:
        raise PermissionDenied("comment_answer_not_allowed")
    await _locked_table(uow, document_id)
    comments = {c.key: c for c in await _comments(uow, draft)}
    if key not in comments:
        raise NotFound("comment_not_found")
    insert = sqlite_insert if uow.db.is_sqlite else pg_insert
    values = {"kind": kind, "text": text, "answered_by": actor.user_id, "answered_at": now}
    await uow.session.execute(
        insert(CommentAnswer)
        .values(document_id=document_id, comment_key=key, **values)
        .on_conflict_do_update(index_elements=["document_id", "comment_key"], set_=values)
    )
    record_audit(uow, actor, "comment.answer", target_type="document", target_id=document_id, comment=key)
    table_changed(uow, draft.document, draft.meeting.body_id)
    return await comment_table(uow, actor, document_id)


async def close_table(uow: UnitOfWork, actor: Actor, document_id: int, now: datetime) -> dict[str, Any]:
    """Close the table: what it holds now is what it keeps."""
    draft = await _draft(uow, actor, document_id)
    if not (draft.may_answer or draft.is_office):
        raise PermissionDenied("comment_answer_not_allowed")
    row = await _locked_table(uow, document_id)
    row.snapshot = _grouped(await _comments(uow, draft))
    row.closed_at, row.closed_by = now, actor.user_id
    await uow.session.flush()
    record_audit(uow, actor, "comment_table.close", target_type="document", target_id=document_id)
    table_changed(uow, draft.document, draft.meeting.body_id)
    return await comment_table(uow, actor, document_id)


async def reopen_table(uow: UnitOfWork, actor: Actor, document_id: int) -> dict[str, Any]:
    """The office reopens a closed table: it is worked out from the comments again."""
    draft = await _draft(uow, actor, document_id)
    if not draft.is_office:
        raise PermissionDenied("office_required")
    row = await uow.session.get(CommentTable, document_id)
    if row is None or row.closed_at is None:
        raise Conflict("comment_table_open")
    row.closed_at, row.closed_by, row.snapshot = None, None, None
    await uow.session.flush()
    record_audit(uow, actor, "comment_table.reopen", target_type="document", target_id=document_id)
    table_changed(uow, draft.document, draft.meeting.body_id)
    return await comment_table(uow, actor, document_id)


# -- export -------------------------------------------------------------------------------------


def _content_cell(comment: dict[str, Any], lang: str) -> str:
    parts = [comment["section"]] if comment["section"] else []
    if comment["page"]:
        page = translate("comments.export.page", lang, page=comment["page"])
        if comment.get("version") and comment["version"] > 1:
            page += " " + translate("comments.export.version", lang, version=comment["version"])
        parts.append(page)
    return ", ".join(parts) or translate("comments.general", lang)


def _author_cell(comment: dict[str, Any]) -> str:
    author = comment["author"]
    lines = [author["name"]]
    lines += [x for x in (author["title"], author["unit"]) if x]
    return "\n".join(lines)


def _answer_cell(comment: dict[str, Any], lang: str) -> str:
    answer = comment["answer"]
    if not answer:
        return ""
    label = translate(f"comments.answer.{answer['kind']}", lang)
    return f"{label}: {answer['text']}" if answer["text"] else label


async def export_table(uow: UnitOfWork, actor: Actor, document_id: int, lang: str) -> tuple[Table, str]:
    """The table for :mod:`phonghop.exports.tables` (grouped by section) and a file stem."""
    draft = await _draft(uow, actor, document_id)
    sections, _ = await _sections(uow, draft)
    body = await uow.session.get(IssuingBody, draft.meeting.body_id)
    assert body is not None
    parent = await uow.session.get(IssuingBody, body.parent_id) if body.parent_id is not None else None

    def tr(key: str, **params: Any) -> str:
        return translate(f"comments.export.{key}", lang, **params)

    rows: list[list[str | int | float | None]] = []
    groups: list[str | None] = []
    for section in sections:
        for i, comment in enumerate(section["comments"]):
            groups.append((section["title"] or translate("comments.general", lang)) if i == 0 else None)
            rows.append(
                [
                    _content_cell(comment, lang),
                    comment["text"],
                    _author_cell(comment),
                    _answer_cell(comment, lang),
                ]
            )
    answered = sum(1 for s in sections for c in s["comments"] if c["answer"])
    table = Table(
        body_name=body.name,
        parent_name=parent.name if parent is not None else "",
        title=tr("title"),
        subtitle=tr("subtitle", title=draft.document.title),
        columns=[
            Column(tr("content"), 28),
            Column(tr("comment"), 55),
            Column(tr("author"), 28),
            Column(tr("answer"), 45),
        ],
        rows=rows,
        groups=groups,
        notes=[tr("totals", total=len(rows), answered=answered)],
        stt_header=tr("stt"),
        sheet_name=tr("sheet"),
    )
    return table, f"bang-tong-hop-y-kien-{document_id}"
