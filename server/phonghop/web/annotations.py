"""Annotations over HTTP (listing, sync, the annotated copy) and their websocket commands.

HTTP: ``GET /api/versions/{id}/annotations``, ``GET /api/versions/{id}/annotations/offered``,
``GET /api/versions/{id}/annotated.pdf``, ``GET /api/meetings/{id}/annotations?since=N``.
Websocket: ``annotation.save``, ``annotation.delete``, ``annotation.share``, ``annotation.show``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.documents.annotated import Mark, annotated_pdf_async
from phonghop.documents.files import DocumentFiles
from phonghop.domain.permissions import Actor
from phonghop.errors import InvalidInput
from phonghop.realtime import protocol as p
from phonghop.services import accounts
from phonghop.services import annotations as annotation_service
from phonghop.services.annotations import AnnotationFields
from phonghop.storage.db import UnitOfWork
from phonghop.web.context import app_state, authenticate, download_headers, path_int
from phonghop.web.documents import recipient_lines


async def list_annotations(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        views = await annotation_service.list_annotations(uow, info.actor, path_int(request, "version_id"))
    return JSONResponse({"annotations": views})


async def offered_annotations(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        views = await annotation_service.annotations_offered_for(
            uow, info.actor, path_int(request, "version_id")
        )
    return JSONResponse({"annotations": views})


async def sync_annotations(request: Request) -> Response:
    raw = request.query_params.get("since", "0")
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("invalid_query", field="since")
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        body = await annotation_service.sync(uow, info.actor, path_int(request, "meeting_id"), int(raw))
    return JSONResponse(body)


async def annotated_copy(request: Request) -> Response:
    """My annotated copy: the PDF as a download gives it, with my annotations in it."""
    state = app_state(request)
    files: DocumentFiles = state.files
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        access, rows = await annotation_service.annotated_copy(
            uow, info.actor, path_int(request, "version_id")
        )
        author, _ = await accounts.name_and_title(uow, access.actor)
        marks = [Mark(a.client_id, a.page, a.kind, a.data, author, a.client_updated_at) for a in rows]
    lines = await recipient_lines(request, access)
    data = await annotated_pdf_async(files.path(access.sha256), lines, marks)
    stem = (access.filename or access.title).removesuffix(".pdf").removesuffix(".PDF")
    headers = download_headers(
        f"{stem} (ghi chú).pdf", fallback=f"document-{access.document_id}-annotated.pdf"
    )
    return Response(data, media_type="application/pdf", headers=headers)


V = "/api/versions/{version_id:int}"

routes: list[BaseRoute] = [
    Route(V + "/annotations", list_annotations, methods=["GET"]),
    Route(V + "/annotations/offered", offered_annotations, methods=["GET"]),
    Route(V + "/annotated.pdf", annotated_copy, methods=["GET"]),
    Route("/api/meetings/{meeting_id:int}/annotations", sync_annotations, methods=["GET"]),
]


async def _save(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.AnnotationSave) -> dict[str, Any]:
    fields = AnnotationFields(
        client_id=cmd.client_id,
        document_version_id=cmd.document_version_id,
        page=cmd.page,
        kind=cmd.kind,
        data=cmd.data,
        updated_at=cmd.updated_at,
        shared=cmd.shared,
    )
    return await annotation_service.save_annotation(uow, actor, meeting_id, fields)


async def _delete(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.AnnotationDelete) -> dict[str, Any]:
    return await annotation_service.delete_annotation(uow, actor, meeting_id, cmd.client_id, cmd.updated_at)


async def _share(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.AnnotationShare) -> dict[str, Any]:
    return await annotation_service.share_annotation(uow, actor, meeting_id, cmd.client_id, cmd.shared)


async def _show(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.AnnotationShow) -> dict[str, Any]:
    return await annotation_service.show_annotation(uow, actor, meeting_id, cmd.annotation_id, cmd.shown)


#: Websocket commands this area answers: command type -> handler(uow, actor, meeting_id, command).
SOCKET_HANDLERS: dict[str, Callable[[UnitOfWork, Actor, int, Any], Awaitable[dict[str, Any]]]] = {
    "annotation.save": _save,
    "annotation.delete": _delete,
    "annotation.share": _share,
    "annotation.show": _show,
}
