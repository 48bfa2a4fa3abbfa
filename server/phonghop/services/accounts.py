"""Users, password login, sessions and tablet joins."""

from __future__ import annotations

import hashlib
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
    require_admin,
    require_office,
)
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from phonghop.services import throttle
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import (
    AuthSession,
    DisplayLink,
    IssuingBody,
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
#
# Design (docs/api.md, "Sign-in throttling"): guesses count against the pair (account,
# address) and against the address, with locks that double each time; never against the
# account alone, so someone in another seat cannot lock the secretary out. A browser that
# signed in to the account before (a signed "known device" cookie) is not throttled at
# all, and an administrator can lift an account's locks.


def _login_keys(username: str, address: str) -> list[tuple[str, throttle.Limit]]:
    name = username.strip().lower()[:80]
    return [
        (f"login:{name}|{address[:64]}", throttle.ACCOUNT_AT_ADDRESS),
        (f"addr:{address[:64]}", throttle.ADDRESS),
    ]


async def check_login_allowed(uow: UnitOfWork, username: str, address: str, now: datetime) -> None:
    """Refuse at once, before the (deliberately slow) password check, while locked."""
    await throttle.check(uow, [k for k, _ in _login_keys(username, address)], now, "login_locked")


async def record_login_failure(uow: UnitOfWork, username: str, address: str, now: datetime) -> None:
    """Count a failed sign-in against the pair (account, address) and the address."""
    await throttle.fail(uow, _login_keys(username, address), now, address)


async def clear_login_failures(uow: UnitOfWork, username: str, address: str) -> None:
    await throttle.clear(uow, [_login_keys(username, address)[0][0]])


async def unlock_user(uow: UnitOfWork, actor: Actor | None, user_id: int) -> int:
    """An administrator lifts every sign-in lock on the account; how many were lifted."""
    if actor is not None:
        require_admin(actor)
    user = await uow.session.get(User, user_id)
    if user is None or (actor is not None and user.body_id != actor.body_id):
        raise NotFound("user_not_found")
    count = await throttle.clear_prefix(uow, f"login:{user.username}|")
    record_audit(uow, actor, "user.unlocked", target_type="user", target_id=user.id, count=count)
    return count


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # goes (signed) into the cookie; only its hash is stored
    csrf_token: str
    max_age: int
    device_id: str = ""


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
        if user.role != UserRole(changes["role"]).value:
            # Live sockets carry the old rights: they reconnect and get the new ones.
            end_access(uow, close=CLOSE_RIGHTS_CHANGED, users=[user.id])
        user.role = UserRole(changes["role"]).value
    if changes.get("active") is not None:
        if user.id == actor.user_id and not changes["active"]:
            raise Conflict("cannot_demote_self")
        user.active = bool(changes["active"])
        if not user.active:
            await _end_user_sessions(uow, user.id)
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
    pending: bool = False,
    proof: str = "",
    address: str = "",
) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    device_id = secrets.token_hex(4)
    uow.session.add(
        AuthSession(
            id=_hash_token(token),
            user_id=user_id,
            participant_id=participant_id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(seconds=max_age),
            user_agent=user_agent[:300],
            pending=pending,
            device_id=device_id,
            proof=proof,
            address=address[:64],
        )
    )
    return NewSession(token=token, csrf_token=csrf, max_age=max_age, device_id=device_id)


# -- ending access: the sessions' rows, then (after commit) every instance's sockets -----------

#: Close codes (realtime.protocol.CLOSE_CODES) for the ways access ends.
CLOSE_SIGNED_OUT = 4401
CLOSE_REMOVED = 4403
CLOSE_REVOKED = 4409
CLOSE_REPLACED = 4410
CLOSE_RIGHTS_CHANGED = 4412

#: Meeting states after which a tablet that joined without an account has no access.
ENDED_STATES = (MeetingState.CLOSED.value, MeetingState.CANCELLED.value)


def end_access(
    uow: UnitOfWork,
    *,
    close: int,
    sessions: list[str] | None = None,
    users: list[int] | None = None,
    participants: list[int] | None = None,
    keep_session: str | None = None,
) -> None:
    """After commit, close the live sockets of these sessions, accounts or participants on
    every instance (the hub of each, through the bus); ``keep_session`` stays open."""
    uow.events.append(
        {
            "type": "access.ended",
            "close": close,
            "sessions": sorted(sessions or []),
            "users": sorted(users or []),
            "participants": sorted(participants or []),
            "keep_session": keep_session,
        }
    )


async def end_session(uow: UnitOfWork, token: str) -> None:
    """Sign out: this session ends, and its sockets close (4401) on every instance."""
    session_id = _hash_token(token)
    await uow.session.execute(
        update(AuthSession).where(AuthSession.id == session_id).values(revoked_at=utcnow())
    )
    end_access(uow, close=CLOSE_SIGNED_OUT, sessions=[session_id])


async def _end_user_sessions(uow: UnitOfWork, user_id: int, keep_session: str | None = None) -> int:
    """Every session of the account (its tablets signed in with it too), but ``keep_session``."""
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep_session is not None:
        query = query.where(AuthSession.id != keep_session)
    result = await uow.session.execute(query.values(revoked_at=utcnow()))
    end_access(uow, close=CLOSE_SIGNED_OUT, users=[user_id], keep_session=keep_session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def end_all_sessions(uow: UnitOfWork, actor: Actor) -> int:
    """ "Sign out everywhere": every session of the actor's account; how many were open."""
    if actor.user_id is None:
        raise PermissionDenied("staff_account_required")
    count = await _end_user_sessions(uow, actor.user_id)
    record_audit(
        uow, actor, "session.signed_out_everywhere", target_type="user", target_id=actor.user_id, count=count
    )
    return count


async def change_password(
    uow: UnitOfWork, passwords: Passwords, actor: Actor, session_id: str, current: str, new: str
) -> int:
    """Change one's own password; every other session of the account ends. How many ended."""
    if actor.user_id is None:
        raise PermissionDenied("staff_account_required")
    user = await uow.session.get(User, actor.user_id)
    assert user is not None
    if not passwords.verify(user.password_hash, current):
        raise PermissionDenied("password_wrong")
    check_password_rules(new)
    user.password_hash = passwords.hash(new)
    count = await _end_user_sessions(uow, user.id, keep_session=session_id)
    record_audit(uow, actor, "user.password_changed", target_type="user", target_id=user.id, ended=count)
    return count


async def reset_password(
    uow: UnitOfWork, passwords: Passwords, actor: Actor | None, user_id: int, new: str
) -> int:
    """An administrator (or the command line, ``actor`` None) sets a new password; every
    session of the account ends and its locks are lifted. How many sessions ended."""
    if actor is not None:
        require_admin(actor)
    user = await uow.session.get(User, user_id)
    if user is None or (actor is not None and user.body_id != actor.body_id):
        raise NotFound("user_not_found")
    check_password_rules(new)
    user.password_hash = passwords.hash(new)
    count = await _end_user_sessions(uow, user.id)
    await throttle.clear_prefix(uow, f"login:{user.username}|")
    record_audit(uow, actor, "user.password_reset", target_type="user", target_id=user.id, ended=count)
    return count


async def is_user(uow: UnitOfWork, username: str, user_id: int) -> bool:
    """Whether ``username`` names the account ``user_id`` (a known device's account)."""
    found = await uow.session.scalar(select(User.id).where(User.username == username.strip().lower()))
    return found == user_id


async def user_by_name(uow: UnitOfWork, username: str) -> User:
    user = await uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("user_not_found")
    return user


async def end_meeting_sessions(uow: UnitOfWork, meeting_id: int) -> int:
    """The meeting closed or was cancelled: the tablet sessions that joined it without an
    account (a personal code, the secretary's confirmation, or still waiting) end; the
    sessions of accounts stay. Their sockets are closed by each instance's hub (4411) once
    the meeting's ``meeting.closed``/``meeting.cancelled`` event has been sent to them, so
    the tablet shows the meeting's end before its connection goes. How many ended."""
    people = select(Participant.id).where(Participant.meeting_id == meeting_id)
    result = await uow.session.execute(
        update(AuthSession)
        .where(
            AuthSession.participant_id.in_(people),
            AuthSession.user_id.is_(None),
            AuthSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _ended_with_meeting(uow: UnitOfWork, row: AuthSession) -> bool:
    """Whether ``row`` is a tablet session without an account whose meeting has ended."""
    if row.participant_id is None or row.user_id is not None:
        return False
    participant = await uow.session.get(Participant, row.participant_id)
    meeting = await uow.session.get(Meeting, participant.meeting_id) if participant is not None else None
    return meeting is not None and meeting.state in ENDED_STATES


@dataclass(frozen=True)
class SessionInfo:
    actor: Actor
    csrf_token: str
    user: User | None
    participant: Participant | None
    #: the session row's id (the token's hash): what ``end_access`` names
    session_id: str = ""
    #: the account behind the session, a tablet signed in with one included
    account_id: int | None = None
    device_id: str = ""
    #: a room display opened with its link (services.displays): no person
    display_link_id: int | None = None


async def resolve_session(uow: UnitOfWork, token: str) -> SessionInfo:
    """The actor behind a session token, or :class:`Unauthenticated`."""
    row = await uow.session.get(AuthSession, _hash_token(token))
    if row is None:
        link = await uow.session.scalar(
            select(DisplayLink).where(DisplayLink.token_hash == _hash_token(token))
        )
        if link is None:
            raise Unauthenticated("session_expired")
        return await _display_session(uow, link)
    if await _ended_with_meeting(uow, row):
        # Said apart from an expiry: the tablet shows the meeting's end, not a sign-in.
        raise Unauthenticated("meeting_ended")
    if row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthenticated("session_expired")
    if row.pending:
        raise Unauthenticated("device_pending")
    user = None
    if row.user_id is not None:
        user = await uow.session.get(User, row.user_id)
        if user is None or not user.active:
            raise Unauthenticated("session_expired")
    if row.participant_id is None:
        assert user is not None
        actor = Actor(
            body_id=user.body_id,
            user_id=user.id,
            user_role=UserRole(user.role),
            name=user.full_name,
            unit_id=user.unit_id,
        )
        return SessionInfo(
            actor=actor,
            csrf_token=row.csrf_token,
            user=user,
            participant=None,
            session_id=row.id,
            account_id=user.id,
        )
    # A tablet: joined with a personal code, confirmed by the secretary, or signed in with
    # the participant's account; it acts as that participant in its meeting only.
    participant = await uow.session.get(Participant, row.participant_id)
    if participant is None:
        raise Unauthenticated("session_expired")
    meeting = await uow.session.get(Meeting, participant.meeting_id)
    assert meeting is not None
    actor = participant_actor(meeting, participant)
    return SessionInfo(
        actor=actor,
        csrf_token=row.csrf_token,
        user=None,
        participant=participant,
        session_id=row.id,
        account_id=row.user_id,
        device_id=row.device_id,
    )


def display_token_hash(token: str) -> str:
    """What is kept of a display link's token; it also names the display's session in
    ``end_access`` (the display's cookie carries the token itself)."""
    return _hash_token(token)


async def check_display_link(uow: UnitOfWork, link: DisplayLink) -> Meeting:
    """The link's meeting, or why the link no longer opens it."""
    meeting = await uow.session.get(Meeting, link.meeting_id)
    if meeting is not None and meeting.state in ENDED_STATES:
        raise Unauthenticated("meeting_ended")
    if link.revoked_at is not None or meeting is None:
        raise Unauthenticated("display_link_revoked")
    return meeting


async def _display_session(uow: UnitOfWork, link: DisplayLink) -> SessionInfo:
    """A room display: no person, in the link's meeting only, read-only. Its CSRF token is
    fresh each time, so no state-changing request can ever match it."""
    meeting = await check_display_link(uow, link)
    actor = Actor(body_id=meeting.body_id, meeting_id=meeting.id, display=True)
    return SessionInfo(
        actor=actor,
        csrf_token=secrets.token_urlsafe(24),
        user=None,
        participant=None,
        session_id=link.token_hash,
        display_link_id=link.id,
    )


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
    if meeting.state in ENDED_STATES:
        raise Conflict("meeting_not_open_for_join")
    return meeting


async def name_and_title(uow: UnitOfWork, actor: Actor) -> tuple[str, str]:
    """The actor's full name and title as the meeting's list (a participant) or the
    account (staff) gives them: what a watermark and an annotation's author show."""
    if actor.participant_id is not None:
        participant = await uow.session.get(Participant, actor.participant_id)
        if participant is not None:
            return participant.full_name, participant.title
    elif actor.user_id is not None:
        user = await uow.session.get(User, actor.user_id)
        if user is not None:
            return user.full_name, user.title
    return actor.name, ""


async def list_users(uow: UnitOfWork, actor: Actor) -> list[User]:
    require_office(actor)
    rows = await uow.session.scalars(select(User).where(User.body_id == actor.body_id).order_by(User.id))
    return list(rows)
