"""Conclusions and conclusion notices over HTTP, and the ``agenda.record_conclusion`` command.

Endpoints (documented in docs/api.md, "Notices"): the body's notice settings, an agenda
item's conclusion after the meeting, drafting a notice from a closed meeting, editing,
issuing, listing and searching notices, their PDF and DOCX, and an issued notice's edXML package.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.domain.notice import Authority, Concluder
from phonghop.domain.permissions import Actor
from phonghop.errors import InvalidInput, PayloadTooLarge
from phonghop.notices.stamp import MAX_IMAGE_BYTES
from phonghop.realtime import protocol as p
from phonghop.services import conclusions, notices
from phonghop.services.conclusions import PointFields
from phonghop.services.meetings import iso
from phonghop.services.notices import DraftChanges, DraftOptions, PointText
from phonghop.services.notices import images as notice_images
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Meeting, Notice
from phonghop.translations import translate
from phonghop.web.context import (
    app_state,
    authenticate,
    download_headers,
    office_today,
    office_zone,
    path_int,
    query_int,
    read_json,
)
from phonghop.web.errors import request_language
from phonghop.web.schemas import Body

Line = Annotated[str, Field(max_length=500)]
Sentence = Annotated[str, Field(max_length=2000)]


class PointIn(Body):
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    chu_tri: Annotated[str, Field(max_length=300)] = ""
    phoi_hop: Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=20)] = Field(
        default_factory=list
    )
    deadline: date | None = None


class ConclusionIn(Body):
    summary: Annotated[str, Field(max_length=5000)] = ""
    points: Annotated[list[PointIn], Field(max_length=50)]


class DraftIn(Body):
    presiding_participant_id: int | None = None
    subject: Line = ""
    attendance_groups: Annotated[list[Line], Field(max_length=50)] | None = None
    secret: bool | None = None
    concluded_by: Concluder | None = None


class AuthorityIn(Body):
    authority: Authority
    of: Annotated[str, Field(min_length=1, max_length=200)]


class SignatureIn(Body):
    signer_title: Annotated[str, Field(min_length=1, max_length=200)]
    signer_name: Annotated[str, Field(min_length=1, max_length=200)]
    authorities: Annotated[list[AuthorityIn], Field(max_length=3)] = Field(default_factory=list)


class DraftPointIn(Body):
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    heading: bool = False


class DraftPatch(Body):
    summary: Annotated[str, Field(max_length=1000)] | None = None
    opening: Annotated[str, Field(max_length=10000)] | None = None
    points: Annotated[list[DraftPointIn], Field(max_length=500)] | None = None
    vote_sentences: Annotated[list[Sentence], Field(max_length=100)] | None = None
    closing: Annotated[str, Field(max_length=2000)] | None = None
    recipients: Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=100)] | None = None
    file_copy: Annotated[str, Field(max_length=300)] | None = None
    place: Annotated[str, Field(max_length=120)] | None = None
    signature: SignatureIn | None = None
    secret: bool | None = None


class TokenIn(Body):
    signer_name: Annotated[str, Field(min_length=1, max_length=200)]
    module_path: Annotated[str, Field(min_length=1, max_length=1000)]
    token_label: Annotated[str, Field(min_length=1, max_length=32)]
    key_label: Annotated[str, Field(min_length=1, max_length=200)]
    cert_label: Annotated[str, Field(max_length=200)] = ""


class SigningIn(Body):
    pkcs12_path: Annotated[str, Field(max_length=1000)] = ""
    passphrase_env: Annotated[str, Field(max_length=200)] = ""
    passphrase_file: Annotated[str, Field(max_length=1000)] = ""
    reason: Annotated[str, Field(max_length=300)] = ""
    tokens: Annotated[list[TokenIn], Field(max_length=50)] = Field(default_factory=list)


class ExchangeRecipientIn(Body):
    name: Line
    code: Annotated[str, Field(max_length=20)]


class ExchangeIn(Body):
    agency_code: Annotated[str, Field(max_length=20)] = ""
    recipients: Annotated[list[ExchangeRecipientIn], Field(max_length=500)] = Field(default_factory=list)


class SettingsIn(Body):
    layout: dict[str, Any] = Field(default_factory=dict)
    header_name: Line = ""
    parent_name: Line = ""
    sentence_name: Line = ""
    place: Annotated[str, Field(max_length=120)] = ""
    file_copy: Line = ""
    member_label: Line = ""
    term_start: date | None = None
    recipients: Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=100)] = Field(
        default_factory=list
    )
    signature: SignatureIn | None = None
    signing: SigningIn | None = None
    exchange: ExchangeIn | None = None


# -- helpers ---------------------------------------------------------------------------------------


def _points(points: list[PointIn] | list[p.ConclusionPointIn]) -> list[PointFields]:
    return [PointFields(pt.text, pt.chu_tri, tuple(pt.phoi_hop), pt.deadline) for pt in points]


def notice_view(notice: Notice, meeting: Meeting) -> dict[str, Any]:
    """A notice as listed: what it is, its number once issued, and its meeting."""
    return {
        "id": notice.id,
        "state": notice.state,
        "secret": notice.secret,
        "number": notice.number,
        "number_label": notice.number_label,
        "summary": notice.summary,
        "issue_date": notice.issue_date.isoformat() if notice.issue_date else None,
        "issued_at": iso(notice.issued_at),
        "signed": notice.signed,
        "signer_user_id": notice.signer_user_id,
        "signer_signed_at": iso(notice.signer_signed_at),
        "return_reason": notice.return_reason,
        "meeting": {"id": meeting.id, "title": meeting.title, "starts_at": iso(meeting.starts_at)},
        "created_at": iso(notice.created_at),
        "updated_at": iso(notice.updated_at),
    }


async def _detail(uow: UnitOfWork, request: Request, notice: Notice, meeting: Meeting) -> dict[str, Any]:
    """The whole notice: the editable draft, the drafting warnings (with messages in the
    request's language) and, once issued, the files' hashes and sizes."""
    lang = request_language(request)
    warnings = [
        {**w, "message": translate(f"notice.warning.{w['code']}", lang, **w.get("params", {}))}
        for w in notice.warnings
    ]
    candidates = await notices.signer_candidates(uow, notice) if notice.state == notices.DRAFT else []
    return {
        **notice_view(notice, meeting),
        "sequence_key": notice.sequence_key,
        "issued_by": notice.issued_by,
        "draft": notice.draft,
        "warnings": warnings,
        "files": await notices.file_info(uow, notice.id),
        "signer_candidates": [{"id": u.id, "full_name": u.full_name, "title": u.title} for u in candidates],
    }


# -- settings --------------------------------------------------------------------------------------


async def get_settings(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(await notices.get_settings(uow, info.actor))


async def put_settings(request: Request) -> Response:
    body = await read_json(request, SettingsIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await notices.put_settings(uow, info.actor, body.model_dump(mode="json"))
    return JSONResponse(view)


# -- seal and signature images ----------------------------------------------------------------------


def _image_key(request: Request) -> tuple[str, str]:
    return request.path_params["kind"], request.query_params.get("signer", "")


async def _read_png(request: Request) -> bytes:
    """The request body, refused past the image limit before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge("notice_image_too_large", limit_kb=MAX_IMAGE_BYTES // 1024)
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_IMAGE_BYTES:
            raise PayloadTooLarge("notice_image_too_large", limit_kb=MAX_IMAGE_BYTES // 1024)
    return bytes(data)


def _width_mm(request: Request) -> float | None:
    raw = request.query_params.get("width_mm")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput("notice_image_invalid", field="width_mm") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput("notice_image_invalid", field="width_mm")
    return value


async def list_images(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse({"images": await notice_images.list_images(uow, info.actor)})


async def get_image(request: Request) -> Response:
    kind, signer = _image_key(request)
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        content = await notice_images.image_content(uow, info.actor, kind, signer)
    return Response(content, media_type="image/png", headers={"Cache-Control": "no-store"})


async def put_image(request: Request) -> Response:
    kind, signer = _image_key(request)
    width = _width_mm(request)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        data = await _read_png(request)
        view = await notice_images.put_image(uow, info.actor, kind, data, signer_name=signer, width_mm=width)
    return JSONResponse(view)


async def delete_image(request: Request) -> Response:
    kind, signer = _image_key(request)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await notice_images.delete_image(uow, info.actor, kind, signer)
    return JSONResponse({"ok": True})


# -- conclusions -----------------------------------------------------------------------------------


async def list_conclusions(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        items = await conclusions.list_conclusions(uow, info.actor, path_int(request, "meeting_id"))
        return JSONResponse({"conclusions": items})


async def get_conclusion(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await conclusions.get_conclusion(
            uow, info.actor, path_int(request, "meeting_id"), path_int(request, "item_id")
        )
        return JSONResponse(view)


async def put_conclusion(request: Request) -> Response:
    body = await read_json(request, ConclusionIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await conclusions.put_conclusion(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            path_int(request, "item_id"),
            _points(body.points),
            body.summary,
        )
    return JSONResponse(view)


# -- notices ---------------------------------------------------------------------------------------


async def draft_notice(request: Request) -> Response:
    body = await read_json(request, DraftIn)
    options = DraftOptions(
        presiding_participant_id=body.presiding_participant_id,
        subject=body.subject,
        attendance_groups=None if body.attendance_groups is None else tuple(body.attendance_groups),
        secret=body.secret,
        concluded_by=body.concluded_by,
    )
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        notice = await notices.draft_from_meeting(
            uow,
            info.actor,
            path_int(request, "meeting_id"),
            options,
            today=office_today(request),
            tz=office_zone(request),
        )
        notice_id = notice.id
    return JSONResponse(await _read_detail(request, notice_id), status_code=201)


async def _read_detail(request: Request, notice_id: int) -> dict[str, Any]:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        notice, meeting = await notices.get_notice(uow, info.actor, notice_id)
        return await _detail(uow, request, notice, meeting)


async def list_notices(request: Request) -> Response:
    state = request.query_params.get("state") or None
    if state is not None and state not in notices.STATES:
        raise InvalidInput("invalid_query", field="state")
    query = request.query_params.get("q", "")
    if len(query) > 200:
        raise InvalidInput("invalid_query", field="q")
    limit = query_int(request, "limit", 50, 1, 500)
    offset = query_int(request, "offset", 0, 0, 10**9)
    meeting_id = query_int(request, "meeting_id", None, 1, 2**31 - 1)
    assert limit is not None and offset is not None
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        rows, total = await notices.list_notices(
            uow, info.actor, query=query, state=state, meeting_id=meeting_id, limit=limit, offset=offset
        )
        return JSONResponse({"notices": [notice_view(n, m) for n, m in rows], "total": total})


async def get_notice(request: Request) -> Response:
    return JSONResponse(await _read_detail(request, path_int(request, "notice_id")))


async def patch_notice(request: Request) -> Response:
    body = await read_json(request, DraftPatch)
    changes = DraftChanges(
        summary=body.summary,
        opening=body.opening,
        points=None if body.points is None else tuple(PointText(pt.text, pt.heading) for pt in body.points),
        vote_sentences=None if body.vote_sentences is None else tuple(body.vote_sentences),
        closing=body.closing,
        recipients=None if body.recipients is None else tuple(body.recipients),
        file_copy=body.file_copy,
        place=body.place,
        signature=None if body.signature is None else body.signature.model_dump(mode="json"),
        secret=body.secret,
    )
    notice_id = path_int(request, "notice_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await notices.update_draft(uow, info.actor, notice_id, changes)
    return JSONResponse(await _read_detail(request, notice_id))


async def delete_notice(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await notices.delete_draft(uow, info.actor, path_int(request, "notice_id"))
    return JSONResponse({"ok": True})


class IssueIn(Body):
    #: The signer's token PIN, when the signer signs with a USB token: used once, never kept.
    pin: Annotated[str, Field(max_length=64)] | None = None


def _has_json(request: Request) -> bool:
    """The body is optional: read only when one is sent (``read_json`` stays in each
    endpoint, where the API description finds its model)."""
    return "json" in request.headers.get("content-type", "")


async def issue_notice(request: Request) -> Response:
    notice_id = path_int(request, "notice_id")
    pin = (await read_json(request, IssueIn)).pin if _has_json(request) else None
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await notices.issue(uow, info.actor, notice_id, today=office_today(request), pin=pin)
    return JSONResponse(await _read_detail(request, notice_id))


class SignatureRequestIn(Body):
    signer_user_id: int


class ReturnIn(Body):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


async def request_signature(request: Request) -> Response:
    body = await read_json(request, SignatureRequestIn)
    notice_id = path_int(request, "notice_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await notices.request_signature(uow, info.actor, notice_id, body.signer_user_id)
    return JSONResponse(await _read_detail(request, notice_id))


async def withdraw_signature_request(request: Request) -> Response:
    notice_id = path_int(request, "notice_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await notices.withdraw_signature_request(uow, info.actor, notice_id)
    return JSONResponse(await _read_detail(request, notice_id))


async def return_notice(request: Request) -> Response:
    body = await read_json(request, ReturnIn)
    notice_id = path_int(request, "notice_id")
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        notice = await notices.return_to_office(uow, info.actor, notice_id, body.reason)
        meeting = await uow.session.get(Meeting, notice.meeting_id)
        assert meeting is not None
        view = notice_view(notice, meeting)
    return JSONResponse(view)


async def sign_notice(request: Request) -> Response:
    notice_id = path_int(request, "notice_id")
    pin = (await read_json(request, IssueIn)).pin if _has_json(request) else None
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await notices.sign_as_signer(uow, info.actor, notice_id, pin=pin)
    return JSONResponse(await _read_detail(request, notice_id))


async def signature_requests(request: Request) -> Response:
    """The notices handed to the signed-in user to sign ("Thông báo chờ ký")."""
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        rows = await notices.signature_requests(uow, info.actor)
        return JSONResponse({"notices": [notice_view(n, m) for n, m in rows]})


_MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


async def notice_file(request: Request) -> Response:
    kind = request.path_params["kind"]
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        content, name = await notices.notice_file(uow, info.actor, path_int(request, "notice_id"), kind)
    return Response(content, media_type=_MEDIA[kind], headers=download_headers(name, inline=kind == "pdf"))


async def notice_edxml(request: Request) -> Response:
    """The edXML package of an issued notice, for the office's document system (QLVB)."""
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        content, name = await notices.notice_package(
            uow, info.actor, path_int(request, "notice_id"), office_zone(request)
        )
    return Response(content, media_type="application/xml", headers=download_headers(name))


# -- the websocket command -------------------------------------------------------------------------


async def _record_conclusion(
    uow: UnitOfWork, actor: Actor, meeting_id: int, command: p.AgendaRecordConclusion
) -> dict[str, Any]:
    return await conclusions.record_conclusion(
        uow, actor, meeting_id, command.item_id, _points(command.points), command.summary
    )


M = "/api/meetings/{meeting_id:int}"
N = "/api/notices/{notice_id:int}"

routes: list[BaseRoute] = [
    Route("/api/notice-settings", get_settings, methods=["GET"]),
    Route("/api/notice-settings", put_settings, methods=["PUT"]),
    Route("/api/notice-settings/images", list_images, methods=["GET"]),
    Route("/api/notice-settings/images/{kind}", get_image, methods=["GET"]),
    Route("/api/notice-settings/images/{kind}", put_image, methods=["PUT"]),
    Route("/api/notice-settings/images/{kind}", delete_image, methods=["DELETE"]),
    Route(M + "/conclusions", list_conclusions, methods=["GET"]),
    Route(M + "/conclusions/{item_id:int}", get_conclusion, methods=["GET"]),
    Route(M + "/conclusions/{item_id:int}", put_conclusion, methods=["PUT"]),
    Route(M + "/notices", draft_notice, methods=["POST"]),
    Route("/api/notices", list_notices, methods=["GET"]),
    Route("/api/notices/signature-requests", signature_requests, methods=["GET"]),
    Route(N, get_notice, methods=["GET"]),
    Route(N, patch_notice, methods=["PATCH"]),
    Route(N, delete_notice, methods=["DELETE"]),
    Route(N + "/issue", issue_notice, methods=["POST"]),
    Route(N + "/actions/request_signature", request_signature, methods=["POST"]),
    Route(N + "/actions/withdraw_signature_request", withdraw_signature_request, methods=["POST"]),
    Route(N + "/actions/return", return_notice, methods=["POST"]),
    Route(N + "/actions/sign", sign_notice, methods=["POST"]),
    Route(N + "/edxml", notice_edxml, methods=["GET"]),
    Route(N + "/{kind:str}", notice_file, methods=["GET"]),
]

#: Websocket commands this area answers: command type -> handler(uow, actor, meeting_id, command).
SOCKET_HANDLERS: dict[str, Any] = {"agenda.record_conclusion": _record_conclusion}
