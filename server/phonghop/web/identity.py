"""The console's side of the identity step: devices, waiting devices, personal codes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.errors import NotFound
from phonghop.services import identity
from phonghop.storage.models import utcnow
from phonghop.web import schemas
from phonghop.web.context import app_state, authenticate, path_int, public_base, qr_svg, read_json


async def list_devices(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await identity.list_devices(uow, info.actor, path_int(request, "meeting_id"), utcnow())
    return JSONResponse(view)


async def confirm_device(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await identity.confirm_device(
            uow, info.actor, path_int(request, "meeting_id"), request.path_params["device_id"], utcnow()
        )
    return JSONResponse(view)


async def revoke_device(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await identity.revoke_device(
            uow, info.actor, path_int(request, "meeting_id"), request.path_params["device_id"], utcnow()
        )
    return JSONResponse({"ok": True})


async def put_devices_allowed(request: Request) -> Response:
    body = await read_json(request, schemas.DevicesAllowedIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        p = await identity.set_devices_allowed(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "participant_id"),
            body.devices,
        )
        count = p.devices_allowed
    return JSONResponse({"participant_id": path_int(request, "participant_id"), "devices_allowed": count})


async def personal_codes(request: Request) -> Response:
    """Each person's personal code, for the invitations (giấy mời) and the office's sheet."""
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        codes = await identity.personal_codes(uow, info.actor, path_int(request, "meeting_id"))
    return JSONResponse({"participants": codes}, headers={"Cache-Control": "private, no-store"})


async def reissue_personal_code(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        code = await identity.reissue_personal_code(
            uow, info.actor, path_int(request, "meeting_id"), path_int(request, "participant_id"), utcnow()
        )
    return JSONResponse({"personal_code": code}, headers={"Cache-Control": "private, no-store"})


async def personal_qr(request: Request) -> Response:
    """The QR code printed on one person's invitation: the join link with their code."""
    meeting_id, participant_id = path_int(request, "meeting_id"), path_int(request, "participant_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        codes = await identity.personal_codes(uow, info.actor, meeting_id)
        join_code = await identity.join_code_of(uow, meeting_id)
    found = [c for c in codes if c["participant_id"] == participant_id]
    if not found or join_code is None:
        raise NotFound("participant_not_found" if not found else "join_code_not_issued")
    link = identity.personal_link(public_base(request), join_code, found[0]["personal_code"])
    return Response(
        qr_svg(link, scale=6), media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"}
    )


M = "/api/meetings/{meeting_id:int}"

routes: list[BaseRoute] = [
    Route(M + "/devices", list_devices, methods=["GET"]),
    Route(M + "/devices/{device_id:str}/confirm", confirm_device, methods=["POST"]),
    Route(M + "/devices/{device_id:str}/revoke", revoke_device, methods=["POST"]),
    Route(M + "/participants/{participant_id:int}/devices-allowed", put_devices_allowed, methods=["PUT"]),
    Route(M + "/personal-codes", personal_codes, methods=["GET"]),
    Route(M + "/participants/{participant_id:int}/personal-code", reissue_personal_code, methods=["POST"]),
    Route(M + "/participants/{participant_id:int}/personal-qr.svg", personal_qr, methods=["GET"]),
]
