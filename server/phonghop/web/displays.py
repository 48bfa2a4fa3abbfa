"""The room display's links: made and revoked in the console, opened on the projector."""

from __future__ import annotations

import base64
from typing import TypedDict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.services import displays
from phonghop.storage.models import utcnow
from phonghop.web import schemas
from phonghop.web.context import app_state, authenticate, path_int, public_base, qr_svg, read_json


class NewDisplayLink(TypedDict):
    link: displays.DisplayLinkView
    #: the link to open on the projector; shown once (only the token's hash is kept)
    url: str
    #: the same link as a QR code: an SVG document, base64 (for an <img> data: URL)
    qr_svg_base64: str


async def create_link(request: Request) -> Response:
    body = await read_json(request, schemas.DisplayLinkIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        link, token = await displays.create_link(uow, info.actor, path_int(request, "meeting_id"), body.label)
        view = displays.link_view(link)
    url = displays.display_url(public_base(request), token)
    made: NewDisplayLink = {
        "link": view,
        "url": url,
        "qr_svg_base64": base64.b64encode(qr_svg(url, scale=6)).decode("ascii"),
    }
    return JSONResponse(made, status_code=201, headers={"Cache-Control": "private, no-store"})


async def list_links(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        links = await displays.list_links(uow, info.actor, path_int(request, "meeting_id"))
    return JSONResponse({"links": links})


async def revoke_link(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        link = await displays.revoke_link(
            uow, info.actor, path_int(request, "meeting_id"), path_int(request, "link_id"), utcnow()
        )
        view = displays.link_view(link)
    return JSONResponse(view)


M = "/api/meetings/{meeting_id:int}/display-links"

routes: list[BaseRoute] = [
    Route(M, list_links, methods=["GET"]),
    Route(M, create_link, methods=["POST"]),
    Route(M + "/{link_id:int}/revoke", revoke_link, methods=["POST"]),
]
