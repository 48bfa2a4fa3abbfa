"""Polls over HTTP (the office prepares them) and their websocket commands (the meeting runs them).

HTTP: ``GET|POST /api/meetings/{id}/polls``, ``GET|PATCH|DELETE /api/polls/{id}``.
Websocket: ``poll.open``, ``poll.close``, ``poll.cancel``, ``poll.cast_ballot``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.domain.permissions import Actor
from phonghop.domain.poll import Eligibility, MajorityRule, OptionRole, PollKind, PollType, QuorumRule
from phonghop.realtime import protocol as p
from phonghop.services import ballots, polls
from phonghop.services.polls import PollFields
from phonghop.storage.db import Database, UnitOfWork
from phonghop.web.context import app_state, authenticate, path_int, read_json
from phonghop.web.schemas import Body

OptionId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class OptionIn(Body):
    id: OptionId | None = None
    label: Annotated[str, Field(min_length=1, max_length=300)]
    role: OptionRole | None = None


class PollIn(Body):
    title: Annotated[str, Field(max_length=500)] | None = None
    agenda_item_id: int | None = None
    kind: PollKind
    type: PollType = PollType.APPROVAL
    options: Annotated[list[OptionIn], Field(default_factory=list, max_length=polls.MAX_OPTIONS)]
    max_choices: Annotated[int, Field(ge=1, le=polls.MAX_OPTIONS)] = 1
    min_choices: Annotated[int, Field(ge=0, le=polls.MAX_OPTIONS)] | None = None
    eligibility: Eligibility = Eligibility.PRESENT_VOTING_MEMBERS
    majority: MajorityRule = MajorityRule.MORE_THAN_HALF_OF_MEMBERS
    quorum: QuorumRule = QuorumRule.NONE
    require_quorum_to_open: bool = False
    allow_change: bool = False
    keep_minority_opinion: bool = False


class PollPatch(Body):
    title: Annotated[str, Field(max_length=500)] | None = None
    agenda_item_id: int | None = None
    clear_agenda_item: bool = False
    kind: PollKind | None = None
    type: PollType | None = None
    options: Annotated[list[OptionIn], Field(max_length=polls.MAX_OPTIONS)] | None = None
    max_choices: Annotated[int, Field(ge=1, le=polls.MAX_OPTIONS)] | None = None
    min_choices: Annotated[int, Field(ge=0, le=polls.MAX_OPTIONS)] | None = None
    eligibility: Eligibility | None = None
    majority: MajorityRule | None = None
    quorum: QuorumRule | None = None
    require_quorum_to_open: bool | None = None
    allow_change: bool | None = None
    keep_minority_opinion: bool | None = None


_NOT_SPEC = {"title", "agenda_item_id", "clear_agenda_item"}


def _spec_changes(body: PollIn | PollPatch, given: set[str]) -> dict[str, Any]:
    """The settings given; ``min_choices`` may be null (the type's default), others not."""
    data = body.model_dump(mode="json")
    return {name: data[name] for name in given - _NOT_SPEC if data[name] is not None or name == "min_choices"}


async def list_polls(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        views = await polls.list_polls(uow, info.actor, path_int(request, "meeting_id"))
    return JSONResponse({"polls": views})


async def create_poll(request: Request) -> Response:
    body = await read_json(request, PollIn)
    fields = PollFields(
        title=body.title,
        agenda_item_id=body.agenda_item_id,
        spec=_spec_changes(body, set(PollIn.model_fields)),
    )
    state = app_state(request)
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        poll = await polls.create_poll(uow, info.actor, path_int(request, "meeting_id"), fields)
        poll_id = poll.id
    async with state.db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await polls.get_poll(uow, info.actor, poll_id)
    return JSONResponse(view, status_code=201)


async def get_poll(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await polls.get_poll(uow, info.actor, path_int(request, "poll_id"))
    return JSONResponse(view)


async def patch_poll(request: Request) -> Response:
    body = await read_json(request, PollPatch)
    fields = PollFields(
        title=body.title,
        agenda_item_id=body.agenda_item_id,
        spec=_spec_changes(body, body.model_fields_set),
    )
    poll_id = path_int(request, "poll_id")
    state = app_state(request)
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        await polls.update_poll(uow, info.actor, poll_id, fields, clear_agenda_item=body.clear_agenda_item)
    async with state.db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await polls.get_poll(uow, info.actor, poll_id)
    return JSONResponse(view)


async def delete_poll(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await polls.delete_poll(uow, info.actor, path_int(request, "poll_id"))
    return JSONResponse({"ok": True})


M = "/api/meetings/{meeting_id:int}/polls"
P = "/api/polls/{poll_id:int}"

routes: list[BaseRoute] = [
    Route(M, list_polls, methods=["GET"]),
    Route(M, create_poll, methods=["POST"]),
    Route(P, get_poll, methods=["GET"]),
    Route(P, patch_poll, methods=["PATCH"]),
    Route(P, delete_poll, methods=["DELETE"]),
]


async def _open(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.PollOpen) -> dict[str, Any]:
    return await polls.open_poll(uow, actor, meeting_id, cmd.poll_id)


async def _close(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.PollClose) -> dict[str, Any]:
    return await ballots.close_poll(uow, actor, meeting_id, cmd.poll_id)


async def _cancel(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.PollCancel) -> dict[str, Any]:
    return await polls.cancel_poll(uow, actor, meeting_id, cmd.poll_id)


async def _cast(uow: UnitOfWork, actor: Actor, meeting_id: int, cmd: p.PollCastBallot) -> dict[str, Any]:
    return await polls.cast_ballot(uow, actor, meeting_id, cmd.poll_id, cmd.ballot_key, cmd.choices)


async def cast_batched(db: Database, actor: Actor, meeting_id: int, cmd: p.PollCastBallot) -> dict[str, Any]:
    """The websocket's way: the ballot joins this instance's next batch (a secret one waits
    in the box); the acknowledgement comes once its batch has committed."""
    queue = ballots.ballot_queue(db)
    return await queue.cast(actor, meeting_id, cmd.poll_id, cmd.ballot_key, cmd.choices)


async def gather_ballot_boxes(db: Database, actor: Actor, meeting_id: int, cmd: p.PollClose) -> None:
    """Before ``poll.close``'s transaction: every other instance writes the secret ballots
    waiting in its box, so the close counts them (docs/voting.md)."""
    await ballots.ballot_queue(db).gather(actor, meeting_id, cmd.poll_id)


#: Websocket commands this area answers: command type -> handler(uow, actor, meeting_id, command).
SOCKET_HANDLERS: dict[str, Callable[[UnitOfWork, Actor, int, Any], Awaitable[dict[str, Any]]]] = {
    "poll.open": _open,
    "poll.close": _close,
    "poll.cancel": _cancel,
    "poll.cast_ballot": _cast,
}
