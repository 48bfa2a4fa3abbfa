"""Written opinions over HTTP (docs/api.md, "Written opinions"): the office sends a
consultation to some of the body's users, sees the tally and who has not answered, and
closes it; the members answer.

Deadlines are aware datetimes (ISO 8601 with an offset); views also give the deadline in
the office's time zone (``settings.timezone``) as ``deadline_local``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.services import opinions
from phonghop.web.context import app_state, authenticate, read_json
from phonghop.web.schemas import Body


class ConsultationIn(Body):
    title: Annotated[str, Field(min_length=1, max_length=opinions.MAX_TITLE)]
    question: Annotated[str, Field(min_length=1, max_length=opinions.MAX_QUESTION)]
    deadline: AwareDatetime
    members: Annotated[list[int], Field(min_length=1, max_length=opinions.MAX_MEMBERS)]
    allow_change: bool = False
    meeting_id: int | None = None


class OpinionIn(Body):
    choice: Annotated[str, Field(max_length=20)]
    text: Annotated[str, Field(max_length=opinions.MAX_TEXT)] = ""


def _zone(request: Request) -> tzinfo:
    try:
        return ZoneInfo(app_state(request).settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=7))


def _localize(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    deadline = datetime.fromisoformat(view["deadline"].replace("Z", "+00:00"))
    view["deadline_local"] = deadline.astimezone(_zone(request)).strftime("%H:%M %d/%m/%Y")
    return view


def _id(request: Request) -> int:
    value: int = request.path_params["consultation_id"]
    return value


def _now() -> datetime:
    return datetime.now(UTC)


async def list_consultations(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        items = await opinions.list_consultations(uow, info.actor, _now())
        return JSONResponse({"consultations": [_localize(request, c) for c in items]})


async def create_consultation(request: Request) -> Response:
    body = await read_json(request, ConsultationIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="POST")
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
        info = await authenticate(request, uow, method="PUT")
        changed = await opinions.answer(
            uow, info.actor, _id(request), _now(), choice=body.choice, text=body.text
        )
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await opinions.view(uow, info.actor, _id(request), _now())
        view["changed"] = changed
        return JSONResponse(_localize(request, view))


async def close(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="POST")
        await opinions.close(uow, info.actor, _id(request), _now())
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await opinions.view(uow, info.actor, _id(request), _now())
        return JSONResponse(_localize(request, view))


async def not_answered(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse({"members": await opinions.not_answered(uow, info.actor, _id(request))})


C = "/api/consultations/{consultation_id:int}"

routes: list[BaseRoute] = [
    Route("/api/consultations", list_consultations, methods=["GET"]),
    Route("/api/consultations", create_consultation, methods=["POST"]),
    Route(C, get_consultation, methods=["GET"]),
    Route(C + "/answer", answer, methods=["PUT"]),
    Route(C + "/close", close, methods=["POST"]),
    Route(C + "/not-answered", not_answered, methods=["GET"]),
]
