"""The comment table over HTTP (docs/api.md, "Comment table"): a draft's comments by
section, the drafting unit's answers, closing, the DOCX/XLSX export; and a delegate
marking one of their annotations as a comment on the draft.

Exports are in Vietnamese; ``?lang=en`` gives English headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop import clock
from phonghop.exports.tables import write_docx, write_xlsx
from phonghop.services import annotations as annotation_service
from phonghop.services import comments
from phonghop.translations import DEFAULT_LANGUAGE, LANGUAGES
from phonghop.web.context import app_state, authenticate, download_headers, path_int, read_json
from phonghop.web.schemas import Body

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AnswerIn(Body):
    kind: Annotated[str, Field(max_length=20)]
    text: Annotated[str, Field(max_length=comments.MAX_ANSWER)] = ""


class FeedbackIn(Body):
    feedback: bool
    text: Annotated[str, Field(max_length=annotation_service.MAX_TEXT)] = ""


def _document(request: Request) -> int:
    return path_int(request, "document_id")


def _now() -> datetime:
    return clock.now()


async def list_tables(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse({"tables": await comments.list_tables(uow, info.actor)})


async def get_table(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(await comments.comment_table(uow, info.actor, _document(request)))


async def answer(request: Request) -> Response:
    body = await read_json(request, AnswerIn)
    key = request.path_params["key"]
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await comments.answer_comment(
            uow, info.actor, _document(request), key, _now(), kind=body.kind, text=body.text
        )
    return JSONResponse(view)


async def close(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await comments.close_table(uow, info.actor, _document(request), _now())
    return JSONResponse(view)


async def reopen(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await comments.reopen_table(uow, info.actor, _document(request))
    return JSONResponse(view)


async def _export(request: Request, fmt: str) -> Response:
    lang = request.query_params.get("lang", DEFAULT_LANGUAGE)
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        table, stem = await comments.export_table(uow, info.actor, _document(request), lang)
    data, media = (write_docx(table), DOCX) if fmt == "docx" else (write_xlsx(table), XLSX)
    return Response(data, media_type=media, headers=download_headers(f"{stem}.{fmt}"))


async def export_docx(request: Request) -> Response:
    return await _export(request, "docx")


async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


async def mark_feedback(request: Request) -> Response:
    body = await read_json(request, FeedbackIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        result = await annotation_service.mark_feedback(
            uow, info.actor, path_int(request, "annotation_id"), body.feedback, body.text
        )
    return JSONResponse(result)


D = "/api/documents/{document_id:int}/comments"

routes: list[BaseRoute] = [
    Route("/api/comment-tables", list_tables, methods=["GET"]),
    Route(D, get_table, methods=["GET"]),
    Route(D + ".docx", export_docx, methods=["GET"]),
    Route(D + ".xlsx", export_xlsx, methods=["GET"]),
    Route(D + "/close", close, methods=["POST"]),
    Route(D + "/reopen", reopen, methods=["POST"]),
    Route(D + "/{key:str}/answer", answer, methods=["PUT"]),
    Route("/api/annotations/{annotation_id:int}/feedback", mark_feedback, methods=["PUT"]),
]
