"""Users, password login, sessions and tablet joins."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update

from phonghop.domain.meeting import MeetingState
from phonghop.domain.permissions import (
    Actor,
    MeetingRole,
    UserRole,
    can_run_meeting,
    require_admin,
    require_office,
)
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited, Unauthenticated
from phonghop.realtime.protocol import audience_of
from phonghop.services.audit import record_audit
from phonghop.services.events import append_event
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    AuthSession,
    IssuingBody,
    LoginThrottle,
    Meeting,
    Participant,
    Unit,
    User,
    utcnow,
)

MIN_PASSWORD_LENGTH = 10
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room


class Passwords:
    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        if not stored:
            # Spend the same time as a real check so a missing account is not revealed.
            self._hasher.hash(password)
            return False
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password_too_short", min=MIN_PASSWORD_LENGTH)
    if password.isdigit() or password.isalpha():
        raise InvalidInput("password_too_simple")


# -- throttling password guesses ----------------------------------------------------------

#: Failures allowed within ``LOGIN_WINDOW`` before the account, or the address, is locked.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LOCK = timedelta(minutes=15)


def _throttle_keys(username: str, address: str) -> list[tuple[str, int]]:
    keys = [(f"user:{username.strip().lower()[:80]}", ACCOUNT_FAILURES)]
    if address:
        keys.append((f"addr:{address[:64]}", ADDRESS_FAILURES))
    return keys


async def check_login_allowed(uow: UnitOfWork, username: str, address: str) -> None:
    """Refuse at once, before the (deliberately slow) password check, while locked."""
    now = utcnow()
    for key, _limit in _throttle_keys(username, address):
        row = await uow.session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            minutes = max(1, math.ceil((row.locked_until - now).total_seconds() / 60))
            raise RateLimited("login_locked", minutes=minutes)


async def record_login_failure(uow: UnitOfWork, username: str, address: str) -> None:
    """Count a failed sign-in; lock the account or the address when it passes its limit."""
    now = utcnow()
    for key, limit in _throttle_keys(username, address):
        row = await uow.session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_started=now)
            uow.session.add(row)
        if now - row.window_started > LOGIN_WINDOW:
            row.failures, row.window_started = 0, now
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + LOGIN_LOCK
            row.failures, row.window_started = 0, now
            record_audit(uow, None, "login.locked", target_type="login", target_id=key, remote_addr=address)


async def clear_login_failures(uow: UnitOfWork, username: str) -> None:
    row = await uow.session.get(LoginThrottle, _throttle_keys(username, "")[0][0])
    if row is not None:
        await uow.session.delete(row)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # goes (signed) into the cookie; only its hash is stored
    csrf_token: str
    max_age: int


async def create_user(
    uow: UnitOfWork,
    passwords: Passwords,
    *,
    body_id: int,
    username: str,
    full_name: str,
    role: UserRole,
    title: str = "",
    password: str | None = None,
    actor: Actor | None = None,
    unit_id: int | None = None,
    email: str = "",
) -> User:
    """Create an account. ``actor`` None means the command line (the machine's owner)."""
    if actor is not None:
        require_admin(actor)
        if actor.body_id != body_id:
            raise NotFound("body_not_found")
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise InvalidInput("username_invalid")
    if await uow.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("username_taken", username=username)
    if await uow.session.get(IssuingBody, body_id) is None:
        raise NotFound("body_not_found")
    password_hash = None
    if password is not None:
        check_password_rules(password)
        password_hash = passwords.hash(password)
    await _check_unit(uow, body_id, unit_id)
    user = User(
        body_id=body_id,
        username=username,
        full_name=normalize(full_name),
        title=normalize(title),
        role=role.value,
        password_hash=password_hash,
        unit_id=unit_id,
        email=clean_email(email),
    )
    uow.session.add(user)
    await uow.session.flush()
    record_audit(uow, actor, "user.created", target_type="user", target_id=user.id, role=role.value)
    return user


def clean_email(value: str) -> str:
    """An e-mail address as stored ("" for none); a value that cannot be one is refused."""
    value = value.strip()
    if not value:
        return ""
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise InvalidInput("email_invalid")
    return value


async def _check_unit(uow: UnitOfWork, body_id: int, unit_id: int | None) -> None:
    if unit_id is None:
        return
    unit = await uow.session.get(Unit, unit_id)
    if unit is None or unit.body_id != body_id:
        raise NotFound("unit_not_found")


async def update_user(uow: UnitOfWork, actor: Actor, user_id: int, changes: dict[str, Any]) -> User:
    """An administrator changes an account of their body (name, title, role, active, unit,
    e-mail, language). A deactivated account's sessions stop working at once."""
    require_admin(actor)
    user = await uow.session.get(User, user_id)
    if user is None or user.body_id != actor.body_id:
        raise NotFound("user_not_found")
    if "unit_id" in changes:
        await _check_unit(uow, user.body_id, changes["unit_id"])
        user.unit_id = changes["unit_id"]
    if changes.get("full_name") is not None:
        user.full_name = normalize(changes["full_name"])
    if changes.get("title") is not None:
        user.title = normalize(changes["title"])
    if changes.get("email") is not None:
        user.email = clean_email(changes["email"])
    if changes.get("language") in ("vi", "en"):
        user.language = changes["language"]
    if changes.get("role") is not None:
        if user.id == actor.user_id and changes["role"] != UserRole.ADMIN:
            raise Conflict("cannot_demote_self")
        user.role = UserRole(changes["role"]).value
    if changes.get("active") is not None:
        if user.id == actor.user_id and not changes["active"]:
            raise Conflict("cannot_demote_self")
        user.active = bool(changes["active"])
    await uow.session.flush()
    record_audit(uow, actor, "user.updated", target_type="user", target_id=user.id, fields=sorted(changes))
    return user


async def authenticate(uow: UnitOfWork, passwords: Passwords, username: str, password: str) -> User:
    user = await uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise Unauthenticated("login_failed")
    return user


async def start_session(
    uow: UnitOfWork,
    *,
    max_age: int,
    user_id: int | None = None,
    participant_id: int | None = None,
    user_agent: str = "",
) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    uow.session.add(
        AuthSession(
            id=_hash_token(token),
            user_id=user_id,
            participant_id=participant_id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(seconds=max_age),
            user_agent=user_agent[:300],
        )
    )
    return NewSession(token=token, csrf_token=csrf, max_age=max_age)


async def end_session(uow: UnitOfWork, token: str) -> None:
    await uow.session.execute(
        update(AuthSession).where(AuthSession.id == _hash_token(token)).values(revoked_at=utcnow())
    )


async def end_all_sessions(uow: UnitOfWork, actor: Actor) -> int:
    """ "Sign out everywhere": every session of the actor's account; how many were open."""
    if actor.user_id is None:
        raise PermissionDenied("staff_account_required")
    result = await uow.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == actor.user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    record_audit(
        uow, actor, "session.signed_out_everywhere", target_type="user", target_id=actor.user_id, count=count
    )
    return count


async def revoke_participant_sessions(uow: UnitOfWork, actor: Actor, participant_id: int) -> int:
    """The office takes a tablet out of the meeting: its sessions end, its sockets close (4409)."""
    participant = await uow.session.get(Participant, participant_id)
    if participant is None:
        raise NotFound("participant_not_found")
    meeting = await uow.session.get(Meeting, participant.meeting_id)
    assert meeting is not None
    if meeting.body_id != actor.body_id:
        raise NotFound("participant_not_found")
    scoped = actor
    if actor.meeting_id != meeting.id:
        from phonghop.services import meetings  # a cycle at import time otherwise

        scoped = await meetings.actor_in_meeting(uow, actor, meeting)
    if not can_run_meeting(scoped):
        raise PermissionDenied("secretary_required")
    result = await uow.session.execute(
        update(AuthSession)
        .where(AuthSession.participant_id == participant_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    record_audit(
        uow, scoped, "session.revoked", target_type="participant", target_id=participant_id, count=count
    )
    await append_event(
        uow,
        meeting.id,
        "participant.sessions_revoked",
        {"participant_id": participant_id},
        actor=scoped,
        audience=audience_of([participant_id]),
    )
    return count


@dataclass(frozen=True)
class SessionInfo:
    actor: Actor
    csrf_token: str
    user: User | None
    participant: Participant | None


async def resolve_session(uow: UnitOfWork, token: str) -> SessionInfo:
    """The actor behind a session token, or :class:`Unauthenticated`."""
    row = await uow.session.get(AuthSession, _hash_token(token))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthenticated("session_expired")
    if row.user_id is not None:
        user = await uow.session.get(User, row.user_id)
        if user is None or not user.active:
            raise Unauthenticated("session_expired")
        actor = Actor(
            body_id=user.body_id,
            user_id=user.id,
            user_role=UserRole(user.role),
            name=user.full_name,
            unit_id=user.unit_id,
        )
        return SessionInfo(actor=actor, csrf_token=row.csrf_token, user=user, participant=None)
    participant = await uow.session.get(Participant, row.participant_id) if row.participant_id else None
    if participant is None:
        raise Unauthenticated("session_expired")
    meeting = await uow.session.get(Meeting, participant.meeting_id)
    assert meeting is not None
    actor = participant_actor(meeting, participant)
    return SessionInfo(actor=actor, csrf_token=row.csrf_token, user=None, participant=participant)


def participant_actor(meeting: Meeting, participant: Participant) -> Actor:
    """The actor of a tablet session: this participant, in this meeting."""
    return Actor(
        body_id=meeting.body_id,
        participant_id=participant.id,
        meeting_id=meeting.id,
        meeting_role=MeetingRole(participant.role),
        name=participant.full_name,
        can_read=participant.can_read,
    )


async def preload_sessions(uow: UnitOfWork, tokens: list[str]) -> dict[str, datetime]:
    """Load the sessions of ``tokens`` with their participants and meetings in three
    queries, so that :func:`resolve_session` of each finds its rows in the unit of work
    without asking the database again (a congress's tablets ask for their first page in
    the same second). Returns each known session's expiry."""
    hashes = {_hash_token(t): t for t in tokens}
    rows = list(await uow.session.scalars(select(AuthSession).where(AuthSession.id.in_(hashes))))
    # The identity map holds objects weakly: keep them for the unit's lifetime.
    kept: list[object] = uow.session.info.setdefault("preloaded", [])
    kept.extend(rows)
    participant_ids = {r.participant_id for r in rows if r.participant_id is not None}
    if participant_ids:
        participants = list(
            await uow.session.scalars(select(Participant).where(Participant.id.in_(participant_ids)))
        )
        meeting_ids = {p.meeting_id for p in participants}
        kept.extend(participants)
        kept.extend(await uow.session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids))))
    return {hashes[r.id]: r.expires_at for r in rows}


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


def clean_join_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


async def meeting_for_code(uow: UnitOfWork, code: str) -> Meeting:
    code = clean_join_code(code)
    meeting = await uow.session.scalar(select(Meeting).where(Meeting.join_code == code)) if code else None
    if meeting is None:
        raise NotFound("join_code_invalid")
    if MeetingState(meeting.state) in (MeetingState.CLOSED, MeetingState.CANCELLED):
        raise Conflict("meeting_not_open_for_join")
    return meeting


async def join_meeting(
    uow: UnitOfWork, *, code: str, participant_id: int, max_age: int, user_agent: str = ""
) -> tuple[Participant, NewSession]:
    """A tablet joins with the meeting's code and the delegate's name from its list."""
    meeting = await meeting_for_code(uow, code)
    participant = await uow.session.get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        raise PermissionDenied("join_participant_mismatch")
    session = await start_session(uow, max_age=max_age, participant_id=participant.id, user_agent=user_agent)
    record_audit(
        uow,
        Actor(body_id=meeting.body_id, participant_id=participant.id, meeting_id=meeting.id),
        "tablet.joined",
        target_type="meeting",
        target_id=meeting.id,
    )
    return participant, session


async def list_users(uow: UnitOfWork, actor: Actor) -> list[User]:
    require_office(actor)
    rows = await uow.session.scalars(select(User).where(User.body_id == actor.body_id).order_by(User.id))
    return list(rows)
