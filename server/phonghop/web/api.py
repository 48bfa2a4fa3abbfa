"""The JSON API for preparing meetings (``/api/...``)."""

from __future__ import annotations

import secrets
from typing import NotRequired, TypedDict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.domain.meeting import MeetingAction, MeetingState
from phonghop.domain.permissions import can_run_meeting
from phonghop.errors import InvalidInput, NotFound, PermissionDenied, PhonghopError, Unauthenticated
from phonghop.services import accounts, bodies, displays, identity, meetings
from phonghop.services.accounts import SessionInfo
from phonghop.services.meetings import AgendaFields, MeetingFields, ParticipantFields
from phonghop.services.roster import etag_matches
from phonghop.storage.models import User, utcnow
from phonghop.web import schemas
from phonghop.web.context import (
    app_state,
    authenticate,
    path_int,
    public_base,
    qr_svg,
    read_json,
    session_token,
)
from phonghop.web.cookies import DEVICE_COOKIE, SESSION_COOKIE, sign, unsign

#: How long a browser that signed in stays a "known device" of that account (one year).
KNOWN_DEVICE_MAX_AGE = 365 * 24 * 3600


class AccountView(TypedDict):
    id: int
    username: str
    full_name: str
    title: str
    role: str
    language: str
    unit_id: int | None


class SessionView(TypedDict):
    """Who the session is: an account (``kind`` "user") or a tablet in a meeting."""

    name: str
    csrf_token: str
    kind: NotRequired[str]
    user: NotRequired[AccountView]
    meeting_id: NotRequired[int | None]
    participant: NotRequired[meetings.ParticipantView]


def _session_json(info: SessionInfo) -> SessionView:
    actor = info.actor
    who: SessionView = {"name": actor.name, "csrf_token": info.csrf_token}
    if info.user is not None:
        who["kind"] = "user"
        who["user"] = {
            "id": info.user.id,
            "username": info.user.username,
            "full_name": info.user.full_name,
            "title": info.user.title,
            "role": info.user.role,
            "language": info.user.language,
            "unit_id": info.user.unit_id,
        }
    if info.display_link_id is not None:
        who["kind"] = "display"
        who["meeting_id"] = actor.meeting_id
    if info.participant is not None:
        who["kind"] = "tablet"
        who["meeting_id"] = actor.meeting_id
        who["participant"] = meetings.participant_view(info.participant)
    return who


def _set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    settings = app_state(request).settings
    response.set_cookie(
        SESSION_COOKIE,
        sign(settings.secret_key, token),
        max_age=max_age,
        httponly=True,
        secure=settings.cookie_secure or request.url.scheme == "https",
        samesite="lax",
        path="/",
    )


# -- sessions -------------------------------------------------------------------------------


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _known_device(request: Request) -> int | None:
    """The account this browser signed in to before (the signed ``phonghop_device`` cookie)."""
    value = unsign(app_state(request).settings.secret_key, request.cookies.get(DEVICE_COOKIE))
    head = (value or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


async def login(request: Request) -> Response:
    body = await read_json(request, schemas.LoginIn)
    state = app_state(request)
    address, now = _address(request), utcnow()
    known = _known_device(request)
    async with state.db.unit(write=False) as uow:
        exempt = known is not None and await accounts.is_user(uow, body.username, known)
        if not exempt:
            await accounts.check_login_allowed(uow, body.username, address, now)
    try:
        async with state.db.unit(write=False) as uow:
            user = await accounts.authenticate(uow, state.passwords, body.username, body.password)
    except Unauthenticated:
        if not exempt:
            async with state.db.unit() as uow:
                await accounts.record_login_failure(uow, body.username, address, now)
        raise
    async with state.db.unit() as uow:
        if not exempt:  # a known device's success says nothing of the others at its address
            await accounts.clear_login_failures(uow, body.username, address)
        new = await accounts.start_session(
            uow,
            max_age=state.settings.session_max_age,
            user_id=user.id,
            user_agent=request.headers.get("user-agent", ""),
            address=address,
        )
    async with state.db.unit(write=False) as uow:
        info = await accounts.resolve_session(uow, new.token)
    response = JSONResponse(_session_json(info))
    _set_session_cookie(request, response, new.token, new.max_age)
    if known != user.id:
        response.set_cookie(
            DEVICE_COOKIE,
            sign(state.settings.secret_key, f"{user.id}.{secrets.token_urlsafe(12)}"),
            max_age=KNOWN_DEVICE_MAX_AGE,
            httponly=True,
            secure=state.settings.cookie_secure or request.url.scheme == "https",
            samesite="lax",
            path="/api/session",
        )
    return response


async def current_session(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow, display=True)
        return JSONResponse(_session_json(info))


async def logout(request: Request) -> Response:
    state = app_state(request)
    async with state.db.unit() as uow:
        await authenticate(request, uow)
        token = session_token(request)
        assert token is not None
        await accounts.end_session(uow, token)
    state.grants.forget_session(token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def logout_everywhere(request: Request) -> Response:
    """Sign out everywhere: every session of this account ends, this one included."""
    state = app_state(request)
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        count = await accounts.end_all_sessions(uow, info.actor)
    token = session_token(request)
    if token is not None:
        state.grants.forget_session(token)
    response = JSONResponse({"ended": count})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def revoke_participant_sessions(request: Request) -> Response:
    """The office takes a tablet out: the participant's sessions end and its sockets close."""
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        count = await meetings.revoke_participant_sessions(
            uow, info.actor, path_int(request, "participant_id")
        )
    return JSONResponse({"ended": count})


async def join_info(request: Request) -> Response:
    """What a tablet shows after the code is typed: the meeting, and the names to pick from
    (no roles: only what a person needs to find their own name, and how they sign in).
    Served from memory (``services.roster``); a tablet that has this version gets 304.
    Wrong codes are throttled per address."""
    state = app_state(request)
    address, now = _address(request), utcnow()
    async with state.db.unit(write=False) as uow:
        await identity.check_lookup_allowed(uow, address, now)
    try:
        entry = await state.join_lists.get(state.db, request.path_params["code"])
    except NotFound:
        async with state.db.unit() as uow:
            await identity.record_lookup_failure(uow, address, now)
        raise
    headers = {"ETag": entry.etag, "Cache-Control": "private, no-cache"}
    if etag_matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


async def join(request: Request) -> Response:
    """The join code and who holds the tablet: a personal code, the participant's account,
    or nothing (then the device waits for the secretary: 202 and ``device_pending``)."""
    body = await read_json(request, schemas.JoinIn)
    state = app_state(request)
    async with state.db.unit() as uow:
        joined = await identity.join_meeting(
            uow,
            state.passwords,
            identity.JoinRequest(
                code=body.code,
                participant_id=body.participant_id,
                personal_code=body.personal_code,
                username=body.username,
                password=body.password,
            ),
            max_age=state.settings.session_max_age,
            now=utcnow(),
            user_agent=request.headers.get("user-agent", ""),
            address=_address(request),
        )
    if joined.error is not None:
        raise joined.error
    new = joined.session
    assert new is not None and joined.participant is not None
    if joined.pending:
        response = JSONResponse(
            {
                "pending": True,
                "device_id": new.device_id,
                "csrf_token": new.csrf_token,
                "full_name": joined.participant.full_name,
            },
            status_code=202,
        )
    else:
        async with state.db.unit(write=False) as uow:
            info = await accounts.resolve_session(uow, new.token)
        response = JSONResponse(_session_json(info))
    _set_session_cookie(request, response, new.token, new.max_age)
    return response


async def open_display(request: Request) -> Response:
    """The projector's browser trades the link's token for a display session (a cookie)."""
    body = await read_json(request, schemas.DisplayOpenIn)
    state = app_state(request)
    now, address = utcnow(), _address(request)
    error: PhonghopError | None = None
    async with state.db.unit() as uow:
        await displays.check_open_allowed(uow, address, now)
        try:
            await displays.open_link(uow, body.token, now, address)
        except PhonghopError as exc:
            error = exc  # the failure is counted in this unit, which must commit
    if error is not None:
        raise error
    async with state.db.unit(write=False) as uow:
        info = await accounts.resolve_session(uow, body.token)
    view: SessionView = _session_json(info)
    response = JSONResponse(view)
    _set_session_cookie(request, response, body.token, state.settings.session_max_age)
    return response


async def change_password(request: Request) -> Response:
    """Change one's own password; every other session of the account ends."""
    body = await read_json(request, schemas.PasswordChangeIn)
    state = app_state(request)
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        count = await accounts.change_password(
            uow, state.passwords, info.actor, info.session_id, body.current_password, body.new_password
        )
    return JSONResponse({"ended": count})


async def reset_password(request: Request) -> Response:
    """An administrator sets a new password for an account: all its sessions end."""
    body = await read_json(request, schemas.PasswordResetIn)
    state = app_state(request)
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        count = await accounts.reset_password(
            uow, state.passwords, info.actor, path_int(request, "user_id"), body.password
        )
    return JSONResponse({"ended": count})


async def unlock_user(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        count = await accounts.unlock_user(uow, info.actor, path_int(request, "user_id"))
    return JSONResponse({"unlocked": count})


# -- meetings ---------------------------------------------------------------------------------


async def list_meetings(request: Request) -> Response:
    state_param = request.query_params.get("state")
    try:
        state = MeetingState(state_param) if state_param else None
        limit = min(max(int(request.query_params.get("limit", "100")), 1), 500)
        offset = min(max(int(request.query_params.get("offset", "0")), 0), 10**9)
    except ValueError:
        raise InvalidInput("invalid_query") from None
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        rows, total = await meetings.list_meetings(uow, info.actor, state=state, limit=limit, offset=offset)
        return JSONResponse({"meetings": [meetings.meeting_view(m) for m in rows], "total": total})


async def create_meeting(request: Request) -> Response:
    body = await read_json(request, schemas.MeetingIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        meeting = await meetings.create_meeting(uow, info.actor, MeetingFields(**body.model_dump()))
        view = meetings.meeting_view(meeting, with_code=True)
    return JSONResponse(view, status_code=201)


class MeetingForCaller(meetings.MeetingDetail):
    """A meeting with the caller's place in it (``GET /api/meetings/{id}``)."""

    my_role: str | None
    my_participant_id: int | None
    demo: bool


async def _detail(request: Request, meeting_id: int) -> MeetingForCaller:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        meeting = await meetings.load_meeting(uow, info.actor, meeting_id, full=True)
        actor = await meetings.actor_in_meeting(uow, info.actor, meeting)
        return MeetingForCaller(
            **meetings.meeting_detail_view(meeting, with_code=can_run_meeting(actor)),
            my_role=actor.meeting_role.value if actor.meeting_role else None,
            my_participant_id=actor.participant_id,
            demo=await bodies.is_demo(uow, meeting.body_id),
        )


async def get_meeting(request: Request) -> Response:
    return JSONResponse(await _detail(request, path_int(request, "meeting_id")))


async def patch_meeting(request: Request) -> Response:
    body = await read_json(request, schemas.MeetingPatch)
    meeting_id = path_int(request, "meeting_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await meetings.update_meeting(uow, info.actor, meeting_id, MeetingFields(**body.model_dump()))
    return JSONResponse(await _detail(request, meeting_id))


async def meeting_action(request: Request) -> Response:
    try:
        action = MeetingAction(request.path_params["action"])
    except ValueError:
        raise NotFound("action_not_found") from None
    meeting_id = path_int(request, "meeting_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await meetings.change_state(uow, info.actor, meeting_id, action)
    return JSONResponse(await _detail(request, meeting_id))


async def reissue_join_code(request: Request) -> Response:
    meeting_id = path_int(request, "meeting_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        meeting = await meetings.reissue_join_code(uow, info.actor, meeting_id)
        code = meeting.join_code
    app_state(request).join_lists.forget_meeting(meeting_id)
    return JSONResponse({"join_code": code})


async def revoke_join_code(request: Request) -> Response:
    meeting_id = path_int(request, "meeting_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await meetings.revoke_join_code(uow, info.actor, meeting_id)
    app_state(request).join_lists.forget_meeting(meeting_id)
    return JSONResponse({"join_code": None})


def join_url(request: Request, code: str) -> str:
    return public_base(request) + f"/tablet/#join={code}"


async def join_qr(request: Request) -> Response:
    """The QR code of the join link, as SVG (printable, scales on the room display)."""
    meeting_id = path_int(request, "meeting_id")
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        meeting = await meetings.load_meeting(uow, info.actor, meeting_id)
        actor = await meetings.actor_in_meeting(uow, info.actor, meeting)
        if not can_run_meeting(actor):
            raise PermissionDenied("secretary_required")
        code = meeting.join_code
    if code is None:
        raise NotFound("join_code_not_issued")
    svg = qr_svg(join_url(request, code), scale=8)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


# -- participants -----------------------------------------------------------------------------


async def add_participant(request: Request) -> Response:
    body = await read_json(request, schemas.ParticipantIn)
    meeting_id = path_int(request, "meeting_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        p = await meetings.add_participant(
            uow, info.actor, meeting_id, ParticipantFields(**body.model_dump())
        )
        view = meetings.participant_view(p)
    return JSONResponse(view, status_code=201)


async def patch_participant(request: Request) -> Response:
    body = await read_json(request, schemas.ParticipantPatch)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        p = await meetings.update_participant(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "participant_id"),
            ParticipantFields(**body.model_dump()),
        )
        view = meetings.participant_view(p)
    return JSONResponse(view)


async def delete_participant(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await meetings.remove_participant(
            uow, info.actor, path_int(request, "meeting_id"), path_int(request, "participant_id")
        )
    return JSONResponse({"ok": True})


async def put_attendance(request: Request) -> Response:
    body = await read_json(request, schemas.AttendanceIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        p = await meetings.set_attendance(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "participant_id"),
            body.attendance,
            body.reason,
        )
        view = meetings.participant_view(p)
    return JSONResponse(view)


# -- agenda -------------------------------------------------------------------------------------


async def add_agenda_item(request: Request) -> Response:
    body = await read_json(request, schemas.AgendaItemIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        item = await meetings.add_agenda_item(
            uow, info.actor, path_int(request, "meeting_id"), AgendaFields(**body.model_dump())
        )
        view = meetings.agenda_item_view(item)
    return JSONResponse(view, status_code=201)


async def patch_agenda_item(request: Request) -> Response:
    body = await read_json(request, schemas.AgendaItemPatch)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        item = await meetings.update_agenda_item(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "item_id"),
            AgendaFields(**body.model_dump()),
        )
        view = meetings.agenda_item_view(item)
    return JSONResponse(view)


async def delete_agenda_item(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await meetings.remove_agenda_item(
            uow, info.actor, path_int(request, "meeting_id"), path_int(request, "item_id")
        )
    return JSONResponse({"ok": True})


async def put_agenda_order(request: Request) -> Response:
    body = await read_json(request, schemas.AgendaOrderIn)
    meeting_id = path_int(request, "meeting_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await meetings.reorder_agenda(uow, info.actor, meeting_id, body.order, body.parent_id)
    return JSONResponse(await _detail(request, meeting_id))


# -- users ----------------------------------------------------------------------------------------


async def add_user(request: Request) -> Response:
    body = await read_json(request, schemas.UserIn)
    state = app_state(request)
    async with state.db.unit() as uow:
        info = await authenticate(request, uow)
        user = await accounts.create_user(
            uow,
            state.passwords,
            body_id=info.actor.body_id,
            username=body.username,
            full_name=body.full_name,
            role=body.role,
            title=body.title,
            password=body.password,
            actor=info.actor,
            unit_id=body.unit_id,
            email=body.email,
        )
        view = _user_view(user)
    return JSONResponse(view, status_code=201)


class UserView(TypedDict):
    id: int
    username: str
    full_name: str
    title: str
    role: str
    active: bool
    unit_id: int | None
    email: str


def _user_view(u: User) -> UserView:
    return {
        "id": u.id,
        "username": u.username,
        "full_name": u.full_name,
        "title": u.title,
        "role": u.role,
        "active": u.active,
        "unit_id": u.unit_id,
        "email": u.email,
    }


async def patch_user(request: Request) -> Response:
    body = await read_json(request, schemas.UserPatch)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        user = await accounts.update_user(
            uow, info.actor, path_int(request, "user_id"), body.model_dump(exclude_unset=True)
        )
        view = _user_view(user)
    return JSONResponse(view)


async def list_users(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        users = await accounts.list_users(uow, info.actor)
        return JSONResponse({"users": [_user_view(u) for u in users]})


M = "/api/meetings/{meeting_id:int}"

routes: list[BaseRoute] = [
    Route("/api/session", login, methods=["POST"]),
    Route("/api/session", current_session, methods=["GET"]),
    Route("/api/session", logout, methods=["DELETE"]),
    Route("/api/sessions", logout_everywhere, methods=["DELETE"]),
    Route("/api/session/password", change_password, methods=["PUT"]),
    Route("/api/users/{user_id:int}/password", reset_password, methods=["POST"]),
    Route("/api/users/{user_id:int}/unlock", unlock_user, methods=["POST"]),
    Route("/api/join/{code:str}", join_info, methods=["GET"]),
    Route("/api/join", join, methods=["POST"]),
    Route("/api/display/open", open_display, methods=["POST"]),
    Route("/api/users", list_users, methods=["GET"]),
    Route("/api/users", add_user, methods=["POST"]),
    Route("/api/users/{user_id:int}", patch_user, methods=["PATCH"]),
    Route("/api/meetings", list_meetings, methods=["GET"]),
    Route("/api/meetings", create_meeting, methods=["POST"]),
    Route(M, get_meeting, methods=["GET"]),
    Route(M, patch_meeting, methods=["PATCH"]),
    Route(M + "/actions/{action:str}", meeting_action, methods=["POST"]),
    Route(M + "/join-code", reissue_join_code, methods=["POST"]),
    Route(M + "/join-code", revoke_join_code, methods=["DELETE"]),
    Route(M + "/join-qr.svg", join_qr, methods=["GET"]),
    Route(M + "/participants", add_participant, methods=["POST"]),
    Route(M + "/participants/{participant_id:int}", patch_participant, methods=["PATCH"]),
    Route(M + "/participants/{participant_id:int}", delete_participant, methods=["DELETE"]),
    Route(M + "/participants/{participant_id:int}/attendance", put_attendance, methods=["PUT"]),
    Route(
        M + "/participants/{participant_id:int}/sessions/revoke",
        revoke_participant_sessions,
        methods=["POST"],
    ),
    Route(M + "/agenda", add_agenda_item, methods=["POST"]),
    Route(M + "/agenda/order", put_agenda_order, methods=["PUT"]),
    Route(M + "/agenda/{item_id:int}", patch_agenda_item, methods=["PATCH"]),
    Route(M + "/agenda/{item_id:int}", delete_agenda_item, methods=["DELETE"]),
]
