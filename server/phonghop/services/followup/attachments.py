"""Files attached to a task's progress reports, recognised by their first bytes."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from phonghop.domain.permissions import Actor
from phonghop.domain.tasks import (
    LEAD_ACCESS,
    MAX_ATTACHMENTS,
    MAX_FILENAME,
    OFFICE_ACCESS,
    PENDING,
    access_to,
)
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, NotFound, PermissionDenied, UnsupportedMedia
from phonghop.services.followup.tasks import _load, attachment_view, require_follower
from phonghop.services.followup.units import _units, unit_matcher
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    Task,
    TaskAttachment,
)

# -- attachments ---------------------------------------------------------------------------------

#: kind -> (media type, file name endings it may have).
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
}
#: How many bytes :func:`sniff_attachment` needs (PDF allows junk before its header).
SNIFF_BYTES = 1024


def sniff_attachment(head: bytes) -> str | None:
    """The kind the first bytes show: pdf | jpeg | png | zip (DOCX or XLSX, to be looked
    into by :func:`attachment_kind`) | None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if b"%PDF-" in head[:SNIFF_BYTES]:
        return "pdf"
    return None


def attachment_kind(path: Path, filename: str) -> str:
    """The kind of a stored upload, from its content; a name that says otherwise (a
    ``.pdf`` that is a PNG) is refused too. ``UnsupportedMedia("attachment_type_invalid")``."""
    with path.open("rb") as f:
        kind = sniff_attachment(f.read(SNIFF_BYTES))
    if kind == "zip":
        kind = None
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            names = set()
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                kind = "docx"
            elif "xl/workbook.xml" in names:
                kind = "xlsx"
    if kind is None:
        raise UnsupportedMedia("attachment_type_invalid", allowed="PDF, DOCX, XLSX, JPEG, PNG")
    suffix = Path(filename).suffix.lower()
    if suffix and suffix not in ATTACHMENT_TYPES[kind][1]:
        raise UnsupportedMedia("attachment_type_invalid", allowed="PDF, DOCX, XLSX, JPEG, PNG")
    return kind


async def attachment_blob_in_use(uow: UnitOfWork, sha256: str) -> bool:
    """Whether an attachment still names this file (see ``documents.blob_in_use``)."""
    used = await uow.session.scalar(select(TaskAttachment.id).where(TaskAttachment.sha256 == sha256).limit(1))
    return used is not None


async def check_can_attach(uow: UnitOfWork, actor: Actor, task_id: int) -> None:
    """Before an upload is read: the actor may report on the task and it is still to do."""
    task, access = await _load(uow, actor, task_id)
    if access not in (OFFICE_ACCESS, LEAD_ACCESS):
        raise PermissionDenied("task_read_only")
    if task.state not in PENDING:
        raise Conflict("task_not_pending", state=task.state)
    pending = await uow.session.scalars(
        select(TaskAttachment.id).where(TaskAttachment.task_id == task.id, TaskAttachment.update_id.is_(None))
    )
    if len(list(pending)) >= MAX_ATTACHMENTS:
        raise Conflict("attachment_limit", limit=MAX_ATTACHMENTS)


async def add_attachment(
    uow: UnitOfWork, actor: Actor, task_id: int, *, sha256: str, size: int, kind: str, filename: str
) -> dict[str, Any]:
    """Record a stored upload as a file of the task, to be sent with the next report."""
    await check_can_attach(uow, actor, task_id)
    row = TaskAttachment(
        task_id=task_id,
        sha256=sha256,
        size=size,
        kind=kind,
        filename=normalize(filename)[:MAX_FILENAME] or f"tep-dinh-kem{ATTACHMENT_TYPES[kind][1][0]}",
        uploaded_by=actor.user_id,
    )
    uow.session.add(row)
    await uow.session.flush()
    return attachment_view(row)


async def attachment_for_download(uow: UnitOfWork, actor: Actor, attachment_id: int) -> TaskAttachment:
    """An attachment the office or the lead unit's users may download; 404 otherwise."""
    require_follower(actor)
    row = await uow.session.get(TaskAttachment, attachment_id)
    if row is None:
        raise NotFound("attachment_not_found")
    task = await uow.session.get(Task, row.task_id)
    assert task is not None
    if task.body_id != actor.body_id:
        raise NotFound("attachment_not_found")
    access = access_to(actor, task, unit_matcher(await _units(uow, task.body_id)))
    if access not in (OFFICE_ACCESS, LEAD_ACCESS):
        raise NotFound("attachment_not_found")
    return row
