"""Reading notices: one notice, its files (stored when issued, laid out now when a
draft), and the body's list with a search that ignores diacritics."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from phonghop.domain import notice as nd
from phonghop.domain.notice_edits import ISSUED, SIGNER_SIGNED, WITH_SIGNER
from phonghop.domain.permissions import Actor, require_office, require_same_body
from phonghop.domain.text import fold, matches, normalize
from phonghop.errors import Conflict, NotFound, PermissionDenied
from phonghop.services.notices.issuing import SIGNED_FILE, render
from phonghop.services.notices.settings import load_body_config
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Meeting, Notice, NoticeFile


async def get_notice(uow: UnitOfWork, actor: Actor, notice_id: int) -> tuple[Notice, Meeting]:
    """A notice of the actor's body and its meeting; office staff only, and the user a
    notice was handed to for signing while it is in their hands."""
    notice = await uow.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("notice_not_found") if actor.is_staff else PermissionDenied("office_required")
    require_same_body(actor, notice.body_id, "notice")
    in_hands = notice.state in WITH_SIGNER and actor.user_id is not None
    if not (in_hands and notice.signer_user_id == actor.user_id):
        require_office(actor)
    meeting = await uow.session.get(Meeting, notice.meeting_id)
    assert meeting is not None  # a meeting with notices cannot be deleted
    return notice, meeting


def file_name(notice: Notice, kind: str) -> str:
    """ "thong-bao-12-TB-TU.pdf" for an issued notice, "du-thao-thong-bao-7.pdf" for a draft."""
    if notice.state != ISSUED:
        return f"du-thao-thong-bao-{notice.id}.{kind}"
    label = fold(notice.number_label.removeprefix("Số:").removeprefix("Số"))
    slug = re.sub(r"[^a-z0-9]+", "-", label).strip("-")
    return f"thong-bao-{slug}.{kind}"


async def notice_file(uow: UnitOfWork, actor: Actor, notice_id: int, kind: str) -> tuple[bytes, str]:
    """The notice's PDF or DOCX and a file name: the stored bytes of an issued notice
    (the same bytes at every download), the PDF its signer signed while the office has
    not yet numbered it, or a draft laid out now, without a number."""
    if kind not in ("pdf", "docx"):
        raise NotFound("notice_file_not_found")
    notice, _meeting = await get_notice(uow, actor, notice_id)
    if notice.state == SIGNER_SIGNED and kind == "pdf":
        stored = await uow.session.get(NoticeFile, (notice.id, SIGNED_FILE))
        if stored is None:
            raise NotFound("notice_file_not_found")
        return stored.content, file_name(notice, kind)
    if notice.state == ISSUED:
        stored = await uow.session.get(NoticeFile, (notice.id, kind))
        if stored is None:
            raise NotFound("notice_file_not_found")
        return stored.content, file_name(notice, kind)
    _, config = await load_body_config(uow, notice.body_id)
    draft = nd.NoticeDraft.from_dict(notice.draft)
    if draft.format is not config.settings.format:
        raise Conflict("notice_format_changed", draft=draft.format.value, body=config.settings.format.value)
    files = await render(draft, config, kind)
    return files[kind], file_name(notice, kind)


async def file_info(uow: UnitOfWork, notice_id: int) -> dict[str, Any]:
    rows = await uow.session.execute(
        select(NoticeFile.kind, NoticeFile.sha256, NoticeFile.size).where(NoticeFile.notice_id == notice_id)
    )
    return {kind: {"sha256": sha, "size": size} for kind, sha, size in rows}


async def list_notices(
    uow: UnitOfWork,
    actor: Actor,
    *,
    query: str = "",
    state: str | None = None,
    meeting_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Notice, Meeting]], int]:
    """The body's notices, newest first, each with its meeting.

    ``query`` is searched in the number line, the summary and the meeting's title,
    without regard to diacritics when typed without them ("ket luan" finds "kết luận")
    and to tone-mark placement ("hoà" finds "hòa").
    """
    require_office(actor)
    stmt = (
        select(Notice, Meeting)
        .join(Meeting, Meeting.id == Notice.meeting_id)
        .where(Notice.body_id == actor.body_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
    )
    if state is not None:
        stmt = stmt.where(Notice.state == state)
    if meeting_id is not None:
        stmt = stmt.where(Notice.meeting_id == meeting_id)
    query = normalize(query)
    if not query:
        total = await uow.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        result = await uow.session.execute(stmt.limit(limit).offset(offset))
        return [(row[0], row[1]) for row in result], int(total or 0)
    found = [
        (n, m)
        for n, m in ((row[0], row[1]) for row in await uow.session.execute(stmt))
        if matches(query, f"{n.number_label} {n.summary} {m.title}")
    ]
    return found[offset : offset + limit], len(found)
