"""Follow-up of conclusions over HTTP (docs/api.md, "Follow-up"): the body's units, its
tasks, their history, changing their state with a note, and the report per lead unit; and
the invitations to a meeting (answers, substitutes, the confirmation table, iCalendar).

"Today" (what is late) is the office's date, in ``settings.timezone``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.errors import InvalidInput
from phonghop.services import followup, invitations
from phonghop.services.followup import TaskFilter
from phonghop.services.invitations import Answer
from phonghop.web.context import app_state, authenticate, path_int, query_int, read_json
from phonghop.web.schemas import Body


class UnitIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=followup.MAX_UNIT_NAME)]
    short_name: Annotated[str, Field(max_length=followup.MAX_UNIT_SHORT)] = ""


class UnitPatch(Body):
    name: Annotated[str, Field(min_length=1, max_length=followup.MAX_UNIT_NAME)] | None = None
    short_name: Annotated[str, Field(max_length=followup.MAX_UNIT_SHORT)] | None = None


class AnswerIn(Body):
    state: Annotated[str, Field(max_length=20)]
    reason: Annotated[str, Field(max_length=invitations.MAX_REASON)] = ""
    substitute_name: Annotated[str, Field(max_length=invitations.MAX_NAME)] = ""
    substitute_title: Annotated[str, Field(max_length=invitations.MAX_NAME)] = ""


class DecisionIn(Body):
    accept: bool
    vote: bool = False


class TaskUpdateIn(Body):
    state: Annotated[str, Field(max_length=20)] | None = None
    note: Annotated[str, Field(max_length=followup.MAX_NOTE)] = ""


def _zone(request: Request) -> tzinfo:
    try:
        return ZoneInfo(app_state(request).settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=7))


def _today(request: Request) -> date:
    return datetime.now(UTC).astimezone(_zone(request)).date()


def _query_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw not in ("true", "false"):
        raise InvalidInput("invalid_query", field=name)
    return raw == "true"


def _task_id(request: Request) -> int:
    return path_int(request, "task_id")


async def list_tasks(request: Request) -> Response:
    unit = request.query_params.get("unit", "")
    if len(unit) > 300:
        raise InvalidInput("invalid_query", field="unit")
    where = TaskFilter(
        state=request.query_params.get("state") or None,
        unit=unit,
        late=_query_bool(request, "late"),
        unit_id=query_int(request, "unit_id", None, 1, 2**31 - 1),
        meeting_id=query_int(request, "meeting_id", None, 1, 2**31 - 1),
        notice_id=query_int(request, "notice_id", None, 1, 2**31 - 1),
    )
    limit = query_int(request, "limit", 100, 1, 500)
    offset = query_int(request, "offset", 0, 0, 10**9)
    assert limit is not None and offset is not None
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        tasks, total = await followup.list_tasks(
            uow, info.actor, _today(request), where, limit=limit, offset=offset
        )
        return JSONResponse({"tasks": tasks, "total": total})


async def get_task(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(await followup.get_task(uow, info.actor, _task_id(request), _today(request)))


async def update_task(request: Request) -> Response:
    body = await read_json(request, TaskUpdateIn)
    task_id, today = _task_id(request), _today(request)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="POST")
        await followup.update_task(uow, info.actor, task_id, today, state=body.state, note=body.note)
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(await followup.get_task(uow, info.actor, task_id, today))


async def task_report(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(await followup.report(uow, info.actor, _today(request)))


async def list_units(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse({"units": await followup.list_units(uow, info.actor)})


async def create_unit(request: Request) -> Response:
    body = await read_json(request, UnitIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="POST")
        view = await followup.create_unit(uow, info.actor, name=body.name, short_name=body.short_name)
    return JSONResponse(view, status_code=201)


async def update_unit(request: Request) -> Response:
    body = await read_json(request, UnitPatch)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="PATCH")
        view = await followup.update_unit(
            uow, info.actor, path_int(request, "unit_id"), name=body.name, short_name=body.short_name
        )
    return JSONResponse(view)


async def delete_unit(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="DELETE")
        await followup.delete_unit(uow, info.actor, path_int(request, "unit_id"))
    return JSONResponse({"ok": True})


async def my_invitation(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await invitations.my_invitation(uow, info.actor, path_int(request, "meeting_id"))
        return JSONResponse(view)


async def answer_invitation(request: Request) -> Response:
    body = await read_json(request, AnswerIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="PUT")
        view = await invitations.answer(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            Answer(body.state, body.reason, body.substitute_name, body.substitute_title),
        )
    return JSONResponse(view)


async def confirmation_table(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await invitations.confirmation_table(uow, info.actor, path_int(request, "meeting_id"))
        return JSONResponse(view)


async def decide_substitute(request: Request) -> Response:
    body = await read_json(request, DecisionIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow, method="POST")
        view = await invitations.decide_substitute(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "participant_id"),
            accept=body.accept,
            vote=body.vote,
        )
    return JSONResponse(view)


async def calendar_file(request: Request) -> Response:
    host = request.url.hostname or "phonghop"
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        text, name = await invitations.calendar_file(
            uow, info.actor, path_int(request, "meeting_id"), host=host
        )
    return Response(
        text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


T = "/api/tasks/{task_id:int}"
U = "/api/units/{unit_id:int}"
M = "/api/meetings/{meeting_id:int}"

routes: list[BaseRoute] = [
    Route("/api/tasks", list_tasks, methods=["GET"]),
    Route("/api/tasks/report", task_report, methods=["GET"]),
    Route(T, get_task, methods=["GET"]),
    Route(T + "/updates", update_task, methods=["POST"]),
    Route("/api/units", list_units, methods=["GET"]),
    Route("/api/units", create_unit, methods=["POST"]),
    Route(U, update_unit, methods=["PATCH"]),
    Route(U, delete_unit, methods=["DELETE"]),
    Route(M + "/invitation", my_invitation, methods=["GET"]),
    Route(M + "/invitation", answer_invitation, methods=["PUT"]),
    Route(M + "/invitations", confirmation_table, methods=["GET"]),
    Route(M + "/invitations/{participant_id:int}/substitute", decide_substitute, methods=["POST"]),
    Route(M + "/invitation.ics", calendar_file, methods=["GET"]),
]
