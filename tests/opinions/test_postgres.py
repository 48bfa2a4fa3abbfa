"""On real PostgreSQL, two app instances: the same member answers twice at once (one row,
one answer), and the office closes while another member answers (the answer is either in
the result or refused, never lost in between). The clock is given (frozen) to the service:
the deadline moment itself is already too late."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from phonghop.domain.permissions import Actor, UserRole
from phonghop.errors import Conflict
from phonghop.services import opinions
from phonghop.storage.db import Database
from phonghop.storage.models import ConsultationMember
from tests.conftest import make_settings
from tests.factories import seed_world

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=2)


@pytest.mark.postgres
def test_concurrent_answers_and_close_on_two_instances(tmp_path: Path, migrated_postgres_url: str) -> None:
    world = seed_world(make_settings(tmp_path / "data", migrated_postgres_url))
    office = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)

    def member(name: str) -> Actor:
        return Actor(body_id=world.body_id, user_id=world.users[name], user_role=UserRole.MEMBER)

    async def answer(db: Database, who: str, choice: str, now: datetime) -> str:
        try:
            async with db.unit() as uow:
                changed = await opinions.answer(uow, member(who), cid, now, choice=choice, text="")
            return "changed" if changed else "same"
        except Conflict as e:
            return e.code

    async def close(db: Database) -> str:
        async with db.unit() as uow:
            await opinions.close(uow, office, cid, NOW + timedelta(hours=1))
        return "closed"

    async def run() -> tuple[list[str], list[str], list[ConsultationMember], opinions.ConsultationResult]:
        nonlocal cid
        dbs = [Database(migrated_postgres_url), Database(migrated_postgres_url)]
        try:
            async with dbs[0].unit() as uow:
                cid = await opinions.create(
                    uow,
                    office,
                    NOW,
                    title="Lấy ý kiến dự thảo",
                    question="Cho ý kiến về dự thảo.",
                    deadline=DEADLINE,
                    member_ids=[world.users["member1"], world.users["member2"], world.users["chair"]],
                )
            first = await asyncio.gather(
                answer(dbs[0], "member1", "agree", NOW), answer(dbs[1], "member1", "agree", NOW)
            )
            second = await asyncio.gather(
                answer(dbs[0], "member2", "disagree", NOW + timedelta(hours=1)), close(dbs[1])
            )
            async with dbs[0].unit(write=False) as uow:
                rows = list(
                    await uow.session.scalars(
                        select(ConsultationMember).where(ConsultationMember.consultation_id == cid)
                    )
                )
                (result,) = await opinions.closed_consultation_results(uow, world.body_id, NOW)
            return list(first), list(second), rows, result
        finally:
            for db in dbs:
                await db.dispose()

    cid = 0
    first, second, rows, result = asyncio.run(run())
    assert sorted(first) == ["changed", "same"]
    assert len(rows) == 3
    assert second[1] == "closed"
    member2 = next(r for r in rows if r.user_id == world.users["member2"])
    if second[0] == "changed":
        assert member2.choice == "disagree" and result.disagree == 1
    else:
        assert second[0] == "consultation_closed" and member2.choice == "" and result.disagree == 0
    assert result.agree == 1 and result.total == 3


def test_the_deadline_moment_is_already_too_late(tmp_path: Path, sqlite_url: str) -> None:
    world = seed_world(make_settings(tmp_path / "data", sqlite_url))
    office = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)
    member1 = Actor(body_id=world.body_id, user_id=world.users["member1"], user_role=UserRole.MEMBER)

    async def run() -> tuple[bool, str, list[opinions.ConsultationResult], list[opinions.ConsultationResult]]:
        db = Database(sqlite_url)
        try:
            async with db.unit() as uow:
                cid = await opinions.create(
                    uow,
                    office,
                    NOW,
                    title="Lấy ý kiến",
                    question="Cho ý kiến.",
                    deadline=DEADLINE,
                    member_ids=[world.users["member1"]],
                    allow_change=True,
                )
            async with db.unit() as uow:
                changed = await opinions.answer(
                    uow, member1, cid, DEADLINE - timedelta(seconds=1), choice="agree"
                )
            try:
                async with db.unit() as uow:
                    await opinions.answer(uow, member1, cid, DEADLINE, choice="disagree")
                code = ""
            except Conflict as e:
                code = e.code
            async with db.unit(write=False) as uow:
                before = await opinions.closed_consultation_results(
                    uow, world.body_id, DEADLINE - timedelta(seconds=1)
                )
                after = await opinions.closed_consultation_results(uow, world.body_id, DEADLINE)
            return changed, code, before, after
        finally:
            await db.dispose()

    changed, code, before, after = asyncio.run(run())
    assert changed is True and code == "consultation_deadline_passed"
    assert before == []
    assert (
        len(after) == 1
        and after[0].agree == 1
        and after[0].closed_at == DEADLINE
        and after[0].not_answered == ()
    )
