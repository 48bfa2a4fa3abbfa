"""Meeting documents over HTTP: upload, listing, pages for tablets, downloads, recall, search.

Uploads are the request body itself (``Content-Type: application/pdf``), streamed to disk:
no multipart parser, and the browser's upload progress works as for any request. The
upload is stored and inspected in a sandbox before any transaction opens; a refused file
leaves nothing behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop import clock, metrics
from phonghop.documents import premark
from phonghop.documents.files import DocumentFiles
from phonghop.documents.inspection import inspect_pdf_async
from phonghop.documents.intake import StoredBlob, store_upload
from phonghop.documents.premark import Job, PreMarker, Reader
from phonghop.documents.watermark import watermark_page_file_async, watermark_pdf_async
from phonghop.domain.documents import Access, watermark_lines
from phonghop.domain.meeting import Classification
from phonghop.domain.permissions import Actor
from phonghop.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
    UnsupportedMedia,
)
from phonghop.services import accounts, documents
from phonghop.services.audit import PageViews
from phonghop.services.documents import DocumentFields, PageAccess
from phonghop.services.page_grants import PageGrants
from phonghop.storage.db import UnitOfWork
from phonghop.web.context import (
    app_state,
    authenticate,
    download_headers,
    path_int,
    query_int,
    read_json,
    session_token,
)

#: Rendered pages of an ordinary document never change (a new version has a new id).
IMMUTABLE = "private, max-age=31536000, immutable"
PDF_TYPES = ("application/pdf", "application/x-pdf", "application/octet-stream")


def _files(request: Request) -> DocumentFiles:
    files: DocumentFiles = app_state(request).files
    return files


def _query_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise InvalidInput("invalid_query", field=name)


def _classification(raw: str | None) -> Classification | None:
    if not raw:
        return None
    try:
        return Classification(raw)
    except ValueError:
        raise InvalidInput("invalid_query", field="classification") from None


def _access_from_query(request: Request) -> Access | None:
    mode = request.query_params.get("access")
    if not mode:
        return None
    ids = [x for x in request.query_params.get("participant_ids", "").split(",") if x.strip()]
    roles = [x.strip() for x in request.query_params.get("roles", "").split(",") if x.strip()]
    return Access.from_dict({"mode": mode, "participant_ids": ids, "roles": roles})


# -- upload -----------------------------------------------------------------------------------


async def receive_pdf(request: Request) -> tuple[StoredBlob, Any]:
    """Stream the body into the blob store and inspect it; nothing is kept if it is refused."""
    files = _files(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in PDF_TYPES:
        raise UnsupportedMedia("document_not_pdf")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > files.max_upload_bytes:
        raise PayloadTooLarge("document_too_large", limit_mb=files.max_upload_bytes // (1 << 20))
    blob = await store_upload(request.stream(), files.blob_dir, max_bytes=files.max_upload_bytes)
    try:
        info = await inspect_pdf_async(blob.path, files.inspection)
    except BaseException:
        await forget_if_unused(request, blob.sha256)
        raise
    return blob, info


async def forget_if_unused(request: Request, sha256: str) -> None:
    async with app_state(request).db.unit(write=False) as uow:
        used = await documents.blob_in_use(uow, sha256)
    if not used:
        _files(request).forget(sha256)


def upload_filename(request: Request) -> str:
    return (request.query_params.get("filename") or request.headers.get("x-filename") or "").strip()[:300]


#: Checks that the caller may upload, before a byte is received.
UploadCheck = Callable[[UnitOfWork, Actor], Awaitable[object]]
#: Adds the received PDF (blob, inspection, file name) in the upload's transaction; its view.
UploadStore = Callable[[UnitOfWork, Actor, StoredBlob, Any, str], Awaitable[dict[str, Any]]]


async def pdf_upload(request: Request, check: UploadCheck, store: UploadStore) -> Response:
    """The path of every PDF upload (the office's documents, units' drafts): ``check``
    first, so a caller who may not upload sends nothing into the store; the body streamed
    and inspected outside any transaction; ``store`` in one. If storing fails, the file is
    forgotten unless a stored version already has the same bytes. 201 with the view."""
    state = app_state(request)
    async with state.db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        await check(uow, info.actor)
    blob, pdf = await receive_pdf(request)
    try:
        async with state.db.unit() as uow:
            info = await authenticate(request, uow)
            view = await store(uow, info.actor, blob, pdf, upload_filename(request))
    except BaseException:
        await forget_if_unused(request, blob.sha256)
        raise
    return JSONResponse(view, status_code=201)


async def upload_document(request: Request) -> Response:
    meeting_id = path_int(request, "meeting_id")
    fields = DocumentFields(
        title=request.query_params.get("title"),
        agenda_item_id=query_int(request, "agenda_item_id"),
        classification=_classification(request.query_params.get("classification")),
        access=_access_from_query(request),
        downloadable=_query_bool(request, "downloadable"),
    )

    async def check(uow: UnitOfWork, actor: Actor) -> None:
        await documents.check_can_upload(uow, actor, meeting_id)

    async def store(uow: UnitOfWork, actor: Actor, blob: StoredBlob, pdf: Any, name: str) -> dict[str, Any]:
        doc = await documents.add_document(uow, actor, meeting_id, fields, blob, pdf, name)
        return documents.document_view(doc, with_access=True)

    response = await pdf_upload(request, check, store)
    await start_premarking(request, json.loads(bytes(response.body))["id"])
    return response


async def upload_version(request: Request) -> Response:
    document_id = path_int(request, "document_id")

    async def check(uow: UnitOfWork, actor: Actor) -> None:
        doc = await documents.require_document_access(uow, actor, document_id)
        await documents.check_can_upload(uow, actor, doc.meeting_id, document_id)

    async def store(uow: UnitOfWork, actor: Actor, blob: StoredBlob, pdf: Any, name: str) -> dict[str, Any]:
        doc = await documents.add_version(uow, actor, document_id, blob, pdf, name)
        return documents.document_view(doc, with_access=True)

    response = await pdf_upload(request, check, store)
    await start_premarking(request, document_id)
    return response


# -- listing, one document, changes --------------------------------------------------------------


async def list_documents(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow, display=True)
        drafts = bool(_query_bool(request, "drafts"))
        docs = await documents.list_documents(uow, info.actor, path_int(request, "meeting_id"), drafts=drafts)
    return JSONResponse({"documents": docs})


async def get_document(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        doc = await documents.require_document_access(uow, info.actor, path_int(request, "document_id"))
        staff = not documents.drafted_by(doc, info.actor) and await documents.is_controller(
            uow, info.actor, doc.meeting_id
        )
        view = documents.document_view(doc, with_access=staff)
    return JSONResponse(view)


class AccessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: str = "all"
    participant_ids: list[int] = Field(default_factory=list, max_length=5000)
    roles: list[str] = Field(default_factory=list, max_length=4)


class DocumentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=500)
    agenda_item_id: int | None = None
    clear_agenda_item: bool = False
    classification: Classification | None = None
    access: AccessIn | None = None
    downloadable: bool | None = None


async def patch_document(request: Request) -> Response:
    body = await read_json(request, DocumentPatch)
    fields = DocumentFields(
        title=body.title,
        agenda_item_id=body.agenda_item_id,
        clear_agenda_item=body.clear_agenda_item,
        classification=body.classification,
        access=Access.from_dict(body.access.model_dump()) if body.access is not None else None,
        downloadable=body.downloadable,
    )
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        doc = await documents.update_document(uow, info.actor, path_int(request, "document_id"), fields)
        view = documents.document_view(doc, with_access=True)
    if fields.classification is not None or fields.access is not None:
        await start_premarking(request, doc.id)
    return JSONResponse(view)


async def recall_document(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        doc = await documents.recall_document(uow, info.actor, path_int(request, "document_id"))
        view = documents.document_view(doc, with_access=True)
    return JSONResponse(view)


async def recall_meeting_documents(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        ids = await documents.recall_meeting_documents(uow, info.actor, path_int(request, "meeting_id"))
    return JSONResponse({"recalled": ids})


async def search(request: Request) -> Response:
    query = request.query_params.get("q", "")
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        hits = await documents.search_documents(uow, info.actor, path_int(request, "meeting_id"), query)
    return JSONResponse({"query": query, "hits": hits})


async def document_audit(request: Request) -> Response:
    page_views: PageViews = app_state(request).page_views
    await page_views.flush()  # the pages this instance served a moment ago are listed too
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        entries = await documents.document_audit(uow, info.actor, path_int(request, "document_id"))
    return JSONResponse({"entries": entries})


# -- pages and downloads ----------------------------------------------------------------------


def _office_zone(request: Request) -> Any:
    try:
        return ZoneInfo(app_state(request).settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


async def recipient_lines(request: Request, access: PageAccess) -> tuple[str, ...]:
    """Name, title and local time of whoever receives a watermarked copy."""
    actor = access.actor
    name, title = access.recipient or (actor.name, "")
    if access.recipient is None:
        async with app_state(request).db.unit(write=False) as uow:
            name, title = await accounts.name_and_title(uow, actor)
    when = clock.now().astimezone(_office_zone(request)).strftime("%d/%m/%Y %H:%M")
    return watermark_lines(name, title, when, Classification(access.classification))


def _premarked(request: Request, access: PageAccess, page: int, width: int) -> Path | None:
    """This reader's copy of the page, marked in advance, if there is one."""
    participant_id = access.actor.participant_id
    if access.recipient is None or participant_id is None:
        return None
    name, title = access.recipient
    identity = watermark_lines(name, title, "", Classification(access.classification))
    premarker: PreMarker = app_state(request).premarker
    path = premarker.path(access.document_id, access.version_id, participant_id, identity, page, width)
    return path if path.is_file() else None


async def start_premarking(request: Request, document_id: int) -> None:
    """After a classified document is published or changed: its pages marked for every
    entitled reader in the background, the presenter's current page first."""
    state = app_state(request)
    premarker: PreMarker = state.premarker
    async with state.db.unit(write=False) as uow:
        doc, meeting, participants = await documents.entitled_readers(uow, document_id)
    classification = Classification(doc.classification)
    if not classification.is_classified or doc.recalled_at is not None:
        premarker.drop(doc.id)  # no longer classified: its copies are not needed
        return
    version = doc.versions[-1]
    when = clock.now().astimezone(_office_zone(request)).strftime("%d/%m/%Y %H:%M")
    readers = [
        Reader(
            participant_id=p.id,
            identity=watermark_lines(p.full_name, p.title, "", classification),
            lines=watermark_lines(p.full_name, p.title, when, classification),
        )
        for p in participants
    ]
    presenter = (meeting.live or {}).get("presenter") or {}
    first = presenter.get("page") if presenter.get("document_id") == doc.id else None
    premarker.start(
        Job(
            doc.id,
            version.id,
            version.sha256,
            version.page_count,
            readers,
            state.settings.premark_widths,
            first,
        )
    )


async def premark_progress(request: Request) -> Response:
    """How far the pre-marking of a classified document has gone (controllers)."""
    state = app_state(request)
    premarker: PreMarker = state.premarker
    document_id = path_int(request, "document_id")
    async with state.db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        doc = await documents.require_document_access(uow, info.actor, document_id)
        if not await documents.is_controller(uow, info.actor, doc.meeting_id):
            raise PermissionDenied("secretary_required")
        doc, _meeting, readers = await documents.entitled_readers(uow, document_id)
    version = doc.versions[-1]
    classified = Classification(doc.classification).is_classified
    total = len(readers) * version.page_count * len(state.settings.premark_widths) if classified else 0
    return JSONResponse(
        {
            "document_id": doc.id,
            "version_id": version.id,
            "total": total,
            "done": min(total, premarker.done(doc.id, version.id)) if classified else 0,
            "running": premarker.running(version.id),
        }
    )


async def page_image(request: Request) -> Response:
    """One page as an image: ``?w=`` one of the widths in ``documents.files.PAGE_WIDTHS``.

    Ordinary documents: the cached rendering, cacheable for ever (a new version has a new
    id). Classified ones: the delegate's name and the time burned into the pixels, never
    stored by the browser's HTTP cache, and each copy served is in the audit log.
    """
    state = app_state(request)
    files = _files(request)
    version_id, page = path_int(request, "version_id"), path_int(request, "page")
    width = query_int(request, "w") or 1280
    grants: PageGrants = state.grants
    token = session_token(request)
    if token is None:
        raise Unauthenticated("not_authenticated")
    access = await grants.resolve(token, version_id)
    if not 1 <= page <= access.page_count:
        raise NotFound("document_page_not_found", page=page, page_count=access.page_count)
    etag = f'"{access.sha256[:16]}-{page}-{width}"'
    if not access.watermark and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": IMMUTABLE})
    renders, started = files.pages.stats.renders, time.perf_counter()
    path = await files.pages.get_or_render_async(access.sha256, page, width)
    if files.pages.stats.renders != renders:
        metrics.render_seconds[0] += time.perf_counter() - started
        metrics.render_seconds[1] += 1
    metrics.pages["watermarked" if access.watermark else "cached"] += 1
    if not access.watermark:
        return FileResponse(path, media_type="image/webp", headers={"ETag": etag, "Cache-Control": IMMUTABLE})
    page_views: PageViews = state.page_views
    premarked = _premarked(request, access, page, width)
    if premarked is not None:
        metrics.pages["premarked"] += 1
        page_views.record(
            access.actor,
            access.document_id,
            page,
            action="document.page_served",
            version=access.version_number,
        )
        return FileResponse(
            premarked, media_type=premark.MEDIA_TYPE, headers={"Cache-Control": "private, no-store"}
        )
    lines = await recipient_lines(request, access)
    # JPEG: re-encoding the marked page as WebP costs about three times as much.
    data = await watermark_page_file_async(path, lines, fmt="jpeg", settings=files.render)
    page_views.record(
        access.actor, access.document_id, page, action="document.page_served", version=access.version_number
    )
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


async def download(request: Request) -> Response:
    """The PDF, stamped with the recipient's name and the time on every page."""
    state = app_state(request)
    files = _files(request)
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        access = await documents.download_access(uow, info.actor, path_int(request, "version_id"))
    lines = await recipient_lines(request, access)
    data = await watermark_pdf_async(files.path(access.sha256), lines)
    name = access.filename or f"{access.title}.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    headers = download_headers(name, fallback=f"document-{access.document_id}.pdf")
    return Response(data, media_type="application/pdf", headers=headers)


M = "/api/meetings/{meeting_id:int}/documents"
D = "/api/documents/{document_id:int}"
V = "/api/versions/{version_id:int}"

routes: list[BaseRoute] = [
    Route(M, list_documents, methods=["GET"]),
    Route(M, upload_document, methods=["POST"]),
    Route(M + "/search", search, methods=["GET"]),
    Route(M + "/recall", recall_meeting_documents, methods=["POST"]),
    Route(D, get_document, methods=["GET"]),
    Route(D, patch_document, methods=["PATCH"]),
    Route(D + "/versions", upload_version, methods=["POST"]),
    Route(D + "/recall", recall_document, methods=["POST"]),
    Route(D + "/audit", document_audit, methods=["GET"]),
    Route(D + "/premark", premark_progress, methods=["GET"]),
    Route(V + "/pages/{page:int}", page_image, methods=["GET"]),
    Route(V + "/download", download, methods=["GET"]),
]

#: Websocket commands this area answers: command type -> handler(uow, actor, meeting_id, command).
SOCKET_HANDLERS: dict[str, Any] = {}
