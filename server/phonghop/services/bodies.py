"""Issuing bodies (Tỉnh ủy, UBND tỉnh...): created from the command line or by the demo."""

from __future__ import annotations

from phonghop.domain.text import normalize
from phonghop.errors import InvalidInput
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import IssuingBody

NOTICE_FORMATS = ("party", "state")
#: The key in a body's settings that marks the demo body (``phonghop demo``).
DEMO_FLAG = "demo"


async def create_body(
    uow: UnitOfWork,
    *,
    name: str,
    symbol: str,
    notice_format: str,
    short_name: str = "",
    place: str = "",
    parent_id: int | None = None,
) -> IssuingBody:
    if notice_format not in NOTICE_FORMATS:
        raise InvalidInput("notice_format_invalid", value=notice_format)
    if not normalize(name) or not symbol.strip():
        raise InvalidInput("body_name_and_symbol_required")
    body = IssuingBody(
        name=normalize(name),
        short_name=normalize(short_name or name),
        symbol=symbol.strip(),
        notice_format=notice_format,
        place=normalize(place),
        parent_id=parent_id,
        settings={},
    )
    uow.session.add(body)
    await uow.session.flush()
    return body


async def is_demo(uow: UnitOfWork, body_id: int) -> bool:
    """Whether the body is the demo's, so the console can say how to start the demo over."""
    body = await uow.session.get(IssuingBody, body_id)
    return body is not None and bool((body.settings or {}).get(DEMO_FLAG))
