"""Follow-up of conclusions over HTTP (docs/api.md, "Follow-up"): the body's units, its
tasks, their history, changing their state with a note, the lead unit's reports with
attached files, the office's acceptance or reopening, the report per lead unit (also for
the bodies under the office's, and as DOCX/XLSX). Invitations are in web/invitations.py.

"Today" (what is late) is the office's date, in ``settings.timezone``.

Attachments are the request body itself (as document uploads are), streamed into the
documents' blob store under ``attachments/`` with the size limit ``settings.max_upload_mb``;
the type is read from the content once stored, before any row is written, and a refused
file leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop.documents.files import DocumentFiles
from phonghop.errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from phonghop.exports.tables import write_docx, write_xlsx
from phonghop.services import followup
from phonghop.services.followup import TaskFilter
from phonghop.storage.models import utcnow
from phonghop.translations import pick_language
from phonghop.web.context import (
    app_state,
    authenticate,
    download_headers,
    office_today,
    path_int,
    query_int,
    read_json,
)
from phonghop.web.schemas import Body


class UnitIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=followup.MAX_UNIT_NAME)]
    short_name: Annotated[str, Field(max_length=followup.MAX_UNIT_SHORT)] = ""


class UnitPatch(Body):
    name: Annotated[str, Field(min_length=1, max_length=followup.MAX_UNIT_NAME)] | None = None
    short_name: Annotated[str, Field(max_length=followup.MAX_UNIT_SHORT)] | None = None


class TaskUpdateIn(Body):
    state: Annotated[str, Field(max_length=20)] | None = None
    note: Annotated[str, Field(max_length=followup.MAX_NOTE)] = ""


class ReportIn(Body):
    note: Annotated[str, Field(max_length=followup.MAX_NOTE)] = ""
    done: bool = False
    attachment_ids: Annotated[list[int], Field(default_factory=list, max_length=followup.MAX_ATTACHMENTS)]


class AcceptIn(Body):
    note: Annotated[str, Field(max_length=followup.MAX_NOTE)] = ""


class ReopenIn(Body):
    reason: Annotated[str, Field(max_length=followup.MAX_NOTE)]


def _query_bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw not in ("true", "false"):
        raise InvalidInput("invalid_query", field=name)
    return raw == "true"


def _task_id(request: Request) -> int:
    return path_int(request, "task_id")


def _body_id(request: Request) -> int | None:
    return query_int(request, "body_id", None, 1, 2**31 - 1)


async def list_tasks(request: Request) -> Response:
    unit = request.query_params.get("unit", "")
    if len(unit) > 300:
        raise InvalidInput("invalid_query", field="unit")
    where = TaskFilter(
        state=request.query_params.get("state") or None,
        status=request.query_params.get("status") or None,
        awaiting=_query_bool(request, "awaiting"),
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
            uow,
            info.actor,
            office_today(request),
            where,
            limit=limit,
            offset=offset,
            body_id=_body_id(request),
        )
        return JSONResponse({"tasks": tasks, "total": total})


async def get_task(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(
            await followup.get_task(uow, info.actor, _task_id(request), office_today(request))
        )


async def _task_after(request: Request, task_id: int, today: date) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse(await followup.get_task(uow, info.actor, task_id, today))


async def update_task(request: Request) -> Response:
    body = await read_json(request, TaskUpdateIn)
    task_id, today = _task_id(request), office_today(request)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await followup.update_task(uow, info.actor, task_id, today, state=body.state, note=body.note)
    return await _task_after(request, task_id, today)


async def report_progress(request: Request) -> Response:
    body = await read_json(request, ReportIn)
    task_id, today = _task_id(request), office_today(request)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await followup.report_progress(
            uow,
            info.actor,
            task_id,
            today,
            note=body.note,
            done=body.done,
            attachment_ids=body.attachment_ids,
        )
    return await _task_after(request, task_id, today)


async def accept_task(request: Request) -> Response:
    body = await read_json(request, AcceptIn)
    task_id, today = _task_id(request), office_today(request)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await followup.accept_task(uow, info.actor, task_id, utcnow(), note=body.note)
    return await _task_after(request, task_id, today)


async def reopen_task(request: Request) -> Response:
    body = await read_json(request, ReopenIn)
    task_id, today = _task_id(request), office_today(request)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await followup.reopen_task(uow, info.actor, task_id, reason=body.reason)
    return await _task_after(request, task_id, today)


async def task_report(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        view = await followup.report(uow, info.actor, office_today(request), body_id=_body_id(request))
        return JSONResponse(view)


EXPORTS = {
    "docx": (write_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (write_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


async def export_report(request: Request) -> Response:
    """The follow-up report as DOCX or XLSX, headers in ``?lang=`` or the user's language."""
    fmt = request.url.path.rsplit(".", 1)[-1]
    writer, media_type = EXPORTS[fmt]
    today = office_today(request)
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        preferred = request.query_params.get("lang") or (info.user.language if info.user else None)
        table = await followup.report_table(
            uow, info.actor, today, pick_language(preferred), body_id=_body_id(request)
        )
    data = await asyncio.to_thread(writer, table)
    name = f"theo-doi-nhiem-vu-{today.isoformat()}.{fmt}"
    return Response(data, media_type=media_type, headers=download_headers(name))


async def subordinate_bodies(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse({"bodies": await followup.subordinate_bodies(uow, info.actor)})


# -- attachments ---------------------------------------------------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _files(request: Request) -> DocumentFiles:
    files: DocumentFiles = app_state(request).files
    return files


def attachment_path(blob_dir: Path, sha256: str) -> Path:
    """``blob_dir/attachments/ab/cd/<sha256>``: beside the documents' blobs, apart from
    them (a document's clean-up never removes an attachment with the same bytes)."""
    if not _SHA256.fullmatch(sha256):
        raise NotFound("attachment_not_found")
    return blob_dir / "attachments" / sha256[:2] / sha256[2:4] / sha256


def _limit_mb(size: int) -> int:
    return size >> 20


def _move_into_place(temp: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():  # same name, same bytes
        temp.unlink()
        return
    with open(temp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(temp, final)


async def _receive_attachment(request: Request, filename: str) -> tuple[str, int, str]:
    """Stream the body into the blob store: (sha256, size, kind). Refused as soon as it is
    too large or its first bytes are none of the allowed types; nothing is kept then."""
    files = _files(request)
    limit = files.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("attachment_too_large", limit_mb=_limit_mb(limit))
    fd, temp_name = tempfile.mkstemp(dir=files.blob_dir, prefix=".upload-", suffix=".part")
    temp = Path(temp_name)
    try:
        digest, size, head = hashlib.sha256(), 0, b""
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                if not chunk:
                    continue
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge("attachment_too_large", limit_mb=_limit_mb(limit))
                if len(head) < followup.SNIFF_BYTES:
                    head = (head + chunk)[: followup.SNIFF_BYTES]
                    if len(head) >= followup.SNIFF_BYTES and followup.sniff_attachment(head) is None:
                        raise UnsupportedMedia(
                            "attachment_type_invalid", allowed="PDF, DOCX, XLSX, JPEG, PNG"
                        )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("attachment_empty")
        kind = await asyncio.to_thread(followup.attachment_kind, temp, filename)
        sha256 = digest.hexdigest()
        await asyncio.to_thread(_move_into_place, temp, attachment_path(files.blob_dir, sha256))
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return sha256, size, kind


async def _forget_if_unused(request: Request, sha256: str) -> None:
    async with app_state(request).db.unit(write=False) as uow:
        used = await followup.attachment_blob_in_use(uow, sha256)
    if not used:
        with contextlib.suppress(FileNotFoundError):
            attachment_path(_files(request).blob_dir, sha256).unlink()


async def upload_attachment(request: Request) -> Response:
    task_id = _task_id(request)
    filename = (request.query_params.get("filename") or request.headers.get("x-filename") or "").strip()
    filename = filename[: followup.MAX_FILENAME]
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        await followup.check_can_attach(uow, info.actor, task_id)
    sha256, size, kind = await _receive_attachment(request, filename)
    try:
        async with app_state(request).db.unit() as uow:
            info = await authenticate(request, uow)
            view = await followup.add_attachment(
                uow, info.actor, task_id, sha256=sha256, size=size, kind=kind, filename=filename
            )
    except BaseException:
        await _forget_if_unused(request, sha256)
        raise
    return JSONResponse(view, status_code=201)


async def download_attachment(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        row = await followup.attachment_for_download(uow, info.actor, path_int(request, "attachment_id"))
        sha256, kind, name = row.sha256, row.kind, row.filename
    path = attachment_path(_files(request).blob_dir, sha256)
    if not path.exists():
        raise NotFound("attachment_not_found")
    ascii_name = f"attachment-{path_int(request, 'attachment_id')}{followup.ATTACHMENT_TYPES[kind][1][0]}"
    return FileResponse(
        path,
        media_type=followup.ATTACHMENT_TYPES[kind][0],
        headers={**download_headers(name, fallback=ascii_name), "X-Content-Type-Options": "nosniff"},
    )


async def list_units(request: Request) -> Response:
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        return JSONResponse({"units": await followup.list_units(uow, info.actor)})


async def create_unit(request: Request) -> Response:
    body = await read_json(request, UnitIn)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await followup.create_unit(uow, info.actor, name=body.name, short_name=body.short_name)
    return JSONResponse(view, status_code=201)


async def update_unit(request: Request) -> Response:
    body = await read_json(request, UnitPatch)
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        view = await followup.update_unit(
            uow, info.actor, path_int(request, "unit_id"), name=body.name, short_name=body.short_name
        )
    return JSONResponse(view)


async def delete_unit(request: Request) -> Response:
    async with app_state(request).db.unit() as uow:
        info = await authenticate(request, uow)
        await followup.delete_unit(uow, info.actor, path_int(request, "unit_id"))
    return JSONResponse({"ok": True})


T = "/api/tasks/{task_id:int}"
U = "/api/units/{unit_id:int}"
M = "/api/meetings/{meeting_id:int}"

routes: list[BaseRoute] = [
    Route("/api/tasks", list_tasks, methods=["GET"]),
    Route("/api/tasks/report", task_report, methods=["GET"]),
    Route("/api/tasks/report.docx", export_report, methods=["GET"]),
    Route("/api/tasks/report.xlsx", export_report, methods=["GET"]),
    Route(T, get_task, methods=["GET"]),
    Route(T + "/updates", update_task, methods=["POST"]),
    Route(T + "/reports", report_progress, methods=["POST"]),
    Route(T + "/accept", accept_task, methods=["POST"]),
    Route(T + "/reopen", reopen_task, methods=["POST"]),
    Route(T + "/attachments", upload_attachment, methods=["POST"]),
    Route("/api/task-attachments/{attachment_id:int}", download_attachment, methods=["GET"]),
    Route("/api/bodies/subordinate", subordinate_bodies, methods=["GET"]),
    Route("/api/units", list_units, methods=["GET"]),
    Route("/api/units", create_unit, methods=["POST"]),
    Route(U, update_unit, methods=["PATCH"]),
    Route(U, delete_unit, methods=["DELETE"]),
]
