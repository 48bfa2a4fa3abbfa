"""The signer signs in their own session; the office then numbers and issues.

Vietnamese offices issue a document in this order (Nghị định 30/2020/NĐ-CP, Điều 13 and
Điều 15; see docs/notices.md): the competent person signs it, then the văn thư gives it
its number and date and applies the body's seal (for an electronic document, the body's
digital signature). So:

1. The office hands a draft to the user who signs it (:func:`request_signature`): the
   signature block's signer must be that user (same name). The draft is then frozen
   (``notice_awaiting_signature``) until the signer acts or the office withdraws it
   (:func:`withdraw_signature_request`).
2. The signer, signed in as themselves, sees it (:func:`signature_requests`), reads it,
   and returns it with a reason (:func:`return_to_office`) or signs it
   (:func:`sign_as_signer`): the notice is laid out with empty form fields where the
   number and the date go, and signed with the signer's key (their token with their PIN,
   or the body's PKCS#12 where the settings give them no token) as a certification
   signature that permits form filling only. No number is taken.
3. The office issues it (:func:`phonghop.services.notices.issuing.issue`).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime

from sqlalchemy import delete, select

from phonghop.domain import notice as nd
from phonghop.domain.notice_edits import AWAITING_SIGNATURE, DRAFT, SIGNER_SIGNED, WITH_SIGNER, require_draft
from phonghop.domain.permissions import Actor
from phonghop.domain.text import compare_key, normalize
from phonghop.errors import Conflict, InvalidInput, PermissionDenied, Unavailable
from phonghop.notices import build_document
from phonghop.notices.pdf import SigningLayout, write_signing_pdf
from phonghop.notices.signing import certify_pdf_with
from phonghop.notices.stamp import SignatureStamp
from phonghop.services.audit import record_audit
from phonghop.services.notices.editing import lock_any_notice, lock_notice
from phonghop.services.notices.images import stamp_for
from phonghop.services.notices.issuing import RENDER_LOCK, SIGNED_FILE, signer_of
from phonghop.services.notices.settings import BodyConfig, load_body_config
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import Meeting, Notice, NoticeFile, User, utcnow

#: The reason written into the signer's signature when the body sets none.
_SIGNER_REASON = "Ký thông báo kết luận"
#: The longest reason a signer may give for returning a draft.
MAX_REASON = 2000


async def signer_candidates(uow: UnitOfWork, notice: Notice) -> list[User]:
    """The active users of the notice's body named as its signature block's signer."""
    name = compare_key(nd.NoticeDraft.from_dict(notice.draft).signature.signer_name)
    users = await uow.session.scalars(
        select(User).where(User.body_id == notice.body_id, User.active.is_(True)).order_by(User.id)
    )
    return [u for u in users if compare_key(u.full_name) == name]


async def _config_that_signs(uow: UnitOfWork, notice: Notice) -> tuple[nd.NoticeDraft, BodyConfig]:
    _, config = await load_body_config(uow, notice.body_id)
    draft = nd.NoticeDraft.from_dict(notice.draft)
    if draft.format is not config.settings.format:
        raise Conflict("notice_format_changed", draft=draft.format.value, body=config.settings.format.value)
    if config.signing is None:
        raise Unavailable("notice_signing_unavailable", reason="not_configured")
    return draft, config


async def request_signature(uow: UnitOfWork, actor: Actor, notice_id: int, signer_user_id: int) -> Notice:
    """Hand a draft to its signer (office staff). The user must be an active user of the
    body whose name is the signature block's (``notice_signer_mismatch`` otherwise), and
    the body must sign its notices (``notice_signing_unavailable``)."""
    notice = await lock_notice(uow, actor, notice_id)
    require_draft(notice.state)
    draft, _config = await _config_that_signs(uow, notice)
    user = await uow.session.get(User, signer_user_id)
    if user is None or user.body_id != notice.body_id or not user.active:
        raise InvalidInput("notice_signer_invalid", field="signer_user_id")
    if compare_key(user.full_name) != compare_key(draft.signature.signer_name):
        raise InvalidInput("notice_signer_mismatch", signer=draft.signature.signer_name)
    notice.state = AWAITING_SIGNATURE
    notice.signer_user_id = user.id
    notice.return_reason = ""
    notice.updated_at = utcnow()
    await uow.session.flush()
    record_audit(
        uow, actor, "notice.signature_requested", target_type="notice", target_id=notice.id, signer=user.id
    )
    return notice


async def withdraw_signature_request(uow: UnitOfWork, actor: Actor, notice_id: int) -> Notice:
    """Take a notice back from its signer (office staff), signed by them or not: it is a
    draft again and what they signed is discarded (``notice_not_with_signer`` otherwise)."""
    notice = await lock_notice(uow, actor, notice_id)
    if notice.state not in WITH_SIGNER:
        raise Conflict("notice_not_with_signer")
    await _back_to_draft(uow, notice)
    record_audit(uow, actor, "notice.signature_withdrawn", target_type="notice", target_id=notice.id)
    return notice


async def _back_to_draft(uow: UnitOfWork, notice: Notice) -> None:
    await uow.session.execute(
        delete(NoticeFile).where(NoticeFile.notice_id == notice.id, NoticeFile.kind == SIGNED_FILE)
    )
    notice.state = DRAFT
    notice.signer_signed_at = None
    notice.updated_at = utcnow()
    await uow.session.flush()


async def _lock_as_signer(uow: UnitOfWork, actor: Actor, notice_id: int) -> Notice:
    """The notice, locked, for the user it was handed to; anyone else: 403."""
    notice = await lock_any_notice(uow, actor, notice_id)
    if actor.user_id is None or notice.signer_user_id != actor.user_id or notice.state not in WITH_SIGNER:
        raise PermissionDenied("notice_signer_only")
    return notice


async def return_to_office(uow: UnitOfWork, actor: Actor, notice_id: int, reason: str) -> Notice:
    """The signer sends the draft back unsigned, saying why; the office sees the reason."""
    reason = normalize(reason)
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput("notice_return_reason_required", field="reason")
    notice = await _lock_as_signer(uow, actor, notice_id)
    if notice.state != AWAITING_SIGNATURE:
        raise Conflict("notice_signer_signed")
    await _back_to_draft(uow, notice)
    notice.return_reason = reason
    record_audit(uow, actor, "notice.returned", target_type="notice", target_id=notice.id, reason=reason)
    return notice


def _signing_layout(draft: nd.NoticeDraft, config: BodyConfig, stamp: SignatureStamp | None) -> SigningLayout:
    with RENDER_LOCK:
        return write_signing_pdf(build_document(draft, config.body, config.settings), stamp)


async def sign_as_signer(
    uow: UnitOfWork, actor: Actor, notice_id: int, *, pin: str | None = None, now: datetime | None = None
) -> Notice:
    """The signer signs the notice handed to them: laid out without number and date
    (empty form fields), showing their signature image where uploaded, signed with
    their key as a certification signature permitting form filling. Their token's
    ``pin`` is used for this signature only and never stored; a wrong PIN or a missing
    token changes nothing. No number is taken: the office numbers it when it issues."""
    notice = await _lock_as_signer(uow, actor, notice_id)
    if notice.state != AWAITING_SIGNATURE:
        raise Conflict("notice_signer_signed")
    draft, config = await _config_that_signs(uow, notice)
    assert config.signing is not None
    signer_name = draft.signature.signer_name
    signed_at = now or utcnow()
    async with signer_of(config, signer_name, pin) as signer:
        assert signer is not None  # the body signs (checked above)
        stamp = await stamp_for(uow, notice.body_id, config.body, signer_name, signed_at)
        layout = await asyncio.to_thread(_signing_layout, draft, config, stamp)
        pdf = await asyncio.to_thread(
            certify_pdf_with,
            layout.pdf,
            signer,
            reason=config.signing.reason or _SIGNER_REASON,
            location=config.body.place,
            seal_box=layout.seal_box,
        )
    uow.session.add(
        NoticeFile(
            notice_id=notice.id,
            kind=SIGNED_FILE,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            content=pdf,
        )
    )
    notice.state = SIGNER_SIGNED
    notice.signer_signed_at = signed_at
    notice.updated_at = utcnow()
    await uow.session.flush()
    record_audit(
        uow,
        actor,
        "notice.signed_by_signer",
        target_type="notice",
        target_id=notice.id,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    return notice


async def signature_requests(uow: UnitOfWork, actor: Actor) -> list[tuple[Notice, Meeting]]:
    """The notices handed to the actor to sign, oldest first, each with its meeting."""
    if actor.user_id is None:
        raise PermissionDenied("notice_signer_only")
    rows = await uow.session.execute(
        select(Notice, Meeting)
        .join(Meeting, Meeting.id == Notice.meeting_id)
        .where(
            Notice.body_id == actor.body_id,
            Notice.signer_user_id == actor.user_id,
            Notice.state == AWAITING_SIGNATURE,
        )
        .order_by(Notice.updated_at, Notice.id)
    )
    return [(row[0], row[1]) for row in rows]
