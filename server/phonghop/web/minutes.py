"""The minutes (biên bản) over HTTP (docs/api.md, "Minutes"): read them with the pre-filled
sections, save the sections changed on top of a version, download them as DOCX or PDF."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.domain.minutes import MAX_SECTION
from phonghop.services import minutes
from phonghop.web.context import app_state, authenticate, download_headers, office_zone, path_int, read_json
from phonghop.web.schemas import Body


class MinutesIn(Body):
    #: The version the sections were typed on (0 before the first save).
    version: Annotated[int, Field(ge=0)]
    #: Only the sections changed: key -> text.
    sections: Annotated[dict[str, Annotated[str, Field(max_length=MAX_SECTION)]], Field(max_length=1000)]


async def get_minutes(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await minutes.get_minutes(
            uow, info.actor, path_int(request, "meeting_id"), tz=office_zone(request)
        )
        return JSONResponse(view)


async def put_minutes(request: Request) -> Response:
    body = await read_json(request, MinutesIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await minutes.save_minutes(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            body.version,
            body.sections,
            tz=office_zone(request),
        )
    return JSONResponse(view)


_MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


async def minutes_file(request: Request) -> Response:
    kind = request.path_params["kind"]
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        content, name = await minutes.export_minutes(
            uow, info.actor, path_int(request, "meeting_id"), kind, tz=office_zone(request)
        )
    return Response(content, media_type=_MEDIA[kind], headers=download_headers(name))


M = "/api/meetings/{meeting_id:int}"

routes: list[BaseRoute] = [
    Route(M + "/minutes", get_minutes, methods=["GET"]),
    Route(M + "/minutes", put_minutes, methods=["PUT"]),
    Route(M + "/minutes/{kind:str}", minutes_file, methods=["GET"]),
]
