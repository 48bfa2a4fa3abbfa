"""A staff user's notifications over HTTP (docs/api.md, "Notifications")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop import clock
from phonghop.services import notifications
from phonghop.web.context import app_state, authenticate, read_json
from phonghop.web.errors import request_language
from phonghop.web.schemas import Body


class ReadIn(Body):
    """``ids`` to mark read; absent: all of the user's notifications."""

    ids: Annotated[list[int], Field(max_length=500)] | None = None


async def list_notifications(request: Request) -> Response:
    unread_only = request.query_params.get("unread") in ("1", "true")
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        # The screen's language when the client names one, else the account's (as in e-mails).
        named = request.query_params.get("lang") or request.headers.get("accept-language")
        lang = request_language(request) if named or info.user is None else info.user.language
        view = await notifications.list_notifications(uow, info.actor, lang, unread_only=unread_only)
    return JSONResponse(view)


async def mark_read(request: Request) -> Response:
    body = await read_json(request, ReadIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        changed = await notifications.mark_read(uow, info.actor, body.ids, clock.now())
    return JSONResponse({"marked": changed})


routes: list[BaseRoute] = [
    Route("/api/notifications", list_notifications, methods=["GET"]),
    Route("/api/notifications/read", mark_read, methods=["POST"]),
]
