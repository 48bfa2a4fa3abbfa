"""Reminders go out exactly once: two app instances running the job at the same moment
(real PostgreSQL, and SQLite), a restart (new engines on the same database), and the
clock moving on. The rule used is the written-opinion one: members who have not answered
are reminded 24 hours before the deadline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from phonghop.domain.permissions import Actor, UserRole
from phonghop.services import opinions
from phonghop.services.reminders import run_reminders
from phonghop.storage.db import Database
from phonghop.storage.models import Notification, ReminderClaim
from tests.conftest import make_settings
from tests.factories import World, seed_world

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def _consultation(db: Database, world: World, deadline: datetime) -> int:
    office = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)
    async with db.unit() as uow:
        cid: int = await opinions.create(
            uow,
            office,
            NOW,
            title="Lấy ý kiến dự thảo Quy chế",
            question="Cho ý kiến về dự thảo.",
            deadline=deadline,
            member_ids=[world.users["member1"], world.users["member2"], world.users["chair"]],
            allow_change=False,
        )
    member1 = Actor(body_id=world.body_id, user_id=world.users["member1"], user_role=UserRole.MEMBER)
    async with db.unit() as uow:
        await opinions.answer(uow, member1, cid, NOW, choice="agree", text="")
    return cid


async def _reminded(db: Database) -> list[tuple[int, str]]:
    async with db.unit(write=False) as uow:
        rows = await uow.session.execute(
            select(Notification.user_id, Notification.kind)
            .where(Notification.kind == "consultation_before")
            .order_by(Notification.user_id)
        )
        return [(r[0], r[1]) for r in rows]


async def _scenario(url: str, world: World) -> None:
    first = [Database(url), Database(url)]
    try:
        cid = await _consultation(first[0], world, NOW + timedelta(days=2))
        # Two days ahead: nothing due yet, on either instance.
        assert await run_reminders(first[0], NOW, TZ) == []
        # 23 hours before the deadline, both instances run the job at once.
        later = NOW + timedelta(days=1, hours=1)
        sent = await asyncio.gather(*(run_reminders(db, later, TZ) for db in first))
        assert sorted(len(s) for s in sent) == [0, 1]
        expected = sorted(
            [(world.users["member2"], "consultation_before"), (world.users["chair"], "consultation_before")]
        )
        assert await _reminded(first[0]) == expected
    finally:
        for db in first:
            await db.dispose()
    # A restart: new engines, the job runs again a little later. Nothing is sent twice.
    again = [Database(url), Database(url)]
    try:
        sent = await asyncio.gather(
            *(run_reminders(db, later + timedelta(minutes=m), TZ) for m, db in enumerate(again))
        )
        assert sent == [[], []]
        assert len(await _reminded(again[0])) == 2
        async with again[0].unit(write=False) as uow:
            keys = list(await uow.session.scalars(select(ReminderClaim.key)))
            assert keys == [f"consultation:{cid}:before"]
            reminders = select(func.count()).where(Notification.kind == "consultation_before")
            assert await uow.session.scalar(reminders) == 2
    finally:
        for db in again:
            await db.dispose()


@pytest.mark.postgres
def test_once_with_two_instances_on_postgres(tmp_path: Path, migrated_postgres_url: str) -> None:
    world = seed_world(make_settings(tmp_path / "data", migrated_postgres_url))
    asyncio.run(_scenario(migrated_postgres_url, world))


def test_once_with_two_instances_on_sqlite(tmp_path: Path, sqlite_url: str) -> None:
    world = seed_world(make_settings(tmp_path / "data", sqlite_url))
    asyncio.run(_scenario(sqlite_url, world))


def test_a_failing_rule_does_not_hold_back_the_others(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule that raises is logged; the next rule's reminders still go out."""
    world = seed_world(make_settings(tmp_path / "data", sqlite_url))
    from phonghop.services import reminders

    async def broken(*_: object) -> list[object]:
        raise RuntimeError("rule bug")

    real = reminders.rules
    monkeypatch.setattr(reminders, "rules", lambda: [broken, *real()])

    async def run() -> int:
        db = Database(sqlite_url)
        try:
            await _consultation(db, world, NOW + timedelta(hours=5))
            return len(await run_reminders(db, NOW, TZ))
        finally:
            await db.dispose()

    assert asyncio.run(run()) == 1
