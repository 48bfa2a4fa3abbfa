"""Document preparation: a unit submits drafts for agenda items; the office approves or
returns them, and publishes them to the meeting.

* **Unit staff** are staff logins with a unit (``User.unit_id``) and no office role. They
  see the body's meetings being prepared (draft, scheduled, or already running for a late
  document) with their agenda item titles only, upload a draft for an item, and upload a
  new version of their own submitted or returned draft. Another unit's drafts, another
  body's meetings: 404.
* **The office** approves, returns with a reason, or publishes (an approved draft, or a
  submitted one in one step). The states are ``domain.review``; only published documents
  exist for the tablets (``services.documents``).
* **Events.** A submission is ``document.submitted``, a review ``document.reviewed``, both
  to the controllers only; publishing is ``document.published`` to the document's readers,
  exactly as an office upload, so tablets show it at once in a running meeting.
* **Notifications.** The office is told of every submission; the unit's users of every
  approval, return (with the reason) and publication.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from phonghop.documents.inspection import PdfInfo
from phonghop.documents.intake import StoredBlob
from phonghop.domain.documents import Access
from phonghop.domain.meeting import Classification, MeetingState
from phonghop.domain.permissions import Actor, require_office, require_same_body
from phonghop.domain.review import ReviewAction, ReviewState, check_reason, transition
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.services import documents, meetings
from phonghop.services.audit import record_audit
from phonghop.services.notifications import notify, office_users, users_of_unit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import AgendaItem, Document, Meeting, Unit, utcnow

#: Meetings a unit may send drafts to: being prepared, or running (a late document).
PREPARING = (MeetingState.DRAFT, MeetingState.SCHEDULED, MeetingState.IN_PROGRESS, MeetingState.PAUSED)
#: Drafts their unit may still replace with a new version.
RESUBMITTABLE = frozenset({ReviewState.SUBMITTED, ReviewState.RETURNED})

DRAFTS_LINK = "/console/#/drafts"


def office_link(meeting_id: int) -> str:
    return f"/console/#/meetings/{meeting_id}/documents"


@dataclass(frozen=True)
class DraftFields:
    agenda_item_id: int | None = None
    title: str | None = None


def require_unit_staff(actor: Actor) -> int:
    """The actor's unit: a staff login with a unit and no office role (``unit_required``)."""
    if actor.user_id is None or actor.meeting_id is not None or actor.unit_id is None or actor.is_staff:
        raise PermissionDenied("unit_required")
    return actor.unit_id


# -- views ------------------------------------------------------------------------------------


def draft_view(d: Document) -> dict[str, Any]:
    """A draft as its unit sees it: what it sent, and where the review stands."""
    v = d.versions[-1]
    return {
        "id": d.id,
        "meeting_id": d.meeting_id,
        "agenda_item_id": d.agenda_item_id,
        "title": d.title,
        "review_state": d.review_state,
        "review_reason": d.review_reason,
        "reviewed_at": meetings.iso(d.reviewed_at),
        "published_at": meetings.iso(d.published_at),
        "recalled": d.recalled_at is not None,
        "version": {
            "id": v.id,
            "number": v.number,
            "page_count": v.page_count,
            "size": v.size,
            "filename": v.filename,
            "created_at": meetings.iso(v.created_at),
        },
        "created_at": meetings.iso(d.created_at),
        "updated_at": meetings.iso(d.updated_at),
    }


def _agenda_view(items: list[AgendaItem]) -> list[dict[str, Any]]:
    """Titles only, sub-items under their item, in the agenda's order."""
    ordered = sorted(items, key=lambda i: (i.position, i.id))
    return [
        {
            "id": i.id,
            "title": i.title,
            "children": [{"id": c.id, "title": c.title} for c in ordered if c.parent_id == i.id],
        }
        for i in ordered
        if i.parent_id is None
    ]


async def list_preparation(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """The unit's screen: the body's meetings being prepared, soonest first, each with its
    agenda (titles only) and the unit's own documents for it."""
    unit_id = require_unit_staff(actor)
    unit = await uow.session.get(Unit, unit_id)
    rows = list(
        await uow.session.scalars(
            select(Meeting)
            .where(Meeting.body_id == actor.body_id, Meeting.state.in_([s.value for s in PREPARING]))
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )
    ids = [m.id for m in rows]
    items: dict[int, list[AgendaItem]] = {i: [] for i in ids}
    drafts: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for item in await uow.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id.in_(ids))):
            items[item.meeting_id].append(item)
        docs = await uow.session.scalars(
            select(Document)
            .where(Document.meeting_id.in_(ids), Document.unit_id == unit_id)
            .options(selectinload(Document.versions))
            .order_by(Document.position, Document.id)
        )
        for doc in docs:
            drafts[doc.meeting_id].append(draft_view(doc))
    return {
        "unit": {"id": unit_id, "name": unit.name if unit else ""},
        "meetings": [
            {
                "id": m.id,
                "title": m.title,
                "starts_at": meetings.iso(m.starts_at),
                "state": m.state,
                "agenda": _agenda_view(items[m.id]),
                "drafts": drafts[m.id],
            }
            for m in rows
        ],
    }


# -- the unit submits ------------------------------------------------------------------------


async def _preparing_meeting(uow: UnitOfWork, actor: Actor, meeting_id: int) -> Meeting:
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    if MeetingState(meeting.state) not in PREPARING:
        raise Conflict("meeting_documents_closed", state=meeting.state)
    return meeting


async def _own_draft(uow: UnitOfWork, actor: Actor, document_id: int, *, lock: bool = False) -> Document:
    """The unit's own document; another unit's or another body's does not exist."""
    unit_id = require_unit_staff(actor)
    doc = await documents.load_document(uow, document_id, lock=lock)
    meeting = await uow.session.get(Meeting, doc.meeting_id)
    assert meeting is not None
    require_same_body(actor, meeting.body_id, "document")
    if doc.unit_id != unit_id:
        raise NotFound("document_not_found")
    return doc


def _check_resubmittable(doc: Document) -> None:
    if doc.recalled_at is not None:
        raise Conflict("document_recalled")
    if ReviewState(doc.review_state) not in RESUBMITTABLE:
        raise Conflict("document_draft_locked", state=doc.review_state)


async def check_can_submit(
    uow: UnitOfWork,
    actor: Actor,
    *,
    meeting_id: int | None = None,
    document_id: int | None = None,
    fields: DraftFields | None = None,
) -> None:
    """Refuse early, before a large upload is read: not unit staff, a meeting no longer
    prepared, no such item, a draft that is no longer the unit's to change."""
    require_unit_staff(actor)
    if document_id is not None:
        doc = await _own_draft(uow, actor, document_id)
        _check_resubmittable(doc)
        meeting_id = doc.meeting_id
    assert meeting_id is not None
    meeting = await _preparing_meeting(uow, actor, meeting_id)
    if fields is not None:
        await _check_draft_item(uow, meeting, fields.agenda_item_id)


async def _check_draft_item(uow: UnitOfWork, meeting: Meeting, item_id: int | None) -> None:
    if item_id is None:
        raise InvalidInput("draft_agenda_item_required")
    await documents.check_item(uow, meeting, item_id)


async def submit_draft(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    fields: DraftFields,
    blob: StoredBlob,
    info: PdfInfo,
    filename: str = "",
) -> Document:
    """A unit's draft for one agenda item: ``submitted``, seen by the office only."""
    unit_id = require_unit_staff(actor)
    meeting = await _preparing_meeting(uow, actor, meeting_id)
    await _check_draft_item(uow, meeting, fields.agenda_item_id)
    title = (fields.title or "").strip() or (info.title or "").strip() or filename.rsplit(".", 1)[0].strip()
    if not title:
        raise InvalidInput("document_title_missing")
    position = await uow.session.scalar(
        select(func.coalesce(func.max(Document.position), 0)).where(Document.meeting_id == meeting.id)
    )
    now = utcnow()
    doc = Document(
        meeting_id=meeting.id,
        agenda_item_id=fields.agenda_item_id,
        title=title[:500],
        classification=Classification.NORMAL.value,
        access=Access().to_dict(),
        downloadable=False,
        position=int(position or 0) + 1,
        unit_id=unit_id,
        review_state=ReviewState.SUBMITTED.value,
        review_reason="",
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(doc)
    await uow.session.flush()
    doc = await documents.store_version(uow, doc, 1, blob, info, filename, actor)
    await _submitted(uow, actor, meeting, doc)
    return doc


async def resubmit_draft(
    uow: UnitOfWork, actor: Actor, document_id: int, blob: StoredBlob, info: PdfInfo, filename: str = ""
) -> Document:
    """A new version of the unit's submitted or returned draft; it waits for review again."""
    doc = await _own_draft(uow, actor, document_id, lock=True)
    _check_resubmittable(doc)
    meeting = await _preparing_meeting(uow, actor, doc.meeting_id)
    doc.review_state = transition(ReviewState(doc.review_state), ReviewAction.RESUBMIT).value
    doc.updated_at = utcnow()
    doc = await documents.store_version(uow, doc, doc.versions[-1].number + 1, blob, info, filename, actor)
    await _submitted(uow, actor, meeting, doc)
    return doc


async def _submitted(uow: UnitOfWork, actor: Actor, meeting: Meeting, doc: Document) -> None:
    version = doc.versions[-1]
    record_audit(
        uow,
        actor,
        "document.submitted",
        target_type="document",
        target_id=doc.id,
        version=version.number,
        sha256=version.sha256,
    )
    await documents.announce(uow, meeting, doc, "document.submitted", actor)
    unit = await uow.session.get(Unit, doc.unit_id) if doc.unit_id is not None else None
    notify(
        uow,
        body_id=meeting.body_id,
        user_ids=await office_users(uow, meeting.body_id),
        kind="draft_submitted",
        params={
            "title": doc.title,
            "unit": unit.name if unit else "",
            "meeting": meeting.title,
            "version": version.number,
        },
        link=office_link(meeting.id),
    )


# -- the office reviews ------------------------------------------------------------------------


async def review(
    uow: UnitOfWork, actor: Actor, document_id: int, action: ReviewAction, reason: str | None = None
) -> tuple[Document, Meeting]:
    """Approve, return (with a reason) or publish a draft (office staff).

    Publishing a submitted draft approves it in the same step. Returns the document and
    its meeting (for the unit's name in the answer)."""
    if action is ReviewAction.RESUBMIT:
        raise InvalidInput("invalid_input", field="action")
    doc = await documents.load_document(uow, document_id, lock=True)
    body_id = await uow.session.scalar(select(Meeting.body_id).where(Meeting.id == doc.meeting_id))
    require_same_body(actor, int(body_id or 0), "document")
    require_office(actor)
    meeting = await meetings.load_meeting(uow, actor, doc.meeting_id, full=True)
    documents.require_editable(meeting)
    if doc.recalled_at is not None:
        raise Conflict("document_recalled")
    text = check_reason(reason) if action is ReviewAction.RETURN else None
    new_state = transition(ReviewState(doc.review_state), action)
    now = utcnow()
    doc.review_state = new_state.value
    doc.reviewed_by = actor.user_id
    doc.reviewed_at = now
    doc.updated_at = now
    if text is not None:
        doc.review_reason = text
    if new_state is ReviewState.PUBLISHED:
        doc.published_at = now
    await uow.session.flush()
    verb = {
        ReviewAction.APPROVE: "approved",
        ReviewAction.RETURN: "returned",
        ReviewAction.PUBLISH: "published",
    }[action]
    detail: dict[str, Any] = {"reason": text} if text is not None else {}
    record_audit(uow, actor, f"document.{verb}", target_type="document", target_id=doc.id, **detail)
    event = "document.published" if new_state is ReviewState.PUBLISHED else "document.reviewed"
    await documents.announce(uow, meeting, doc, event, actor)
    if doc.unit_id is not None:
        params: dict[str, Any] = {"title": doc.title, "meeting": meeting.title}
        if text is not None:
            params["reason"] = text
        notify(
            uow,
            body_id=meeting.body_id,
            user_ids=await users_of_unit(uow, meeting.body_id, doc.unit_id),
            kind=f"draft_{verb}",
            params=params,
            link=DRAFTS_LINK,
        )
    return doc, meeting
