"""Who is holding the tablet: the identity step after the join code, and devices.

The join code admits a device to a meeting; it never proves who holds it. A tablet then
becomes a participant in one of three ways (docs/protocol.md, "Joining a meeting"):

* ``account``: the participant's own account and password (the only way for a chair or a
  secretary who has an account: a controller role is never granted by a code alone);
* ``personal_code``: the code printed on the person's invitation (giấy mời, its QR code
  and its e-mail), which only they received;
* ``confirmed``: without proof the device waits ("thiết bị chờ xác nhận") until the
  secretary confirms it from the console, seeing the name chosen and the device; not for
  chairs and secretaries.

One device is live per participant by default (the office may allow more): a device that
proves the same identity takes the seat over and the older one is closed with 4410.
Failed proofs are throttled per participant and per address (services.throttle).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from phonghop.domain.permissions import Actor, MeetingRole, can_run_meeting, require_office
from phonghop.errors import InvalidInput, NotFound, PermissionDenied, PhonghopError, Unauthenticated
from phonghop.events import AUDIENCE_CONTROLLERS
from phonghop.services import meetings, throttle
from phonghop.services.accounts import (
    CLOSE_REPLACED,
    CLOSE_REVOKED,
    NewSession,
    Passwords,
    clean_join_code,
    end_access,
    meeting_for_code,
    start_session,
)
from phonghop.services.audit import record_audit
from phonghop.services.events import append_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import AuthSession, Meeting, Participant, User, new_personal_code

CONTROLLER_ROLES = (MeetingRole.CHAIR.value, MeetingRole.SECRETARY.value)
MAX_DEVICES = 3


def sign_in_with(p: Participant) -> str:
    """What the tablet asks this person for: "account" (a password) or "code"."""
    return "account" if p.user_id is not None and p.role in CONTROLLER_ROLES else "code"


def personal_link(base_url: str, join_code: str, personal_code: str) -> str:
    """The join link with a personal code: what the QR code on a giấy mời opens."""
    return base_url.rstrip("/") + f"/tablet/#join={join_code}&personal={personal_code}"


def _address_keys(address: str) -> list[tuple[str, throttle.Limit]]:
    return [(f"join:{address[:64]}", throttle.JOIN_ADDRESS)]


async def check_lookup_allowed(uow: UnitOfWork, address: str, now: datetime) -> None:
    await throttle.check(uow, [k for k, _ in _address_keys(address)], now)


async def record_lookup_failure(uow: UnitOfWork, address: str, now: datetime) -> None:
    """A wrong join code from this address (trying codes is throttled like passwords)."""
    await throttle.fail(uow, _address_keys(address), now, address)


@dataclass
class JoinRequest:
    code: str
    participant_id: int | None = None
    personal_code: str | None = None
    username: str | None = None
    password: str | None = None


@dataclass
class Joined:
    """The outcome of a join. ``error`` is set when the attempt failed: the failure was
    counted in this unit of work, which must still commit before the error is raised."""

    participant: Participant | None = None
    session: NewSession | None = None
    pending: bool = False
    error: PhonghopError | None = None


async def join_meeting(
    uow: UnitOfWork,
    passwords: Passwords,
    request: JoinRequest,
    *,
    max_age: int,
    now: datetime,
    user_agent: str = "",
    address: str = "",
) -> Joined:
    """Admit a device: the join code, then who holds it (see the module's docstring)."""
    await check_lookup_allowed(uow, address, now)
    try:
        meeting = await meeting_for_code(uow, request.code)
    except NotFound as exc:
        await record_lookup_failure(uow, address, now)
        return Joined(error=exc)
    participant: Participant | None = None
    if request.participant_id is not None:
        participant = await uow.session.get(Participant, request.participant_id)
        if participant is None or participant.meeting_id != meeting.id:
            raise PermissionDenied("join_participant_mismatch")
    account_id: int | None = None
    if request.username and request.password is not None:
        proof = "account"
        keys = [
            (f"login:{request.username.strip().lower()[:80]}|{address[:64]}", throttle.ACCOUNT_AT_ADDRESS)
        ]
        keys.append((f"addr:{address[:64]}", throttle.ADDRESS))
        await throttle.check(uow, [k for k, _ in keys], now, "login_locked")
        user = await uow.session.scalar(select(User).where(User.username == request.username.strip().lower()))
        ok = passwords.verify(user.password_hash if user else None, request.password)
        if user is None or not ok or not user.active:
            await throttle.fail(uow, keys, now, address)
            return Joined(error=Unauthenticated("login_failed"))
        mine = await uow.session.scalar(
            select(Participant).where(Participant.meeting_id == meeting.id, Participant.user_id == user.id)
        )
        if mine is None or (participant is not None and participant.id != mine.id):
            raise PermissionDenied("join_participant_mismatch")
        participant, account_id = mine, user.id
        await throttle.clear(uow, [keys[0][0]])
    elif request.personal_code:
        proof = "personal_code"
        given = clean_join_code(request.personal_code)
        if participant is not None:
            person_key = [(f"pin:{participant.id}", throttle.PERSONAL_CODE)]
            await throttle.check(uow, [k for k, _ in person_key + _address_keys(address)], now)
            if not participant.personal_code or not hmac.compare_digest(participant.personal_code, given):
                await throttle.fail(uow, person_key + _address_keys(address), now, address)
                return Joined(error=PermissionDenied("personal_code_invalid"))
        else:
            participant = (
                await uow.session.scalar(
                    select(Participant).where(
                        Participant.meeting_id == meeting.id, Participant.personal_code == given
                    )
                )
                if given
                else None
            )
            if participant is None:
                await throttle.fail(uow, _address_keys(address), now, address)
                return Joined(error=PermissionDenied("personal_code_invalid"))
        if sign_in_with(participant) == "account":
            raise PermissionDenied("join_account_required")
    else:
        if participant is None:
            raise InvalidInput("join_participant_required")
        if participant.role in CONTROLLER_ROLES:
            raise PermissionDenied(
                "join_account_required" if participant.user_id else "personal_code_required"
            )
        proof = ""
    pending = proof == ""
    if not pending:
        await _take_over(uow, participant, now)
    session = await start_session(
        uow,
        max_age=max_age,
        participant_id=participant.id,
        user_id=account_id,
        user_agent=user_agent,
        pending=pending,
        proof=proof,
        address=address,
    )
    actor = Actor(body_id=meeting.body_id, participant_id=participant.id, meeting_id=meeting.id)
    record_audit(
        uow,
        actor,
        "tablet.waiting" if pending else "tablet.joined",
        target_type="meeting",
        target_id=meeting.id,
        proof=proof,
        device=session.device_id,
        remote_addr=address,
    )
    if pending:
        await append_event(
            uow,
            meeting.id,
            "device.waiting",
            {
                "device_id": session.device_id,
                "participant_id": participant.id,
                "full_name": participant.full_name,
                "user_agent": user_agent[:300],
            },
            audience=AUDIENCE_CONTROLLERS,
        )
    # A proven join adds no event: a room of 1,600 tablets joining would otherwise fill the
    # meeting's log (and every tablet's replay) with them; the console polls its list.
    return Joined(participant=participant, session=session, pending=pending)


async def _live_sessions(uow: UnitOfWork, participant_id: int, now: datetime) -> list[AuthSession]:
    rows = await uow.session.scalars(
        select(AuthSession)
        .where(
            AuthSession.participant_id == participant_id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.pending.is_(False),
        )
        .order_by(AuthSession.created_at)
    )
    return list(rows)


async def _take_over(uow: UnitOfWork, participant: Participant, now: datetime) -> None:
    """Make room for one more live device: the oldest ones beyond the limit end (4410)."""
    live = await _live_sessions(uow, participant.id, now)
    allowed = max(1, participant.devices_allowed or 1)
    surplus = live[: max(0, len(live) - allowed + 1)]
    if not surplus:
        return
    for row in surplus:
        row.revoked_at = now
    end_access(uow, close=CLOSE_REPLACED, sessions=[row.id for row in surplus])
    record_audit(
        uow, None, "tablet.replaced", target_type="participant", target_id=participant.id, count=len(surplus)
    )


async def _devices_changed(uow: UnitOfWork, meeting_id: int, participant_id: int) -> None:
    await append_event(
        uow, meeting_id, "device.changed", {"participant_id": participant_id}, audience=AUDIENCE_CONTROLLERS
    )


# -- the console: devices, waiting devices, personal codes ------------------------------------------


async def _controller(uow: UnitOfWork, actor: Actor, meeting_id: int) -> tuple[Meeting, Actor]:
    meeting = await meetings.load_meeting(uow, actor, meeting_id)
    scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if not can_run_meeting(scoped):
        raise PermissionDenied("secretary_required")
    return meeting, scoped


def device_view(row: AuthSession, participant: Participant) -> dict[str, Any]:
    return {
        "device_id": row.device_id,
        "participant_id": participant.id,
        "full_name": participant.full_name,
        "state": "pending" if row.pending else "active",
        "proof": row.proof,
        "user_agent": row.user_agent,
        "address": row.address,
        "since": meetings.iso(row.created_at),
    }


async def list_devices(uow: UnitOfWork, actor: Actor, meeting_id: int, now: datetime) -> dict[str, Any]:
    """Each participant's devices, and the devices waiting for confirmation."""
    meeting, _ = await _controller(uow, actor, meeting_id)
    rows = await uow.session.execute(
        select(AuthSession, Participant)
        .join(Participant, AuthSession.participant_id == Participant.id)
        .where(
            Participant.meeting_id == meeting.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.created_at)
    )
    devices = [device_view(s, p) for s, p in rows]
    people = await uow.session.scalars(
        select(Participant)
        .where(Participant.meeting_id == meeting.id)
        .order_by(Participant.position, Participant.id)
    )
    return {
        "devices": devices,
        "participants": [
            {
                "participant_id": p.id,
                "full_name": p.full_name,
                "devices_allowed": p.devices_allowed,
                "sign_in": sign_in_with(p),
            }
            for p in people
        ],
    }


async def _device(
    uow: UnitOfWork, meeting_id: int, device_id: str, now: datetime
) -> tuple[AuthSession, Participant]:
    found = (
        await uow.session.execute(
            select(AuthSession, Participant)
            .join(Participant, AuthSession.participant_id == Participant.id)
            .where(
                Participant.meeting_id == meeting_id,
                AuthSession.device_id == device_id,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
        )
    ).first()
    if found is None:
        raise NotFound("device_not_found")
    return found[0], found[1]


async def confirm_device(
    uow: UnitOfWork, actor: Actor, meeting_id: int, device_id: str, now: datetime
) -> dict[str, Any]:
    """The secretary confirms a waiting device: it becomes that participant's live device."""
    meeting, scoped = await _controller(uow, actor, meeting_id)
    row, participant = await _device(uow, meeting.id, device_id, now)
    if not row.pending:
        raise InvalidInput("device_not_pending")
    await _take_over(uow, participant, now)
    row.pending = False
    row.proof = "confirmed"
    record_audit(
        uow, scoped, "tablet.confirmed", target_type="participant", target_id=participant.id, device=device_id
    )
    await _devices_changed(uow, meeting.id, participant.id)
    return device_view(row, participant)


async def revoke_device(
    uow: UnitOfWork, actor: Actor, meeting_id: int, device_id: str, now: datetime
) -> None:
    """Refuse a waiting device, or take one live device out (its socket closes, 4409)."""
    meeting, scoped = await _controller(uow, actor, meeting_id)
    row, participant = await _device(uow, meeting.id, device_id, now)
    row.revoked_at = now
    end_access(uow, close=CLOSE_REVOKED, sessions=[row.id])
    record_audit(
        uow, scoped, "tablet.revoked", target_type="participant", target_id=participant.id, device=device_id
    )
    await _devices_changed(uow, meeting.id, participant.id)


async def set_devices_allowed(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int, count: int
) -> Participant:
    """The office lets a person use more than one device at once (or back to one)."""
    require_office(actor)
    meeting = await meetings.load_meeting(uow, actor, meeting_id)
    participant = await uow.session.get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        raise NotFound("participant_not_found")
    if not 1 <= count <= MAX_DEVICES:
        raise InvalidInput("devices_allowed_invalid", max=MAX_DEVICES)
    participant.devices_allowed = count
    record_audit(
        uow,
        actor,
        "participant.devices_allowed",
        target_type="participant",
        target_id=participant.id,
        count=count,
    )
    await _devices_changed(uow, meeting.id, participant.id)
    return participant


async def personal_codes(uow: UnitOfWork, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """What the office prints on the invitations: each person's personal code."""
    meeting, _ = await _controller(uow, actor, meeting_id)
    people = await uow.session.scalars(
        select(Participant)
        .where(Participant.meeting_id == meeting.id)
        .order_by(Participant.position, Participant.id)
    )
    out = []
    for p in people:
        if p.personal_code is None:
            p.personal_code = new_personal_code()
        out.append(
            {
                "participant_id": p.id,
                "full_name": p.full_name,
                "title": p.title,
                "sign_in": sign_in_with(p),
                "personal_code": p.personal_code,
            }
        )
    return out


async def reissue_personal_code(
    uow: UnitOfWork, actor: Actor, meeting_id: int, participant_id: int, now: datetime
) -> str:
    """A new code for one person (the old one leaked): devices that joined with it end."""
    meeting, scoped = await _controller(uow, actor, meeting_id)
    participant = await uow.session.get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        raise NotFound("participant_not_found")
    participant.personal_code = new_personal_code()
    ended = list(
        await uow.session.scalars(
            select(AuthSession.id).where(
                AuthSession.participant_id == participant.id,
                AuthSession.proof == "personal_code",
                AuthSession.revoked_at.is_(None),
            )
        )
    )
    if ended:
        await uow.session.execute(update(AuthSession).where(AuthSession.id.in_(ended)).values(revoked_at=now))
        end_access(uow, close=CLOSE_REVOKED, sessions=ended)
    record_audit(
        uow, scoped, "participant.personal_code_reissued", target_type="participant", target_id=participant.id
    )
    await _devices_changed(uow, meeting.id, participant.id)
    return participant.personal_code


async def join_code_of(uow: UnitOfWork, meeting_id: int) -> str | None:
    meeting = await uow.session.get(Meeting, meeting_id)
    return meeting.join_code if meeting is not None else None
