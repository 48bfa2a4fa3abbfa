"""Users, password login, sessions and tablet joins."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update

from phonghop.domain.meeting import MeetingState
from phonghop.domain.permissions import Actor, MeetingRole, UserRole, require_admin, require_office
from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import AuthSession, IssuingBody, Meeting, Participant, User, utcnow

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
    user = User(
        body_id=body_id,
        username=username,
        full_name=normalize(full_name),
        title=normalize(title),
        role=role.value,
        password_hash=password_hash,
    )
    uow.session.add(user)
    await uow.session.flush()
    record_audit(uow, actor, "user.created", target_type="user", target_id=user.id, role=role.value)
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
            body_id=user.body_id, user_id=user.id, user_role=UserRole(user.role), name=user.full_name
        )
        return SessionInfo(actor=actor, csrf_token=row.csrf_token, user=user, participant=None)
    participant = await uow.session.get(Participant, row.participant_id) if row.participant_id else None
    if participant is None:
        raise Unauthenticated("session_expired")
    meeting = await uow.session.get(Meeting, participant.meeting_id)
    assert meeting is not None
    actor = Actor(
        body_id=meeting.body_id,
        participant_id=participant.id,
        meeting_id=meeting.id,
        meeting_role=MeetingRole(participant.role),
        name=participant.full_name,
    )
    return SessionInfo(actor=actor, csrf_token=row.csrf_token, user=None, participant=participant)


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
