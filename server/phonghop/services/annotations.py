"""Annotations (ghi chú): a delegate's ink, highlights, notes and comments on document pages.

* **Anchored to a version.** An annotation belongs to one page of one document version.
  A new version does not move it; :func:`annotations_offered_for` lists the older
  versions' annotations whose page still exists, for the tablet to offer copying.
* **Never lost, never doubled.** The tablet makes each annotation's ``client_id`` and sends
  its own ``updated_at`` with every change: a save sent twice (offline, after a dropped
  connection) updates the same row, and an older write never overwrites a newer one (last
  write wins by the tablet's clock; a deletion is a write too, kept as a tombstone).
  Every change takes the owner's next ``revision`` (one counter per owner), so each of
  their devices catches up with "what changed since revision N" (:func:`sync`).
* **Private by default.** Only the owner sees a private annotation. Events of the meeting
  log reach the controllers whatever their audience, so an event about a private
  annotation carries no content: it tells the owner's other devices to sync. A shared
  annotation, or one the secretary shows, goes with its content to everyone who may read
  the document (its access list), and a change back to private goes to the same people,
  so that their tablets remove it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from phonghop.domain.documents import Access, Reader, readable_by_everyone, readers
from phonghop.domain.meeting import Classification
from phonghop.domain.permissions import Actor, MeetingRole, require_meeting_controller
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.events import AUDIENCE_ALL, audience_of
from phonghop.services import documents, meetings
from phonghop.services.comments import table_changed, table_closed
from phonghop.services.documents import PageAccess
from phonghop.services.events import append_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    Annotation,
    AnnotationClock,
    Document,
    DocumentVersion,
    Meeting,
    utcnow,
)

KINDS = ("ink", "highlight", "note", "comment")
MAX_STROKES = 200
MAX_POINTS = 5000
MAX_RECTS = 200
MAX_TEXT = 4000
DEFAULT_COLORS = {"ink": "#d32f2f", "highlight": "#ffeb3b", "note": "#1a237e", "comment": "#ffb300"}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FIELDS = {
    "ink": {"strokes", "width", "color"},
    "highlight": {"rects", "color"},
    "note": {"rect", "text", "font_size", "color"},
    "comment": {"x", "y", "text", "color"},
}


# -- the data of an annotation ----------------------------------------------------------------


def _bad(field: str) -> InvalidInput:
    return InvalidInput("annotation_data_invalid", field=field)


def _number(value: Any, field: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(field)
    if not low <= value <= high:
        raise _bad(field)
    return round(float(value), 5)


def _rect(value: Any, field: str) -> list[float]:
    if not isinstance(value, list) or len(value) != 4:
        raise _bad(field)
    x0, y0, x1, y1 = (_number(v, field, 0.0, 1.0) for v in value)
    if x0 >= x1 or y0 >= y1:
        raise _bad(field)
    return [x0, y0, x1, y1]


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _bad(field)
    text = unicodedata.normalize("NFC", value).strip()
    if not text or len(text) > MAX_TEXT:
        raise _bad(field)
    return text


def clean_data(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of an annotation's ``data``, checked.

    Coordinates are fractions of the page as displayed (0..1 from its top left corner):

    * ``ink``: ``strokes`` (up to 200, at most 5,000 points in all), each a list of
      ``[x, y]`` or ``[x, y, pressure]`` points (pressure 0..1, default 0.5); ``width``,
      the pen's width as a fraction of the page width (0.0005..0.05, default 0.004);
    * ``highlight``: ``rects``, up to 200 ``[x0, y0, x1, y1]``;
    * ``note`` (text written on the page): ``rect`` and ``text``, ``font_size`` in points
      (6..72, default 12);
    * ``comment`` (a pinned sticky note): ``x``, ``y`` and ``text``;
    * every kind: ``color``, ``#rrggbb``.

    Text is NFC, 1 to 4,000 characters. Raises ``annotation_kind_invalid`` or
    ``annotation_data_invalid`` (with the offending ``field``).
    """
    if kind not in KINDS:
        raise InvalidInput("annotation_kind_invalid", kind=kind)
    unknown = sorted(set(data) - _FIELDS[kind])
    if unknown:
        raise _bad(unknown[0])
    color = data.get("color", DEFAULT_COLORS[kind])
    if not isinstance(color, str) or not _COLOR.match(color):
        raise _bad("color")
    out: dict[str, Any] = {"color": color.lower()}
    if kind == "ink":
        strokes = data.get("strokes")
        if not isinstance(strokes, list) or not 1 <= len(strokes) <= MAX_STROKES:
            raise _bad("strokes")
        cleaned, total = [], 0
        for stroke in strokes:
            if not isinstance(stroke, list) or not stroke:
                raise _bad("strokes")
            total += len(stroke)
            if total > MAX_POINTS:
                raise _bad("strokes")
            points = []
            for point in stroke:
                if not isinstance(point, list) or len(point) not in (2, 3):
                    raise _bad("strokes")
                x, y = _number(point[0], "strokes", 0, 1), _number(point[1], "strokes", 0, 1)
                pressure = _number(point[2], "strokes", 0, 1) if len(point) == 3 else 0.5
                points.append([x, y, pressure])
            cleaned.append(points)
        out["strokes"] = cleaned
        out["width"] = _number(data.get("width", 0.004), "width", 0.0005, 0.05)
    elif kind == "highlight":
        rects = data.get("rects")
        if not isinstance(rects, list) or not 1 <= len(rects) <= MAX_RECTS:
            raise _bad("rects")
        out["rects"] = [_rect(r, "rects") for r in rects]
    elif kind == "note":
        out["rect"] = _rect(data.get("rect"), "rect")
        out["text"] = _text(data.get("text"), "text")
        out["font_size"] = _number(data.get("font_size", 12), "font_size", 6, 72)
    else:
        out["x"] = _number(data.get("x"), "x", 0, 1)
        out["y"] = _number(data.get("y"), "y", 0, 1)
        out["text"] = _text(data.get("text"), "text")
    return out


# -- views -------------------------------------------------------------------------------------


def annotation_view(a: Annotation) -> dict[str, Any]:
    return {
        "id": a.id,
        "client_id": a.client_id,
        "owner_id": a.owner_id,
        "document_id": a.document_id,
        "document_version_id": a.document_version_id,
        "page": a.page,
        "kind": a.kind,
        "data": a.data,
        "shared": a.shared,
        "shown": a.shown,
        "deleted": a.deleted,
        "feedback": a.feedback,
        "feedback_text": a.feedback_text,
        "revision": a.revision,
        "updated_at": meetings.iso(a.client_updated_at),
        "created_at": meetings.iso(a.created_at),
    }


def _visible(a: Annotation) -> bool:
    """Whether people other than the owner see it."""
    return (a.shared or a.shown) and not a.deleted


# -- access ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    meeting: Meeting
    actor: Actor
    document: Document
    version: DocumentVersion


async def _version_context(
    uow: UnitOfWork, actor: Actor, version_id: int, meeting_id: int | None = None
) -> _Context:
    """The version if ``actor`` may read its document (of ``meeting_id`` when given)."""
    version = await uow.session.get(DocumentVersion, version_id)
    if version is None:
        raise NotFound("document_not_found")
    if meeting_id is not None:
        owner_meeting = await uow.session.scalar(
            select(Document.meeting_id).where(Document.id == version.document_id)
        )
        if owner_meeting != meeting_id:
            raise NotFound("document_not_found")
    document = await documents.require_document_access(uow, actor, version.document_id)
    meeting = await meetings.load_meeting(uow, actor, document.meeting_id, full=True)
    return _Context(meeting, await meetings.actor_in_meeting(uow, actor, meeting), document, version)


def _owner(actor: Actor) -> int:
    """Annotations belong to participants (staff without a place in the meeting have none)."""
    if actor.participant_id is None:
        raise PermissionDenied("annotation_not_allowed")
    return actor.participant_id


def _document_audience(meeting: Meeting, document: Document) -> str:
    classification = Classification(document.classification)
    access = Access.from_dict(document.access)
    if readable_by_everyone(classification, access):
        return AUDIENCE_ALL
    people = [Reader(p.id, MeetingRole(p.role)) for p in meeting.participants]
    return audience_of(readers(classification, access, people))


async def _next_revision(uow: UnitOfWork, owner_id: int) -> int:
    """The owner's next revision; the counter row's lock orders two devices' writes."""
    insert = sqlite_insert if uow.db.is_sqlite else pg_insert
    result = await uow.session.execute(
        insert(AnnotationClock)
        .values(participant_id=owner_id, last_revision=1)
        .on_conflict_do_update(
            index_elements=["participant_id"], set_={"last_revision": AnnotationClock.last_revision + 1}
        )
        .returning(AnnotationClock.last_revision)
    )
    return int(result.scalar_one())


async def _mine(uow: UnitOfWork, owner_id: int, client_id: str) -> Annotation | None:
    return await uow.session.scalar(
        select(Annotation)
        .where(Annotation.owner_id == owner_id, Annotation.client_id == client_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _announce(
    uow: UnitOfWork, meeting: Meeting, document: Document, a: Annotation, actor: Actor, *, was_visible: bool
) -> None:
    """``annotation.saved``/``deleted``: with content to the document's readers while
    others may see it (and once more when it stops being so), else a content-free hint to
    the owner's devices."""
    visible = _visible(a)
    audience = _document_audience(meeting, document) if visible or was_visible else audience_of([a.owner_id])
    ids = {
        "annotation_id": a.id,
        "owner_id": a.owner_id,
        "document_version_id": a.document_version_id,
        "revision": a.revision,
    }
    if a.deleted:
        await append_event(uow, meeting.id, "annotation.deleted", ids, actor=actor, audience=audience)
    else:
        content = annotation_view(a) if visible else None
        await append_event(
            uow,
            meeting.id,
            "annotation.saved",
            {**ids, "annotation": content},
            actor=actor,
            audience=audience,
        )


def _result(a: Annotation, applied: bool) -> dict[str, Any]:
    return {"annotation": annotation_view(a), "applied": applied}


# -- changes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotationFields:
    client_id: str
    document_version_id: int
    page: int
    kind: str
    data: Mapping[str, Any]
    updated_at: datetime
    shared: bool | None = None


async def save_annotation(
    uow: UnitOfWork, actor: Actor, meeting_id: int, fields: AnnotationFields
) -> dict[str, Any]:
    """Create or update the sender's annotation ``client_id`` (upsert).

    A write older than (or as old as) the stored one changes nothing: the answer says
    ``applied: false`` and carries what is stored, so a retried save is harmless. A newer
    write replaces it, and brings a deleted annotation back (undo). Result:
    ``{"annotation": {...}, "applied": bool}``.
    """
    ctx = await _version_context(uow, actor, fields.document_version_id, meeting_id)
    owner = _owner(ctx.actor)
    if not 1 <= fields.page <= ctx.version.page_count:
        raise InvalidInput("annotation_page_invalid", page=fields.page, page_count=ctx.version.page_count)
    data = clean_data(fields.kind, fields.data)
    now = utcnow()
    row = await _mine(uow, owner, fields.client_id)
    if row is None:
        insert = sqlite_insert if uow.db.is_sqlite else pg_insert
        created = await uow.session.execute(
            insert(Annotation)
            .values(
                client_id=fields.client_id,
                owner_id=owner,
                meeting_id=ctx.meeting.id,
                document_id=ctx.document.id,
                document_version_id=ctx.version.id,
                page=fields.page,
                kind=fields.kind,
                data=data,
                shared=bool(fields.shared),
                shown=False,
                deleted=False,
                revision=await _next_revision(uow, owner),
                client_updated_at=fields.updated_at,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["owner_id", "client_id"])
            .returning(Annotation.id)
        )
        if created.first() is not None:
            row = await _mine(uow, owner, fields.client_id)
            assert row is not None
            await _announce(uow, ctx.meeting, ctx.document, row, ctx.actor, was_visible=False)
            return _result(row, True)
        # The same save, sent again, committed between our read and our insert.
        row = await _mine(uow, owner, fields.client_id)
        assert row is not None
    if row.document_version_id != ctx.version.id:
        raise Conflict("annotation_client_id_reused")
    if fields.updated_at <= row.client_updated_at:
        return _result(row, False)
    was_visible = _visible(row)
    row.page, row.kind, row.data = fields.page, fields.kind, data
    if fields.shared is not None:
        row.shared = fields.shared
    row.deleted = False
    row.client_updated_at = fields.updated_at
    row.revision = await _next_revision(uow, owner)
    row.updated_at = now
    await uow.session.flush()
    await _announce(uow, ctx.meeting, ctx.document, row, ctx.actor, was_visible=was_visible)
    return _result(row, True)


async def _own_row(
    uow: UnitOfWork, actor: Actor, meeting_id: int, client_id: str
) -> tuple[Meeting, Actor, Annotation]:
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    row = await _mine(uow, _owner(scoped), client_id)
    if row is None or row.meeting_id != meeting.id:
        raise NotFound("annotation_not_found")
    return meeting, scoped, row


async def delete_annotation(
    uow: UnitOfWork, actor: Actor, meeting_id: int, client_id: str, updated_at: datetime
) -> dict[str, Any]:
    """Delete (a tombstone, which a newer save undoes); last write wins as for a save."""
    meeting, scoped, row = await _own_row(uow, actor, meeting_id, client_id)
    if row.deleted or updated_at <= row.client_updated_at:
        return _result(row, False)
    document = await uow.session.get(Document, row.document_id)
    assert document is not None  # a foreign key, deleted with the document
    was_visible = _visible(row)
    row.deleted = True
    row.client_updated_at = updated_at
    row.revision = await _next_revision(uow, row.owner_id)
    row.updated_at = utcnow()
    await uow.session.flush()
    await _announce(uow, meeting, document, row, scoped, was_visible=was_visible)
    return _result(row, True)


async def share_annotation(
    uow: UnitOfWork, actor: Actor, meeting_id: int, client_id: str, shared: bool
) -> dict[str, Any]:
    """The owner shares the annotation with everyone who may read the document, or stops."""
    meeting, scoped, row = await _own_row(uow, actor, meeting_id, client_id)
    if row.deleted:
        raise NotFound("annotation_not_found")
    document = await documents.require_document_access(uow, scoped, row.document_id)
    if row.shared == shared:
        return _result(row, False)
    was_visible = _visible(row)
    row.shared = shared
    row.revision = await _next_revision(uow, row.owner_id)
    row.updated_at = utcnow()
    await uow.session.flush()
    await _announce(uow, meeting, document, row, scoped, was_visible=was_visible)
    return _result(row, True)


async def show_annotation(
    uow: UnitOfWork, actor: Actor, meeting_id: int, annotation_id: int, shown: bool
) -> dict[str, Any]:
    """The secretary or chair shows an annotation to everyone who may read the document:
    a shared one, or their own. Another's private annotation does not exist for them."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id, full=True)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    require_meeting_controller(scoped)
    row = await uow.session.scalar(
        select(Annotation)
        .where(Annotation.id == annotation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if (
        row is None
        or row.meeting_id != meeting.id
        or row.deleted
        or not (row.shared or row.shown or row.owner_id == scoped.participant_id)
    ):
        raise NotFound("annotation_not_found")
    document = await documents.require_document_access(uow, scoped, row.document_id)
    if row.shown == shown:
        return _result(row, False)
    was_visible = _visible(row)
    row.shown = shown
    row.revision = await _next_revision(uow, row.owner_id)
    row.updated_at = utcnow()
    await uow.session.flush()
    await _announce(uow, meeting, document, row, scoped, was_visible=was_visible)
    return _result(row, True)


async def mark_feedback(
    uow: UnitOfWork, actor: Actor, annotation_id: int, feedback: bool, text: str = ""
) -> dict[str, Any]:
    """The owner marks their annotation as a comment (góp ý) on the draft for its drafting
    unit, or takes the mark back, while the draft's comment table is open. A note or a
    comment carries its own text (``text``, if given, replaces it in the table); a
    highlight needs ``text``; ink cannot be a comment. The annotation stays private: only
    its text, page and the owner's name go into the comment table."""
    row = await uow.session.scalar(
        select(Annotation)
        .where(Annotation.id == annotation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("annotation_not_found")
    meeting = await meetings.load_meeting(uow, actor, row.meeting_id, full=True)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if row.deleted or row.owner_id != scoped.participant_id:
        raise NotFound("annotation_not_found")
    document = await documents.require_document_access(uow, scoped, row.document_id)
    if await table_closed(uow, row.document_id):
        raise Conflict("comment_table_closed")
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput("annotation_feedback_text_too_long", limit=MAX_TEXT)
    if feedback:
        if row.kind == "ink":
            raise InvalidInput("annotation_feedback_kind_invalid", kind=row.kind)
        if row.kind == "highlight" and not text:
            raise InvalidInput("annotation_feedback_text_required")
    else:
        text = ""
    if row.feedback == feedback and row.feedback_text == text:
        return _result(row, False)
    row.feedback, row.feedback_text = feedback, text
    row.feedback_at = utcnow() if feedback else None
    table_changed(uow, document, meeting.body_id)
    row.revision = await _next_revision(uow, row.owner_id)
    row.updated_at = utcnow()
    await uow.session.flush()
    await _announce(uow, meeting, document, row, scoped, was_visible=_visible(row))
    return _result(row, True)


# -- reading -----------------------------------------------------------------------------------


async def list_annotations(uow: UnitOfWork, actor: Actor, version_id: int) -> list[dict[str, Any]]:
    """What this actor sees on a version: their own annotations, and the shared or shown
    ones of others (deleted ones left out)."""
    ctx = await _version_context(uow, actor, version_id)
    me = ctx.actor.participant_id
    rows = await uow.session.scalars(
        select(Annotation)
        .where(Annotation.document_version_id == ctx.version.id, Annotation.deleted.is_(False))
        .order_by(Annotation.id)
    )
    return [annotation_view(a) for a in rows if a.owner_id == me or a.shared or a.shown]


async def sync(uow: UnitOfWork, actor: Actor, meeting_id: int, since: int) -> dict[str, Any]:
    """The sender's annotations in this meeting changed after revision ``since``
    (tombstones included), and their current revision: a device stores that revision and
    asks again from it. Annotations on documents they may no longer read are left out."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    owner = _owner(scoped)
    revision = await uow.session.scalar(
        select(AnnotationClock.last_revision).where(AnnotationClock.participant_id == owner)
    )
    rows = list(
        await uow.session.scalars(
            select(Annotation)
            .where(
                Annotation.owner_id == owner, Annotation.meeting_id == meeting.id, Annotation.revision > since
            )
            .order_by(Annotation.revision)
        )
    )
    readable: dict[int, bool] = {}
    for document_id in {a.document_id for a in rows}:
        try:
            await documents.require_document_access(uow, scoped, document_id)
            readable[document_id] = True
        except (NotFound, Conflict):
            readable[document_id] = False
    return {
        "revision": int(revision or 0),
        "annotations": [annotation_view(a) for a in rows if readable[a.document_id]],
    }


async def annotations_offered_for(uow: UnitOfWork, actor: Actor, new_version_id: int) -> list[dict[str, Any]]:
    """The sender's annotations on the document's earlier versions whose page exists in
    this one, newest version first: the tablet offers to copy them (as new annotations,
    with new client ids) onto the new version."""
    ctx = await _version_context(uow, actor, new_version_id)
    owner = _owner(ctx.actor)
    rows = await uow.session.scalars(
        select(Annotation)
        .join(DocumentVersion, DocumentVersion.id == Annotation.document_version_id)
        .where(
            DocumentVersion.document_id == ctx.document.id,
            DocumentVersion.number < ctx.version.number,
            Annotation.owner_id == owner,
            Annotation.deleted.is_(False),
            Annotation.page <= ctx.version.page_count,
        )
        .order_by(DocumentVersion.number.desc(), Annotation.page, Annotation.id)
    )
    return [annotation_view(a) for a in rows]


async def annotated_copy(
    uow: UnitOfWork, actor: Actor, version_id: int
) -> tuple[PageAccess, list[Annotation]]:
    """What "my annotated copy" needs: the download right (refused where downloading is
    not allowed, and audited as a download) and the sender's annotations on the version."""
    access = await documents.download_access(uow, actor, version_id)
    owner = _owner(access.actor)
    rows = await uow.session.scalars(
        select(Annotation)
        .where(
            Annotation.document_version_id == access.version_id,
            Annotation.owner_id == owner,
            Annotation.deleted.is_(False),
        )
        .order_by(Annotation.page, Annotation.id)
    )
    return access, list(rows)
