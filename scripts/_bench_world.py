"""The world the benchmarks seed before they measure anything.

``bench_fanout.py``, ``bench_votes.py`` and ``bench_documents.py`` all need the demo's
shape scaled up: one issuing body, its office user, a meeting, optionally a secretary,
and N delegates, each participant with a session signed into a cookie as a tablet would
hold it, got through the identity step (the personal code on the invitation).
:func:`seed_world` writes those rows; each bench then adds its own (a long
document, an open poll, two uploaded documents) in the same unit of work, opened by
:func:`seeding`.

The benches import this module from inside their seeding code, not at the top: their
tablet worker processes re-import the bench script and need neither phonghop nor
SQLAlchemy. Run as ``.venv/bin/python scripts/bench_*.py`` (as the README says),
``scripts/`` is first on ``sys.path``, so ``import _bench_world`` finds this file; the
bench has already made ``phonghop`` importable by then.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from phonghop.domain.meeting import MeetingAction
from phonghop.domain.permissions import Actor, MeetingRole, UserRole
from phonghop.services import identity, meetings
from phonghop.services.accounts import Passwords, create_user
from phonghop.services.bodies import create_body
from phonghop.services.meetings import MeetingFields, ParticipantFields
from phonghop.storage import migrate
from phonghop.storage.db import Database, UnitOfWork
from phonghop.storage.models import Meeting, Participant
from phonghop.web.cookies import SESSION_COOKIE, sign

SESSION_SECONDS = 3600


@dataclass(frozen=True)
class Secretary:
    participant_id: int
    actor: Actor
    cookie: str


@dataclass(frozen=True)
class World:
    body_id: int
    office: Actor
    meeting_id: int
    delegate_ids: tuple[int, ...]
    delegate_cookies: tuple[str, ...]
    secretary: Secretary | None

    def require_secretary(self) -> Secretary:
        if self.secretary is None:
            raise ValueError("this world was seeded without a secretary")
        return self.secretary


@asynccontextmanager
async def seeding(database_url: str) -> AsyncIterator[UnitOfWork]:
    """Migrates the database, then one unit of work that commits on a clean exit."""
    await migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.unit() as uow:
            yield uow
    finally:
        await db.dispose()


async def seed_world(
    uow: UnitOfWork,
    *,
    tablets: int,
    secret: str,
    members_total: int | None = None,
    secretary: bool = True,
    start: bool = False,
) -> World:
    """The body, office user and scheduled meeting; the secretary (participant 1, if asked
    for) and ``tablets`` delegates, each with a session cookie signed with ``secret``;
    started by the secretary if ``start``."""
    if start and not secretary:
        raise ValueError("the secretary starts the meeting: start=True needs secretary=True")
    body = await create_body(uow, name="TỈNH ỦY ĐO KIỂM", symbol="TU", notice_format="party")
    office = await create_user(
        uow,
        Passwords(1, 8192),
        body_id=body.id,
        username="office",
        full_name="Văn phòng",
        role=UserRole.OFFICE,
    )
    actor = Actor(body_id=body.id, user_id=office.id, user_role=UserRole.OFFICE)
    meeting = await meetings.create_meeting(
        uow,
        actor,
        MeetingFields(title="Đại hội (đo kiểm)", starts_at=datetime.now(UTC), members_total=members_total),
    )
    secretary_id = None
    if secretary:
        added = await meetings.add_participant(
            uow, actor, meeting.id, ParticipantFields(full_name="Thư ký", role=MeetingRole.SECRETARY)
        )
        secretary_id = added.id
    delegate_ids = []
    for i in range(tablets):
        delegate = await meetings.add_participant(
            uow, actor, meeting.id, ParticipantFields(full_name=f"Đại biểu {i + 1:04d}")
        )
        delegate_ids.append(delegate.id)
    await meetings.change_state(uow, actor, meeting.id, MeetingAction.SCHEDULE)

    join_code = (await uow.session.get(Meeting, meeting.id)).join_code  # type: ignore[union-attr]
    passwords = Passwords(1, 8192)

    async def cookie_of(participant_id: int) -> str:
        """The cookie a tablet gets from POST /api/join with the personal code printed on
        the participant's invitation: the same identity step, no back door."""
        participant = await uow.session.get(Participant, participant_id)
        assert participant is not None and join_code is not None
        request = identity.JoinRequest(code=join_code, personal_code=participant.personal_code)
        joined = await identity.join_meeting(
            uow, passwords, request, max_age=SESSION_SECONDS, now=datetime.now(UTC), address="127.0.0.1"
        )
        assert joined.error is None and joined.session is not None, joined.error
        return f"{SESSION_COOKIE}={sign(secret, joined.session.token)}"

    the_secretary = None
    if secretary_id is not None:
        sec_actor = Actor(
            body_id=body.id,
            participant_id=secretary_id,
            meeting_id=meeting.id,
            meeting_role=MeetingRole.SECRETARY,
        )
        the_secretary = Secretary(secretary_id, sec_actor, await cookie_of(secretary_id))
    cookies = [await cookie_of(participant_id) for participant_id in delegate_ids]
    if start:
        assert the_secretary is not None
        await meetings.change_state(uow, the_secretary.actor, meeting.id, MeetingAction.START)
    return World(
        body_id=body.id,
        office=actor,
        meeting_id=meeting.id,
        delegate_ids=tuple(delegate_ids),
        delegate_cookies=tuple(cookies),
        secretary=the_secretary,
    )


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one bench run (its async URL), dropped afterwards."""
    import asyncpg

    name = "phonghop_bench_" + secrets.token_hex(4)
    admin = admin_url.replace("postgresql+asyncpg://", "postgresql://")

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
