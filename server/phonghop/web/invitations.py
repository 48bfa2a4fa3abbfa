"""Invitations over HTTP (docs/api.md, "Invitations"): a participant's answer, the
confirmation table, sending and reminding, the printable giấy mời, the iCalendar file, and
the office's decision on a substitute with the rights it gives.

Times in notifications and on the giấy mời are the office's, in ``settings.timezone``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.errors import InvalidInput
from phonghop.services import invitations
from phonghop.services.invitations import Answer
from phonghop.web.context import (
    app_state,
    authenticate,
    download_headers,
    office_zone,
    path_int,
    public_base,
    query_int,
    read_json,
)
from phonghop.web.schemas import Body


class AnswerIn(Body):
    state: Annotated[str, Field(max_length=20)]
    reason: Annotated[str, Field(max_length=invitations.MAX_REASON)] = ""
    substitute_name: Annotated[str, Field(max_length=invitations.MAX_NAME)] = ""
    substitute_title: Annotated[str, Field(max_length=invitations.MAX_NAME)] = ""


class DecisionIn(Body):
    accept: bool
    vote: bool = False
    read: bool = True
    speak: bool = True


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "")
    if raw not in ("", "0", "1", "true", "false"):
        raise InvalidInput("invalid_query", field=name)
    return raw in ("1", "true")


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf", headers=download_headers(name, inline=True))


async def send_invitations(request: Request) -> Response:
    resend_all = _flag(request, "all")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await invitations.send_invitations(
            uow, info.actor, path_int(request, "meeting_id"), office_zone(request), resend_all=resend_all
        )
    return JSONResponse(view)


async def remind_unanswered(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await invitations.remind_unanswered(
            uow, info.actor, path_int(request, "meeting_id"), office_zone(request)
        )
    return JSONResponse(view)


async def decide_substitute(request: Request) -> Response:
    body = await read_json(request, DecisionIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await invitations.decide_substitute(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "participant_id"),
            accept=body.accept,
            vote=body.vote,
            read=body.read,
            speak=body.speak,
        )
    return JSONResponse(view)


async def invitations_pdf(request: Request) -> Response:
    participant_id = query_int(request, "participant_id", None, 1, 2**31 - 1)
    as_list = _flag(request, "list")
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        content, name = await invitations.invitations_pdf(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            office_zone(request),
            participant_id=participant_id,
            as_list=as_list,
            base_url=public_base(request),
        )
    return _pdf(content, name)


async def my_invitation_pdf(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        content, name = await invitations.my_invitation_pdf(
            uow, info.actor, path_int(request, "meeting_id"), office_zone(request), public_base(request)
        )
    return _pdf(content, name)


async def my_invitation(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await invitations.my_invitation(uow, info.actor, path_int(request, "meeting_id"))
        return JSONResponse(view)


async def answer_invitation(request: Request) -> Response:
    body = await read_json(request, AnswerIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await invitations.answer(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            Answer(body.state, body.reason, body.substitute_name, body.substitute_title),
        )
    return JSONResponse(view)


async def record_answer(request: Request) -> Response:
    body = await read_json(request, AnswerIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await invitations.record_answer(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "participant_id"),
            Answer(body.state, body.reason, body.substitute_name, body.substitute_title),
        )
    return JSONResponse(view)


async def confirmation_table(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await invitations.confirmation_table(uow, info.actor, path_int(request, "meeting_id"))
        return JSONResponse(view)


async def calendar_file(request: Request) -> Response:
    host = request.url.hostname or "phonghop"
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        text, name = await invitations.calendar_file(
            uow, info.actor, path_int(request, "meeting_id"), host=host
        )
    return Response(
        text.encode("utf-8"), media_type="text/calendar; charset=utf-8", headers=download_headers(name)
    )


M = "/api/meetings/{meeting_id:int}"

routes: list[BaseRoute] = [
    Route(M + "/invitations/send", send_invitations, methods=["POST"]),
    Route(M + "/invitations/remind", remind_unanswered, methods=["POST"]),
    Route(M + "/invitations/{participant_id:int}/decision", decide_substitute, methods=["POST"]),
    # The first form of the decision (read and speak allowed): kept for existing clients.
    Route(M + "/invitations/{participant_id:int}/substitute", decide_substitute, methods=["POST"]),
    Route(M + "/invitation", my_invitation, methods=["GET"]),
    Route(M + "/invitation", answer_invitation, methods=["PUT"]),
    Route(M + "/invitations", confirmation_table, methods=["GET"]),
    Route(M + "/invitations/{participant_id:int}", record_answer, methods=["PUT"]),
    Route(M + "/invitation.ics", calendar_file, methods=["GET"]),
    Route(M + "/invitations.pdf", invitations_pdf, methods=["GET"]),
    Route(M + "/invitation.pdf", my_invitation_pdf, methods=["GET"]),
]
