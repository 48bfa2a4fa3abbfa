"""Poll tests: a running meeting built through the services, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from phonghop.domain.meeting import Attendance, MeetingAction
from phonghop.domain.permissions import Actor, MeetingRole, UserRole
from phonghop.services import ballots, meetings, polls
from phonghop.services.accounts import Passwords, create_user
from phonghop.services.bodies import create_body
from phonghop.services.meetings import MeetingFields, ParticipantFields
from phonghop.services.polls import PollFields
from phonghop.storage.db import Database
from phonghop.storage.models import Meeting, MeetingEvent, Participant


@dataclass
class Setup:
    """A meeting in progress: office staff, a chair, a secretary, voting delegates, a guest.

    Actors are tablet sessions (scoped to the meeting), as the websocket passes them."""

    db: Database
    meeting_id: int
    office: Actor
    chair: Actor
    secretary: Actor
    delegates: list[Actor]
    guest: Actor
    other_office: Actor
    item_ids: list[int] = field(default_factory=list)

    @property
    def voters(self) -> list[Actor]:
        return [self.chair, *self.delegates]

    async def poll(self, **spec: Any) -> int:
        """A draft poll created by the office: approval, named, by default."""
        item = spec.pop("agenda_item_id", None)
        title = spec.pop("title", None if item else "Thông qua Tờ trình")
        fields = PollFields(title=title, agenda_item_id=item, spec={"kind": "open", **spec})
        async with self.db.unit() as uow:
            created = await polls.create_poll(uow, self.office, self.meeting_id, fields)
            return created.id

    async def open_poll(self, **spec: Any) -> int:
        poll_id = await self.poll(**spec)
        async with self.db.unit() as uow:
            await polls.open_poll(uow, self.secretary, self.meeting_id, poll_id)
        return poll_id

    async def cast(self, actor: Actor, poll_id: int, choices: Sequence[str], key: str | None = None) -> Any:
        async with self.db.unit() as uow:
            return await polls.cast_ballot(
                uow, actor, self.meeting_id, poll_id, key or f"key-{actor.participant_id:06d}", choices
            )

    async def close(self, poll_id: int) -> dict[str, Any]:
        async with self.db.unit() as uow:
            return await polls.close_poll(uow, self.secretary, self.meeting_id, poll_id)

    async def close_via_queue(self, poll_id: int) -> dict[str, Any]:
        """The websocket's close: it takes what waits in this instance's ballot box."""
        async with self.db.unit() as uow:
            return await ballots.close_poll(uow, self.secretary, self.meeting_id, poll_id)

    async def mark(self, actor: Actor, attendance: Attendance, reason: str = "") -> None:
        assert actor.participant_id is not None
        async with self.db.unit() as uow:
            await meetings.set_attendance(
                uow, self.secretary, self.meeting_id, actor.participant_id, attendance, reason
            )

    async def events(self, after: int = 0) -> list[MeetingEvent]:
        async with self.db.unit(write=False) as uow:
            rows = await uow.session.scalars(
                select(MeetingEvent)
                .where(MeetingEvent.meeting_id == self.meeting_id, MeetingEvent.seq > after)
                .order_by(MeetingEvent.seq)
            )
            return list(rows)

    async def last_seq(self) -> int:
        events = await self.events()
        return events[-1].seq if events else 0


def tablet(body_id: int, meeting_id: int, participant: Participant) -> Actor:
    return Actor(
        body_id=body_id,
        participant_id=participant.id,
        meeting_id=meeting_id,
        meeting_role=MeetingRole(participant.role),
        name=participant.full_name,
    )


async def build(
    db: Database,
    *,
    delegates: int = 3,
    members_total: int | None = None,
    present: bool = True,
    start: bool = True,
    bulk: bool = False,
) -> Setup:
    """A meeting with a chair, a secretary, ``delegates`` voting delegates and a guest,
    everyone marked present (``present``), started (``start``). ``bulk`` adds the
    delegates with one insert instead of one service call (and one event) each."""
    pw = Passwords(1, 8192)
    tag = secrets.token_hex(3)
    async with db.unit() as uow:
        body = await create_body(uow, name="TỈNH ỦY THỬ NGHIỆM", symbol="TU", notice_format="party")
        other = await create_body(uow, name="TỈNH ỦY KHÁC", symbol="TU", notice_format="party")
        clerk = await create_user(
            uow, pw, body_id=body.id, username=f"office-{tag}", full_name="Văn phòng", role=UserRole.OFFICE
        )
        stranger = await create_user(
            uow,
            pw,
            body_id=other.id,
            username=f"office2-{tag}",
            full_name="Văn phòng khác",
            role=UserRole.OFFICE,
        )
        office = Actor(body_id=body.id, user_id=clerk.id, user_role=UserRole.OFFICE)
        other_office = Actor(body_id=other.id, user_id=stranger.id, user_role=UserRole.OFFICE)
        meeting = await meetings.create_meeting(
            uow,
            office,
            MeetingFields(
                title="Hội nghị Ban Thường vụ", starts_at=datetime.now(UTC), members_total=members_total
            ),
        )
        mid = meeting.id
        chair = await meetings.add_participant(
            uow, office, mid, ParticipantFields(full_name="Chủ trì", role=MeetingRole.CHAIR)
        )
        secretary = await meetings.add_participant(
            uow, office, mid, ParticipantFields(full_name="Thư ký", role=MeetingRole.SECRETARY)
        )
        guest = await meetings.add_participant(
            uow, office, mid, ParticipantFields(full_name="Khách mời", role=MeetingRole.GUEST)
        )
        people: list[Participant] = []
        if bulk:
            people = [
                Participant(
                    meeting_id=mid,
                    full_name=f"Đại biểu {i:04d}",
                    title="",
                    role=MeetingRole.DELEGATE.value,
                    voting_member=True,
                    position=10 + i,
                    attendance=(Attendance.PRESENT if present else Attendance.UNKNOWN).value,
                    absence_reason="",
                )
                for i in range(delegates)
            ]
            uow.session.add_all(people)
            await uow.session.flush()
        else:
            for i in range(delegates):
                people.append(
                    await meetings.add_participant(
                        uow, office, mid, ParticipantFields(full_name=f"Đại biểu {i + 1}", position=10 + i)
                    )
                )
        items = []
        for title in ("Tờ trình kế hoạch năm 2027", "Nhân sự"):
            item = await meetings.add_agenda_item(uow, office, mid, meetings.AgendaFields(title=title))
            items.append(item.id)
        await meetings.change_state(uow, office, mid, MeetingAction.SCHEDULE)
        setup = Setup(
            db=db,
            meeting_id=mid,
            office=office,
            chair=tablet(body.id, mid, chair),
            secretary=tablet(body.id, mid, secretary),
            delegates=[tablet(body.id, mid, p) for p in people],
            guest=tablet(body.id, mid, guest),
            other_office=other_office,
            item_ids=items,
        )
        if start:
            await meetings.change_state(uow, setup.secretary, mid, MeetingAction.START)
    if present:
        for actor in [setup.chair, setup.guest, *([] if bulk else setup.delegates)]:
            await setup.mark(actor, Attendance.PRESENT)
    return setup


async def tablet_cookies(setup: Setup, base_url: str, actors: Sequence[Actor]) -> list[str]:
    """Session cookies of tablets joined (on a real server) as these participants."""
    from tests.realtime.cluster import session_cookie

    async with setup.db.unit(write=False) as uow:
        code = await uow.session.scalar(select(Meeting.join_code).where(Meeting.id == setup.meeting_id))
        rows = await uow.session.execute(
            select(Participant.id, Participant.personal_code).where(
                Participant.id.in_([a.participant_id for a in actors])
            )
        )
        personal = {int(pid): str(code) for pid, code in rows}
    cookies = []
    for actor in actors:
        join = {
            "code": code,
            "participant_id": actor.participant_id,
            "personal_code": personal[actor.participant_id],
        }
        cookies.append((await asyncio.to_thread(session_cookie, base_url, "/api/join", join))[0])
    return cookies


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        await polls.count_publisher(database).drain()
        await database.dispose()


@pytest.fixture
async def setup(db: Database) -> Setup:
    return await build(db)
