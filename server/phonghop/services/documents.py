"""Meeting documents: add, new version, access, recall, listing, search, page access.

The bytes live in the blob store (``documents.files``); this module keeps what the
database knows. Uploads are streamed and inspected *before* the unit of work that adds
the rows opens (see ``web.documents``), so a 200 MB upload never holds a transaction.

Access is checked here for every page, download, listing and search; events about a
document go only to those who may read it (the event's audience).

A unit's draft (``review_state`` other than published, see ``domain.review`` and
``services.preparation``) does not exist for tablets: only the console's controllers (a
staff login that is the meeting's chair or secretary, or the office) and the drafting
unit's users read it, and its events go to the controllers only, under types the tablets
do not apply (``document.submitted``, ``document.reviewed``, ``document.draft_updated``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from phonghop.documents.inspection import PdfInfo
from phonghop.documents.intake import StoredBlob
from phonghop.documents.search import search_pages
from phonghop.domain.documents import Access, Reader, may_read, readable_by_everyone, readers
from phonghop.domain.meeting import Classification, MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, can_run_meeting
from phonghop.domain.review import ReviewAction, ReviewState, allowed_actions, is_draft, transition
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.events import AUDIENCE_ALL, AUDIENCE_CONTROLLERS, audience_of
from phonghop.services import meetings
from phonghop.services.accounts import participant_actor
from phonghop.services.audit import PAGE_VIEW_ACTIONS, expand_page_views, record_audit
from phonghop.services.events import append_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    AuditEntry,
    Document,
    DocumentPage,
    DocumentVersion,
    Meeting,
    Participant,
    Unit,
    utcnow,
)

#: Meeting states in which documents may still be added or changed.
_EDITABLE = frozenset(
    {MeetingState.DRAFT, MeetingState.SCHEDULED, MeetingState.IN_PROGRESS, MeetingState.PAUSED}
)


@dataclass(frozen=True)
class DocumentFields:
    title: str | None = None
    agenda_item_id: int | None = None
    clear_agenda_item: bool = False
    classification: Classification | None = None
    access: Access | None = None
    downloadable: bool | None = None


@dataclass(frozen=True, slots=True)
class PageAccess:
    """A granted read of one version: plain values only (it is cached, see ``page_grants``)."""

    version_id: int
    version_number: int
    sha256: str
    page_count: int
    filename: str
    document_id: int
    meeting_id: int
    title: str
    classification: str
    downloadable: bool
    actor: Actor
    #: A unit's draft, read by a controller or the drafting unit (who may download it).
    draft: bool = False
    #: The reader's name and title for the watermark, when known at grant time.
    recipient: tuple[str, str] | None = None

    @property
    def watermark(self) -> bool:
        return Classification(self.classification).is_classified

    @classmethod
    def grant(
        cls, doc: Document, version: DocumentVersion, actor: Actor, page: int, *, downloadable: bool
    ) -> PageAccess:
        """A read of ``page`` of ``version`` (``document_page_not_found`` if it has none)."""
        if not 1 <= page <= version.page_count:
            raise NotFound("document_page_not_found", page=page, page_count=version.page_count)
        return cls(
            version_id=version.id,
            version_number=version.number,
            sha256=version.sha256,
            page_count=version.page_count,
            filename=version.filename,
            document_id=doc.id,
            meeting_id=doc.meeting_id,
            title=doc.title,
            classification=doc.classification,
            downloadable=downloadable,
            actor=actor,
            draft=is_draft(ReviewState(doc.review_state)),
        )


# -- views ----------------------------------------------------------------------------------


def version_view(v: DocumentVersion) -> dict[str, Any]:
    return {
        "id": v.id,
        "number": v.number,
        "page_count": v.page_count,
        "sha256": v.sha256,
        "size": v.size,
        "filename": v.filename,
        "restricted": v.restricted,
        "pages": [{"width": w, "height": h} for w, h in v.pages],
        "created_at": meetings.iso(v.created_at),
    }


def document_view(d: Document, *, with_access: bool = False, unit_name: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": d.id,
        "meeting_id": d.meeting_id,
        "agenda_item_id": d.agenda_item_id,
        "title": d.title,
        "classification": d.classification,
        "downloadable": d.downloadable,
        "recalled": d.recalled_at is not None,
        "position": d.position,
        "version": version_view(d.versions[-1]),
        "created_at": meetings.iso(d.created_at),
        "review_state": d.review_state,
    }
    if with_access:
        view["access"] = Access.from_dict(d.access).to_dict()
        view["versions"] = [version_view(v) for v in d.versions]
        view.update(review_view(d, unit_name))
    return view


def review_view(d: Document, unit_name: str | None = None) -> dict[str, Any]:
    """Where the document stands in the office's review (controllers and the drafting unit)."""
    return {
        "review_state": d.review_state,
        "review_reason": d.review_reason,
        "reviewed_at": meetings.iso(d.reviewed_at),
        "published_at": meetings.iso(d.published_at),
        "unit_id": d.unit_id,
        "unit_name": unit_name,
        "review_actions": [a.value for a in _review_actions(d)],
    }


def _review_actions(d: Document) -> list[ReviewAction]:
    return allowed_actions(ReviewState(d.review_state))


async def blob_in_use(uow: UnitOfWork, sha256: str) -> bool:
    """Whether a stored version still names this file (an upload that failed may leave
    one behind, to be forgotten unless another version shares it)."""
    used = await uow.session.scalar(
        select(DocumentVersion.id).where(DocumentVersion.sha256 == sha256).limit(1)
    )
    return used is not None


async def unit_names(uow: UnitOfWork, body_id: int) -> dict[int, str]:
    rows = await uow.session.execute(select(Unit.id, Unit.name).where(Unit.body_id == body_id))
    return {unit_id: name for unit_id, name in rows}


# -- loading and access -----------------------------------------------------------------------


async def load_document(uow: UnitOfWork, document_id: int, *, lock: bool = False) -> Document:
    query = select(Document).where(Document.id == document_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    doc = await uow.session.scalar(query)
    if doc is None:
        raise NotFound("document_not_found")
    await uow.session.refresh(doc, ["versions"])
    return doc


def _reader(actor: Actor) -> Reader | None:
    if actor.participant_id is None or actor.meeting_role is None:
        return None
    return Reader(actor.participant_id, actor.meeting_role)


def _console_controller(actor: Actor) -> bool:
    """A staff login (not a tablet) that may run the meeting: who sees the unit's drafts."""
    return actor.user_id is not None and can_run_meeting(actor)


def drafted_by(doc: Document, actor: Actor) -> bool:
    """``actor`` is a staff login of the unit that submitted this unpublished draft."""
    return (
        is_draft(ReviewState(doc.review_state))
        and actor.user_id is not None
        and actor.unit_id is not None
        and actor.unit_id == doc.unit_id
    )


def _may_read(doc: Document, actor: Actor, *, ignore_recall: bool = False) -> bool:
    """``actor`` is scoped to the document's meeting (``meetings.actor_in_meeting``)."""
    if is_draft(ReviewState(doc.review_state)):
        return _console_controller(actor)  # a draft does not exist for tablets
    if doc.recalled_at is not None and not ignore_recall:
        return actor.is_staff  # the office keeps its archive; tablets lose it
    if can_run_meeting(actor):
        return True
    if actor.display:  # a room display: what everyone reads, never a classified document
        return readable_by_everyone(Classification(doc.classification), Access.from_dict(doc.access))
    if not actor.can_read:  # a substitute the office gave no read right (invitations)
        return False
    reader = _reader(actor)
    if reader is None:
        return False
    return may_read(Classification(doc.classification), Access.from_dict(doc.access), reader)


async def require_document_access(uow: UnitOfWork, actor: Actor, document_id: int) -> Document:
    """The document if ``actor`` may read it: ``NotFound`` when they may not even know it
    exists (another body, another meeting, no access), ``Conflict("document_recalled")``
    once it has been recalled."""
    doc, _scoped_actor = await _readable(uow, actor, document_id)
    await uow.session.refresh(doc, ["versions"])
    return doc


async def _readable(uow: UnitOfWork, actor: Actor, document_id: int) -> tuple[Document, Actor]:
    doc = await uow.session.get(Document, document_id)
    if doc is None:
        raise NotFound("document_not_found")
    if actor.meeting_id is None and drafted_by(doc, actor):
        meeting = await meetings.load_meeting(uow, actor, doc.meeting_id)
        return doc, actor.in_meeting(meeting.id, None, None)
    _meeting, scoped = await meetings.scoped(uow, actor, doc.meeting_id)
    if not _may_read(doc, scoped):
        if doc.recalled_at is not None and _may_read(doc, scoped, ignore_recall=True):
            raise Conflict("document_recalled")  # only those who had it learn it was recalled
        raise NotFound("document_not_found")
    return doc, scoped


async def is_controller(uow: UnitOfWork, actor: Actor, meeting_id: int) -> bool:
    _meeting, scoped = await meetings.scoped(uow, actor, meeting_id)
    return can_run_meeting(scoped)


async def page_access(uow: UnitOfWork, actor: Actor, version_id: int, page: int) -> PageAccess:
    version = await uow.session.get(DocumentVersion, version_id)
    if version is None:
        raise NotFound("document_not_found")
    if actor.display:
        doc = await uow.session.get(Document, version.document_id)
        if doc is not None and doc.meeting_id == actor.meeting_id and _withheld_from_display(doc):
            # Said apart from "not found": the room display shows a placeholder instead.
            raise PermissionDenied("display_document_withheld")
    doc, scoped = await _readable(uow, actor, version.document_id)
    return PageAccess.grant(doc, version, scoped, page, downloadable=doc.downloadable and not actor.display)


def _withheld_from_display(doc: Document) -> bool:
    """A published, unrecalled document a room display may not show (classified, or not
    for every participant): it knows the document exists (the presenter shows it) and
    shows a placeholder, never its title or pages."""
    published = not is_draft(ReviewState(doc.review_state)) and doc.recalled_at is None
    return published and not readable_by_everyone(
        Classification(doc.classification), Access.from_dict(doc.access)
    )


def withheld_view(doc: Document) -> dict[str, Any]:
    """What a room display learns of a document it may not show."""
    return {
        "id": doc.id,
        "meeting_id": doc.meeting_id,
        "withheld": True,
        "classified": Classification(doc.classification).is_classified,
    }


async def download_access(uow: UnitOfWork, actor: Actor, version_id: int) -> PageAccess:
    access = await page_access(uow, actor, version_id, 1)
    if not access.downloadable and not can_run_meeting(access.actor) and not access.draft:
        raise PermissionDenied("document_download_not_allowed")
    record_audit(
        uow,
        access.actor,
        "document.downloaded",
        target_type="document",
        target_id=access.document_id,
        version=access.version_number,
    )
    return access


def record_page_served(uow: UnitOfWork, access: PageAccess, page: int) -> None:
    """A watermarked page left the server: who received which page of a classified document."""
    record_audit(
        uow,
        access.actor,
        "document.page_served",
        target_type="document",
        target_id=access.document_id,
        version=access.version_number,
        page=page,
    )


async def entitled_readers(uow: UnitOfWork, document_id: int) -> tuple[Document, Meeting, list[Participant]]:
    """The document, its meeting and the participants who may read it on a tablet (for
    marking its pages in advance): the same rule as every page request, ``_may_read``."""
    doc = await uow.session.get(Document, document_id)
    if doc is None:
        raise NotFound("document_not_found")
    await uow.session.refresh(doc, ["versions"])
    meeting = await uow.session.scalar(
        select(Meeting).where(Meeting.id == doc.meeting_id).options(selectinload(Meeting.participants))
    )
    assert meeting is not None
    readers = [p for p in meeting.participants if _may_read(doc, participant_actor(meeting, p))]
    return doc, meeting, readers


# -- listing and search ----------------------------------------------------------------------


async def list_documents(
    uow: UnitOfWork, actor: Actor, meeting_id: int, *, drafts: bool = False
) -> list[dict[str, Any]]:
    """The published documents the actor may read; with ``drafts`` also the units' drafts,
    for the console's controllers (a tablet never gets them)."""
    meeting, scoped = await meetings.scoped(uow, actor, meeting_id)
    docs = (
        await uow.session.scalars(
            select(Document)
            .where(Document.meeting_id == meeting.id)
            .order_by(Document.position, Document.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    staff = can_run_meeting(scoped)
    names = await unit_names(uow, meeting.body_id) if staff else {}
    out = []
    for doc in docs:
        if is_draft(ReviewState(doc.review_state)) and not drafts:
            continue
        if _may_read(doc, scoped) or (staff and doc.recalled_at is not None):
            await uow.session.refresh(doc, ["versions"])
            unit_name = names.get(doc.unit_id) if doc.unit_id is not None else None
            out.append(document_view(doc, with_access=staff, unit_name=unit_name))
        elif scoped.display and _withheld_from_display(doc):
            out.append(withheld_view(doc))
    return out


async def search_documents(
    uow: UnitOfWork, actor: Actor, meeting_id: int, query: str, *, limit: int = 100
) -> list[dict[str, Any]]:
    """Pages of the meeting's readable documents (current versions) containing ``query``;
    without diacritics it matches with or without them."""
    if len(query) > 200:
        raise InvalidInput("search_query_too_long", limit=200)
    meeting, scoped = await meetings.scoped(uow, actor, meeting_id)
    docs = (await uow.session.scalars(select(Document).where(Document.meeting_id == meeting.id))).all()
    readable = {
        d.id: d
        for d in docs
        if _may_read(d, scoped) and d.recalled_at is None and d.review_state == ReviewState.PUBLISHED
    }
    if not readable or not query.strip():
        return []
    current = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("n"))
        .where(DocumentVersion.document_id.in_(readable))
        .group_by(DocumentVersion.document_id)
        .subquery()
    )
    rows = await uow.session.execute(
        select(DocumentVersion.document_id, DocumentVersion.id, DocumentPage.page, DocumentPage.text)
        .join(
            current,
            (current.c.document_id == DocumentVersion.document_id) & (current.c.n == DocumentVersion.number),
        )
        .join(DocumentPage, DocumentPage.version_id == DocumentVersion.id)
        .order_by(DocumentVersion.document_id, DocumentPage.page)
    )
    pages = [((doc_id, version_id), page, text) for doc_id, version_id, page, text in rows]
    hits = search_pages(query, pages, limit=limit)
    return [
        {
            "document_id": hit.key[0],
            "version_id": hit.key[1],
            "title": readable[hit.key[0]].title,
            "page": hit.page_no,
            "snippet": hit.snippet,
            "highlight": list(hit.highlight),
        }
        for hit in hits
    ]


async def document_audit(uow: UnitOfWork, actor: Actor, document_id: int) -> list[dict[str, Any]]:
    """Who opened, received or downloaded the document, oldest first (office only)."""
    doc = await load_document(uow, document_id)
    _meeting, scoped = await meetings.scoped(uow, actor, doc.meeting_id)
    if not can_run_meeting(scoped):
        raise PermissionDenied("secretary_required")
    rows = await uow.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.target_type == "document", AuditEntry.target_id == str(doc.id))
        .order_by(AuditEntry.id)
    )
    entries: list[tuple[datetime, dict[str, Any]]] = []
    for r in rows:
        # A page-view row lists a reader's pages of a few seconds: one entry per page.
        views = expand_page_views(r.at, r.detail) if r.action in PAGE_VIEW_ACTIONS else [(r.at, r.detail)]
        entries.extend(
            (
                at,
                {
                    "at": meetings.iso(at),
                    "action": r.action,
                    "user_id": r.actor_user_id,
                    "participant_id": r.actor_participant_id,
                    "detail": detail,
                },
            )
            for at, detail in views
        )
    entries.sort(key=lambda entry: entry[0])  # stable: rows written together keep their order
    return [entry for _, entry in entries]


# -- changes ----------------------------------------------------------------------------------


def require_editable(meeting: Meeting) -> None:
    state = MeetingState(meeting.state)
    if state not in _EDITABLE:
        raise Conflict("meeting_documents_closed", state=meeting.state)


async def _require_preparer(uow: UnitOfWork, actor: Actor, meeting_id: int) -> tuple[Meeting, Actor]:
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if not can_run_meeting(scoped):
        raise PermissionDenied("secretary_required")
    return meeting, scoped


def _audience(meeting: Meeting, doc: Document) -> str:
    if is_draft(ReviewState(doc.review_state)):
        return AUDIENCE_CONTROLLERS
    classification = Classification(doc.classification)
    access = Access.from_dict(doc.access)
    # A substitute the office gave no read right hears nothing of documents either.
    everyone_reads = all(p.can_read for p in meeting.participants)
    if everyone_reads and readable_by_everyone(classification, access):
        return AUDIENCE_ALL
    people = [Reader(p.id, MeetingRole(p.role)) for p in meeting.participants if p.can_read]
    return audience_of(readers(classification, access, people))


def _check_access_ids(meeting: Meeting, access: Access) -> None:
    known = {p.id for p in meeting.participants}
    unknown = sorted(access.participant_ids - known)
    if unknown:
        raise InvalidInput("document_access_invalid", reason="unknown_participant", participant_id=unknown[0])


async def check_item(uow: UnitOfWork, meeting: Meeting, item_id: int | None) -> None:
    if item_id is not None:
        await meetings.load_agenda_item(uow, meeting.id, item_id)


def _new_version(
    doc_id: int, number: int, blob: StoredBlob, info: PdfInfo, filename: str, actor: Actor
) -> DocumentVersion:
    return DocumentVersion(
        document_id=doc_id,
        number=number,
        sha256=blob.sha256,
        size=blob.size,
        page_count=info.page_count,
        pages=[[round(p.width, 2), round(p.height, 2)] for p in info.pages],
        filename=filename[:300],
        restricted=info.restricted,
        created_by=actor.user_id,
        created_at=utcnow(),
    )


def _page_rows(version_id: int, info: PdfInfo) -> list[DocumentPage]:
    return [DocumentPage(version_id=version_id, page=p.number, text=p.text) for p in info.pages]


async def check_can_upload(
    uow: UnitOfWork, actor: Actor, meeting_id: int, document_id: int | None = None
) -> None:
    """Refuse early, before a large upload is read: wrong role, closed meeting, no document."""
    if document_id is not None:
        doc = await load_document(uow, document_id)
        meeting_id = doc.meeting_id
        if doc.recalled_at is not None:
            raise Conflict("document_recalled")
    meeting, _ = await _require_preparer(uow, actor, meeting_id)
    require_editable(meeting)


async def store_version(
    uow: UnitOfWork, doc: Document, number: int, blob: StoredBlob, info: PdfInfo, filename: str, actor: Actor
) -> Document:
    """Add version ``number`` with its page texts; the document reloaded with its versions."""
    version = _new_version(doc.id, number, blob, info, filename, actor)
    uow.session.add(version)
    await uow.session.flush()
    uow.session.add_all(_page_rows(version.id, info))
    await uow.session.flush()
    return await load_document(uow, doc.id)


async def announce(uow: UnitOfWork, meeting: Meeting, doc: Document, type_: str, actor: Actor) -> None:
    """``type_`` to those who may read the document: a draft's event, to the controllers,
    carries the access list and the review state too."""
    draft = is_draft(ReviewState(doc.review_state))
    unit_name = (await unit_names(uow, meeting.body_id)).get(doc.unit_id or 0) if draft else None
    await append_event(
        uow,
        meeting.id,
        type_,
        {"document": document_view(doc, with_access=draft, unit_name=unit_name)},
        actor=actor,
        audience=_audience(meeting, doc),
    )


async def add_document(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    fields: DocumentFields,
    blob: StoredBlob,
    info: PdfInfo,
    filename: str = "",
) -> Document:
    meeting, scoped = await _require_preparer(uow, actor, meeting_id)
    require_editable(meeting)
    await check_item(uow, meeting, fields.agenda_item_id)
    access = fields.access or Access()
    _check_access_ids(meeting, access)
    title = (fields.title or "").strip() or (info.title or "").strip() or filename.rsplit(".", 1)[0].strip()
    if not title:
        raise InvalidInput("document_title_missing")
    position = await uow.session.scalar(
        select(func.coalesce(func.max(Document.position), 0)).where(Document.meeting_id == meeting.id)
    )
    doc = Document(
        meeting_id=meeting.id,
        agenda_item_id=fields.agenda_item_id,
        title=title[:500],
        classification=(fields.classification or Classification.NORMAL).value,
        access=access.to_dict(),
        downloadable=bool(fields.downloadable),
        position=int(position or 0) + 1,
        review_state=ReviewState.PUBLISHED.value,
        published_at=utcnow(),
        created_by=scoped.user_id,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    uow.session.add(doc)
    await uow.session.flush()
    doc = await store_version(uow, doc, 1, blob, info, filename, scoped)
    record_audit(uow, scoped, "document.added", target_type="document", target_id=doc.id, sha256=blob.sha256)
    await announce(uow, meeting, doc, "document.published", scoped)
    return doc


async def add_version(
    uow: UnitOfWork, actor: Actor, document_id: int, blob: StoredBlob, info: PdfInfo, filename: str = ""
) -> Document:
    doc = await load_document(uow, document_id, lock=True)
    meeting, scoped = await _require_preparer(uow, actor, doc.meeting_id)
    require_editable(meeting)
    if doc.recalled_at is not None:
        raise Conflict("document_recalled")
    number = doc.versions[-1].number + 1
    doc.updated_at = utcnow()
    if doc.review_state == ReviewState.RETURNED:
        # A corrected file answers the return: the draft waits for review again.
        doc.review_state = transition(ReviewState.RETURNED, ReviewAction.RESUBMIT).value
    doc = await store_version(uow, doc, number, blob, info, filename, scoped)
    record_audit(
        uow,
        scoped,
        "document.version_added",
        target_type="document",
        target_id=doc.id,
        version=number,
        sha256=blob.sha256,
    )
    await announce(uow, meeting, doc, _changed_event(doc), scoped)
    return doc


def _changed_event(doc: Document) -> str:
    """A changed published document is ``document.updated``; a changed draft is
    ``document.draft_updated`` (controllers only, a type tablets do not apply)."""
    return "document.draft_updated" if is_draft(ReviewState(doc.review_state)) else "document.updated"


async def update_document(
    uow: UnitOfWork, actor: Actor, document_id: int, fields: DocumentFields
) -> Document:
    doc = await load_document(uow, document_id, lock=True)
    meeting, scoped = await _require_preparer(uow, actor, doc.meeting_id)
    require_editable(meeting)
    if doc.recalled_at is not None:
        raise Conflict("document_recalled")
    before = _audience(meeting, doc)
    if fields.title is not None:
        if not fields.title.strip():
            raise InvalidInput("document_title_missing")
        doc.title = fields.title.strip()[:500]
    if fields.clear_agenda_item:
        doc.agenda_item_id = None
    elif fields.agenda_item_id is not None:
        await check_item(uow, meeting, fields.agenda_item_id)
        doc.agenda_item_id = fields.agenda_item_id
    if fields.classification is not None:
        doc.classification = fields.classification.value
    if fields.access is not None:
        _check_access_ids(meeting, fields.access)
        doc.access = fields.access.to_dict()
    if fields.downloadable is not None:
        doc.downloadable = fields.downloadable
    doc.updated_at = utcnow()
    await uow.session.flush()
    after = _audience(meeting, doc)
    record_audit(
        uow,
        scoped,
        "document.updated",
        target_type="document",
        target_id=doc.id,
        classification=doc.classification,
        access=doc.access,
        downloadable=doc.downloadable,
    )
    if is_draft(ReviewState(doc.review_state)):
        await announce(uow, meeting, doc, "document.draft_updated", scoped)
        return doc
    await append_event(
        uow, meeting.id, "document.updated", {"document": document_view(doc)}, actor=scoped, audience=after
    )
    lost = _lost_readers(meeting, before, after)
    if lost:
        # Tablets that may no longer read it delete their copies, as on a recall.
        await append_event(
            uow,
            meeting.id,
            "document.recalled",
            {"document_id": doc.id},
            actor=scoped,
            audience=audience_of(lost),
        )
    return doc


def _members(meeting: Meeting, audience: str) -> set[int]:
    everyone = {p.id for p in meeting.participants}
    if audience == AUDIENCE_ALL:
        return everyone
    return {int(x) for x in audience[2:].split(",") if x} & everyone


def _lost_readers(meeting: Meeting, before: str, after: str) -> set[int]:
    return _members(meeting, before) - _members(meeting, after)


async def recall_document(uow: UnitOfWork, actor: Actor, document_id: int) -> Document:
    """Thu hồi tài liệu: tablets are refused from now on and delete their copies."""
    doc = await load_document(uow, document_id, lock=True)
    meeting, scoped = await _require_preparer(uow, actor, doc.meeting_id)
    if doc.recalled_at is not None:
        return doc
    await _recall(uow, meeting, doc, scoped)
    return doc


async def recall_meeting_documents(uow: UnitOfWork, actor: Actor, meeting_id: int) -> list[int]:
    """Recall every document of the meeting (at its close); the ids recalled now."""
    meeting, scoped = await _require_preparer(uow, actor, meeting_id)
    docs = (
        await uow.session.scalars(
            select(Document)
            .where(Document.meeting_id == meeting.id, Document.recalled_at.is_(None))
            .order_by(Document.id)
            .with_for_update()
        )
    ).all()
    for doc in docs:
        await _recall(uow, meeting, doc, scoped)
    return [d.id for d in docs]


async def _recall(uow: UnitOfWork, meeting: Meeting, doc: Document, actor: Actor) -> None:
    audience = _audience(meeting, doc)
    doc.recalled_at = utcnow()
    doc.recalled_by = actor.user_id
    presenter = (meeting.live or {}).get("presenter") or {}
    if presenter.get("document_id") == doc.id:
        meeting.live = {**meeting.live, "presenter": None}
        await append_event(uow, meeting.id, "presenter.cleared", {}, actor=actor)
    record_audit(uow, actor, "document.recalled", target_type="document", target_id=doc.id)
    await append_event(
        uow, meeting.id, "document.recalled", {"document_id": doc.id}, actor=actor, audience=audience
    )


async def presentable_page(uow: UnitOfWork, meeting_id: int, document_id: int, page: int) -> None:
    """The presenter may show this page: a current document of the meeting, page in range."""
    doc = await uow.session.get(Document, document_id)
    if doc is None or doc.meeting_id != meeting_id or is_draft(ReviewState(doc.review_state)):
        raise NotFound("document_not_found")  # a draft is not shown to the room
    if doc.recalled_at is not None:
        raise Conflict("document_recalled")
    page_count = await uow.session.scalar(
        select(DocumentVersion.page_count)
        .where(DocumentVersion.document_id == doc.id)
        .order_by(DocumentVersion.number.desc())
        .limit(1)
    )
    if page_count is None or page > page_count:
        raise NotFound("document_page_not_found", page=page, page_count=page_count)
