"""Written opinions over HTTP (docs/api.md, "Written opinions"): the office sends a
consultation to some of the body's users, sees the tally and who has not answered, and
closes it; the members answer.

Deadlines are aware datetimes (ISO 8601 with an offset); views also give the deadline in
the office's time zone (``settings.timezone``) as ``deadline_local``. A consultation on a
draft lets its members read the draft's pages through it (``/document``, ``/pages/{n}``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, Field
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop import clock
from phonghop.documents.files import DocumentFiles
from phonghop.documents.watermark import watermark_page_file_async
from phonghop.services import documents, opinions
from phonghop.web.context import app_state, authenticate, office_zone, path_int, query_int, read_json
from phonghop.web.documents import recipient_lines
from phonghop.web.schemas import Body


class ConsultationIn(Body):
    title: Annotated[str, Field(min_length=1, max_length=opinions.MAX_TITLE)]
    question: Annotated[str, Field(min_length=1, max_length=opinions.MAX_QUESTION)]
    deadline: AwareDatetime
    members: Annotated[list[int], Field(min_length=1, max_length=opinions.MAX_MEMBERS)]
    allow_change: bool = False
    meeting_id: int | None = None
    document_id: int | None = None


class OpinionIn(Body):
    choice: Annotated[str, Field(max_length=20)]
    text: Annotated[str, Field(max_length=opinions.MAX_TEXT)] = ""
    page: Annotated[int, Field(ge=1, le=100_000)] | None = None
    section: Annotated[str, Field(max_length=opinions.MAX_SECTION)] = ""


def _localize(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    deadline = datetime.fromisoformat(view["deadline"].replace("Z", "+00:00"))
    view["deadline_local"] = deadline.astimezone(office_zone(request)).strftime("%H:%M %d/%m/%Y")
    return view


def _id(request: Request) -> int:
    value: int = request.path_params["consultation_id"]
    return value


def _now() -> datetime:
    return clock.now()


async def list_consultations(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        items = await opinions.list_consultations(uow, info.actor, _now())
        return JSONResponse({"consultations": [_localize(request, c) for c in items]})


async def create_consultation(request: Request) -> Response:
    body = await read_json(request, ConsultationIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        consultation_id = await opinions.create(
            uow,
            info.actor,
            _now(),
            title=body.title,
            question=body.question,
            deadline=body.deadline,
            member_ids=body.members,
            allow_change=body.allow_change,
            meeting_id=body.meeting_id,
            document_id=body.document_id,
            tz=office_zone(request),
        )
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await opinions.view(uow, info.actor, consultation_id, _now())
        return JSONResponse(_localize(request, view), status_code=201)


async def get_consultation(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await opinions.view(uow, info.actor, _id(request), _now())
        return JSONResponse(_localize(request, view))


async def answer(request: Request) -> Response:
    body = await read_json(request, OpinionIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        changed = await opinions.answer(
            uow,
            info.actor,
            _id(request),
            _now(),
            choice=body.choice,
            text=body.text,
            page=body.page,
            section=body.section,
        )
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await opinions.view(uow, info.actor, _id(request), _now())
        view["changed"] = changed
        return JSONResponse(_localize(request, view))


async def close(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await opinions.close(uow, info.actor, _id(request), _now())
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await opinions.view(uow, info.actor, _id(request), _now())
        return JSONResponse(_localize(request, view))


async def not_answered(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse({"members": await opinions.not_answered(uow, info.actor, _id(request))})


async def draft(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(await opinions.draft_view(uow, info.actor, _id(request), _now()))


async def draft_page(request: Request) -> Response:
    """A page of the draft as an image (``?w=`` as for document pages). Classified drafts
    carry the reader's name and the time, and each page served is audited."""
    state = app_state(request)
    files: DocumentFiles = state.files
    page = path_int(request, "page")
    width = query_int(request, "w") or 1280
    async with state.db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        access = await opinions.draft_page_access(uow, info.actor, _id(request), page, _now())
    path = await files.pages.get_or_render_async(access.sha256, page, width)
    if not access.watermark:
        return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "private, no-store"})
    lines = await recipient_lines(request, access)
    data = await watermark_page_file_async(path, lines, fmt="jpeg", settings=files.render)
    async with state.db.unit() as uow:
        documents.record_page_served(uow, access, page)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


C = "/api/consultations/{consultation_id:int}"

routes: list[BaseRoute] = [
    Route("/api/consultations", list_consultations, methods=["GET"]),
    Route("/api/consultations", create_consultation, methods=["POST"]),
    Route(C, get_consultation, methods=["GET"]),
    Route(C + "/answer", answer, methods=["PUT"]),
    Route(C + "/close", close, methods=["POST"]),
    Route(C + "/not-answered", not_answered, methods=["GET"]),
    Route(C + "/document", draft, methods=["GET"]),
    Route(C + "/pages/{page:int}", draft_page, methods=["GET"]),
]
