"""The seal and signature images of a body's signed notices: uploaded once, drawn on
every notice issued with a digital signature (see :mod:`phonghop.notices.stamp`)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select

from phonghop.domain import notice as nd
from phonghop.domain.permissions import Actor, require_admin, require_office
from phonghop.domain.text import normalize
from phonghop.errors import InvalidInput, NotFound
from phonghop.notices.stamp import DEFAULT_SEAL_MM, SignatureStamp, check_png, signing_time_text
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import NoticeImage, utcnow

SEAL = "seal"
SIGNATURE = "signature"
#: A seal is drawn at its real size: within these bounds (millimetres).
SEAL_MM_RANGE = (15.0, 60.0)


def _key(kind: str, signer_name: str) -> tuple[str, str]:
    """The stored (kind, signer) of an image; ``notice_image_invalid`` names a bad field."""
    if kind == SEAL:
        return SEAL, ""
    if kind != SIGNATURE:
        raise InvalidInput("notice_image_invalid", field="kind")
    signer = normalize(signer_name)
    if not signer or len(signer) > 200:
        raise InvalidInput("notice_image_invalid", field="signer")
    return SIGNATURE, signer


def _view(image: NoticeImage) -> dict[str, Any]:
    return {
        "kind": image.kind,
        "signer": image.signer_name or None,
        "width_mm": image.width_mm,
        "sha256": image.sha256,
        "size": len(image.content),
        "updated_at": image.updated_at.isoformat(),
    }


async def _find(uow: UnitOfWork, body_id: int, kind: str, signer: str) -> NoticeImage | None:
    return await uow.session.scalar(
        select(NoticeImage).where(
            NoticeImage.body_id == body_id, NoticeImage.kind == kind, NoticeImage.signer_name == signer
        )
    )


async def put_image(
    uow: UnitOfWork,
    actor: Actor,
    kind: str,
    data: bytes,
    *,
    signer_name: str = "",
    width_mm: float | None = None,
) -> dict[str, Any]:
    """Store (or replace) the body's seal or a signer's signature (administrators).

    The image must be a transparent PNG within the limits of
    :func:`~phonghop.notices.stamp.check_png`. A seal is drawn at its real size: the
    ``width_mm`` given, else the size its file states (pHYs), else 36 mm.
    """
    require_admin(actor)
    kind, signer = _key(kind, signer_name)
    png = check_png(data)
    if kind == SEAL:
        width = width_mm if width_mm is not None else png.width_mm or DEFAULT_SEAL_MM
        low, high = SEAL_MM_RANGE
        if not low <= width <= high:
            raise InvalidInput("notice_image_invalid", field="width_mm", low=low, high=high)
    else:
        width = width_mm or png.width_mm or 0.0
    image = await _find(uow, actor.body_id, kind, signer)
    if image is None:
        image = NoticeImage(body_id=actor.body_id, kind=kind, signer_name=signer)
        uow.session.add(image)
    image.content = data
    image.width_mm = float(width)
    image.sha256 = hashlib.sha256(data).hexdigest()
    image.updated_at = utcnow()
    await uow.session.flush()
    record_audit(uow, actor, "notice_image.updated", target_type="body", target_id=actor.body_id, kind=kind)
    return _view(image)


async def list_images(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The body's seal and signatures (office staff and administrators)."""
    require_office(actor)
    rows = await uow.session.scalars(
        select(NoticeImage)
        .where(NoticeImage.body_id == actor.body_id)
        .order_by(NoticeImage.kind, NoticeImage.signer_name)
    )
    return [_view(image) for image in rows]


async def image_content(uow: UnitOfWork, actor: Actor, kind: str, signer_name: str = "") -> bytes:
    """The PNG itself, to show it on the settings screen."""
    require_office(actor)
    image = await _find(uow, actor.body_id, *_key(kind, signer_name))
    if image is None:
        raise NotFound("notice_image_not_found")
    return image.content


async def delete_image(uow: UnitOfWork, actor: Actor, kind: str, signer_name: str = "") -> None:
    """Remove the seal or a signature: notices issued afterwards are signed without it."""
    require_admin(actor)
    image = await _find(uow, actor.body_id, *_key(kind, signer_name))
    if image is None:
        raise NotFound("notice_image_not_found")
    await uow.session.delete(image)
    record_audit(uow, actor, "notice_image.deleted", target_type="body", target_id=actor.body_id, kind=kind)


async def stamp_for(
    uow: UnitOfWork, body_id: int, body: nd.IssuingBody, signer_name: str, signed_at: datetime
) -> SignatureStamp | None:
    """What a notice signed at ``signed_at`` shows: the signer's signature (if uploaded)
    and the body's seal (if uploaded) with the body's name and the signing time; ``None``
    when the body has neither."""
    signature = await _find(uow, body_id, SIGNATURE, normalize(signer_name))
    seal = await _find(uow, body_id, SEAL, "")
    if signature is None and seal is None:
        return None
    return SignatureStamp(
        signature_png=None if signature is None else signature.content,
        seal_png=None if seal is None else seal.content,
        seal_width_mm=DEFAULT_SEAL_MM if seal is None else seal.width_mm,
        caption=(body.name.replace("\n", " "), signing_time_text(signed_at)),
    )
