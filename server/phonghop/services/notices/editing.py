"""Editing and discarding a draft notice; an issued notice is never changed."""

from __future__ import annotations

from sqlalchemy import select

from phonghop.domain import notice as nd
from phonghop.domain.notice_edits import DraftChanges, apply_changes, require_draft
from phonghop.domain.permissions import Actor, require_office, require_same_body
from phonghop.errors import NotFound
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Notice, utcnow


async def lock_notice(uow: UnitOfWork, actor: Actor, notice_id: int) -> Notice:
    """The notice, locked until commit (two offices issuing it at once queue here)."""
    require_office(actor)
    return await lock_any_notice(uow, actor, notice_id)


async def lock_any_notice(uow: UnitOfWork, actor: Actor, notice_id: int) -> Notice:
    """The notice of the actor's body, locked until commit, whoever the actor is: the
    caller checks what they may do with it."""
    notice = await uow.session.scalar(
        select(Notice)
        .where(Notice.id == notice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if notice is None:
        raise NotFound("notice_not_found")
    require_same_body(actor, notice.body_id, "notice")
    return notice


async def update_draft(uow: UnitOfWork, actor: Actor, notice_id: int, changes: DraftChanges) -> Notice:
    """Edit a draft's structured fields; an issued notice is refused (``notice_issued``),
    and so is one in its signer's hands (see :func:`require_draft`)."""
    notice = await lock_notice(uow, actor, notice_id)
    require_draft(notice.state)
    draft = apply_changes(nd.NoticeDraft.from_dict(notice.draft), changes)
    notice.draft = draft.to_dict()
    notice.summary = draft.summary
    if changes.secret is not None:
        notice.secret = changes.secret
    notice.updated_at = utcnow()
    await uow.session.flush()
    return notice


async def delete_draft(uow: UnitOfWork, actor: Actor, notice_id: int) -> None:
    """Discard a draft; an issued notice is kept for ever (``notice_issued``), one in its
    signer's hands is withdrawn first (see :func:`require_draft`)."""
    notice = await lock_notice(uow, actor, notice_id)
    require_draft(notice.state)
    await uow.session.delete(notice)
    record_audit(uow, actor, "notice.deleted", target_type="notice", target_id=notice_id)
