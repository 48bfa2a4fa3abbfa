"""The room display's link (màn hình phòng họp): a projector without a signed-in browser.

The office, or whoever runs the meeting from the console, makes a link for the meeting: a
long random token, of which only the hash is kept. A browser that opens it gets a display
session (the cookie carries the token): it reads the meeting as every participant may,
never a classified document, and sends no command. Revoking the link, or the meeting
ending, closes a display already connected (the same close codes as tablets: 4409 and
4411). Wrong tokens are throttled like join codes (services.identity).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TypedDict

from sqlalchemy import select

from phonghop.domain.permissions import Actor, can_run_meeting
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from phonghop.services import identity, meetings
from phonghop.services.accounts import (
    CLOSE_REVOKED,
    ENDED_STATES,
    check_display_link,
    display_token_hash,
    end_access,
    name_and_title,
)
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import DisplayLink, Meeting

#: Random bytes in a token (43 URL-safe characters in the link).
TOKEN_BYTES = 32
MAX_LABEL = 100


def display_url(base_url: str, token: str) -> str:
    """The link the projector opens: the room display, which exchanges the token."""
    return base_url.rstrip("/") + f"/room/#/display/{token}"


class DisplayLinkView(TypedDict):
    id: int
    meeting_id: int
    label: str
    created_at: str | None
    created_by: str
    revoked_at: str | None
    active: bool


def link_view(link: DisplayLink) -> DisplayLinkView:
    return {
        "id": link.id,
        "meeting_id": link.meeting_id,
        "label": link.label,
        "created_at": meetings.iso(link.created_at),
        "created_by": link.created_by_name,
        "revoked_at": meetings.iso(link.revoked_at),
        "active": link.revoked_at is None,
    }


async def _manager(uow: UnitOfWork, actor: Actor, meeting_id: int) -> tuple[Meeting, Actor]:
    """A console login that may run the meeting (the office, its secretary or chair)."""
    meeting = await meetings.load_meeting(uow, actor, meeting_id)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if actor.user_id is None or actor.display or not can_run_meeting(scoped):
        raise PermissionDenied("secretary_required")
    return meeting, scoped


async def create_link(
    uow: UnitOfWork, actor: Actor, meeting_id: int, label: str = ""
) -> tuple[DisplayLink, str]:
    """A new link for the meeting: the row and the token (shown once, never stored)."""
    meeting, scoped = await _manager(uow, actor, meeting_id)
    if meeting.state in ENDED_STATES:
        raise Conflict("meeting_not_open_for_join")
    label = normalize(label.strip())
    if len(label) > MAX_LABEL:
        raise InvalidInput("display_label_too_long", limit=MAX_LABEL)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    name, _title = await name_and_title(uow, scoped)
    link = DisplayLink(
        meeting_id=meeting.id,
        token_hash=display_token_hash(token),
        label=label,
        created_by=actor.user_id,
        created_by_name=name,
    )
    uow.session.add(link)
    await uow.session.flush()
    record_audit(uow, scoped, "display.created", target_type="meeting", target_id=meeting.id, link=link.id)
    return link, token


async def list_links(uow: UnitOfWork, actor: Actor, meeting_id: int) -> list[DisplayLinkView]:
    """The meeting's links, newest first, revoked ones included (with when)."""
    meeting, _ = await _manager(uow, actor, meeting_id)
    rows = await uow.session.scalars(
        select(DisplayLink)
        .where(DisplayLink.meeting_id == meeting.id)
        .order_by(DisplayLink.created_at.desc(), DisplayLink.id.desc())
    )
    return [link_view(row) for row in rows]


async def revoke_link(
    uow: UnitOfWork, actor: Actor, meeting_id: int, link_id: int, now: datetime
) -> DisplayLink:
    """The link stops working; a display connected with it closes (4409) on every instance."""
    meeting, scoped = await _manager(uow, actor, meeting_id)
    link = await uow.session.get(DisplayLink, link_id)
    if link is None or link.meeting_id != meeting.id:
        raise NotFound("display_link_not_found")
    if link.revoked_at is None:
        link.revoked_at = now
        end_access(uow, close=CLOSE_REVOKED, sessions=[link.token_hash])
        record_audit(
            uow, scoped, "display.revoked", target_type="meeting", target_id=meeting.id, link=link.id
        )
    return link


async def open_link(uow: UnitOfWork, token: str, now: datetime, address: str = "") -> DisplayLink:
    """A browser opens the link: the link if it works. A wrong token counts against the
    address, like a wrong join code; call ``check_open_allowed`` first, and commit the
    unit of work even when this raises (the failure must be kept)."""
    link = await uow.session.scalar(
        select(DisplayLink).where(DisplayLink.token_hash == display_token_hash(token))
    )
    if link is None:
        await identity.record_lookup_failure(uow, address, now)
        raise NotFound("display_link_invalid")
    await check_display_link(uow, link)
    record_audit(
        uow,
        None,
        "display.opened",
        target_type="meeting",
        target_id=link.meeting_id,
        link=link.id,
        remote_addr=address,
    )
    return link


async def check_open_allowed(uow: UnitOfWork, address: str, now: datetime) -> None:
    await identity.check_lookup_allowed(uow, address, now)
