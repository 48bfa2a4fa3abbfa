"""Document preparation over HTTP: the unit's drafts screen and uploads, the office's review.

Uploads take the same path as the office's (``web.documents.pdf_upload``): the PDF is the
request body, streamed to the blob store and inspected in the sandbox before the unit of
work that adds the rows opens; a refused file leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.documents.intake import StoredBlob
from phonghop.domain.permissions import Actor
from phonghop.domain.review import MAX_REASON, ReviewAction
from phonghop.services import documents, preparation
from phonghop.services.preparation import DraftFields
from phonghop.storage.db import UnitOfWork
from phonghop.web.context import app_state, authenticate, path_int, query_int, read_json
from phonghop.web.documents import pdf_upload


async def overview(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await preparation.list_preparation(uow, info.actor)
    return JSONResponse(view)


async def submit_draft(request: Request) -> Response:
    meeting_id = path_int(request, "meeting_id")
    fields = DraftFields(
        agenda_item_id=query_int(request, "agenda_item_id"), title=request.query_params.get("title")
    )

    async def check(uow: UnitOfWork, actor: Actor) -> None:
        await preparation.check_can_submit(uow, actor, meeting_id=meeting_id, fields=fields)

    async def store(uow: UnitOfWork, actor: Actor, blob: StoredBlob, pdf: Any, name: str) -> dict[str, Any]:
        doc = await preparation.submit_draft(uow, actor, meeting_id, fields, blob, pdf, name)
        return preparation.draft_view(doc)

    return await pdf_upload(request, check, store)


async def resubmit_draft(request: Request) -> Response:
    document_id = path_int(request, "document_id")

    async def check(uow: UnitOfWork, actor: Actor) -> None:
        await preparation.check_can_submit(uow, actor, document_id=document_id)

    async def store(uow: UnitOfWork, actor: Actor, blob: StoredBlob, pdf: Any, name: str) -> dict[str, Any]:
        doc = await preparation.resubmit_draft(uow, actor, document_id, blob, pdf, name)
        return preparation.draft_view(doc)

    return await pdf_upload(request, check, store)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=MAX_REASON * 2)


async def _review(request: Request, action: ReviewAction, reason: str | None = None) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        doc, meeting = await preparation.review(
            uow, info.actor, path_int(request, "document_id"), action, reason
        )
        names = await documents.unit_names(uow, meeting.body_id)
        view = documents.document_view(doc, with_access=True, unit_name=names.get(doc.unit_id or 0))
    return JSONResponse(view)


async def approve(request: Request) -> Response:
    return await _review(request, ReviewAction.APPROVE)


async def return_draft(request: Request) -> Response:
    body = await read_json(request, ReturnIn)
    return await _review(request, ReviewAction.RETURN, body.reason)


async def publish(request: Request) -> Response:
    return await _review(request, ReviewAction.PUBLISH)


D = "/api/documents/{document_id:int}"

routes: list[BaseRoute] = [
    Route("/api/preparation", overview, methods=["GET"]),
    Route("/api/preparation/meetings/{meeting_id:int}/drafts", submit_draft, methods=["POST"]),
    Route("/api/preparation/drafts/{document_id:int}/versions", resubmit_draft, methods=["POST"]),
    Route(D + "/approve", approve, methods=["POST"]),
    Route(D + "/return", return_draft, methods=["POST"]),
    Route(D + "/publish", publish, methods=["POST"]),
]
