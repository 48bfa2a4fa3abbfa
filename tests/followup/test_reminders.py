"""Task reminders sent exactly once: two app instances (two Database objects on one
database) running the reminder job at the same moment, then again after a restart, then on
the deadline day; the lead unit's users get them, or the office when the unit has none."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from phonghop.domain.permissions import UserRole
from phonghop.domain.text import compare_key
from phonghop.services.reminders import run_reminders
from phonghop.storage.db import Database
from phonghop.storage.models import AgendaItem, Conclusion, Notification, Task, Unit, User
from tests.notices_service.test_numbering import Body, drafts, issue, seed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7
DEADLINE = date(2026, 4, 30)

POINTS = [
    {
        "text": "Xây dựng đề án",
        "chu_tri": "Sở Nội vụ",
        "phoi_hop": ["Sở Tài chính"],
        "deadline": "2026-04-30",
    },
    {"text": "Bố trí kinh phí", "chu_tri": "Sở Tài chính", "phoi_hop": [], "deadline": "2026-04-30"},
    {"text": "Tổng kết", "chu_tri": "Sở Nội vụ", "phoi_hop": [], "deadline": None},
    {"text": "Đã xong từ trước", "chu_tri": "Sở Nội vụ", "phoi_hop": [], "deadline": "2026-04-30"},
    {"text": "Vận động nhân dân", "chu_tri": "Ban Dân vận", "phoi_hop": [], "deadline": "2026-04-30"},
]


async def prepare(db: Database) -> tuple[Body, dict[str, int]]:
    """A body whose "Sở Nội vụ" has two users and whose "Sở Tài chính" has none ("Ban Dân
    vận" is not one of its units); an office clerk; the notice issued (five tasks, one of
    them done)."""
    body = await seed(db, "state", file_copy="Lưu: VT.")
    users: dict[str, int] = {}
    async with db.unit() as uow:
        home = Unit(body_id=body.id, name="Sở Nội vụ", name_key=compare_key("Sở Nội vụ"))
        finance = Unit(body_id=body.id, name="Sở Tài chính", name_key=compare_key("Sở Tài chính"))
        uow.session.add_all([home, finance])
        await uow.session.flush()
        for username, role, unit in [
            ("noivu1", UserRole.MEMBER, home.id),
            ("noivu2", UserRole.MEMBER, home.id),
            ("vanphong", UserRole.OFFICE, None),
            ("quantri", UserRole.ADMIN, None),
        ]:
            user = User(body_id=body.id, username=username, full_name=username, role=role.value, unit_id=unit)
            uow.session.add(user)
            await uow.session.flush()
            users[username] = user.id
        item = AgendaItem(meeting_id=body.meeting_id, title="Đề án sắp xếp bộ máy", position=0)
        uow.session.add(item)
        await uow.session.flush()
        uow.session.add(Conclusion(agenda_item_id=item.id, meeting_id=body.meeting_id, points=POINTS))
    (notice_id,) = await drafts(db, body, 1)
    await issue(db, body, notice_id, date(2026, 3, 5))
    async with db.unit() as uow:
        done = await uow.session.scalar(select(Task).where(Task.text == "Đã xong từ trước"))
        assert done is not None
        done.state = "done"
    return body, users


async def received(db: Database) -> Counter[tuple[int, str, str]]:
    """(user, kind, link) -> how many reminders (not the notice of a new task)."""
    async with db.unit(write=False) as uow:
        rows = await uow.session.execute(
            select(Notification.user_id, Notification.kind, Notification.link).where(
                Notification.kind != "task_assigned"
            )
        )
        return Counter((u, k, link) for u, k, link in rows)


async def task_links(db: Database) -> dict[str, str]:
    async with db.unit(write=False) as uow:
        rows = await uow.session.execute(select(Task.text, Task.id))
        return {text: f"/console/#/tasks/{task_id}" for text, task_id in rows}


async def two_instances_run(url: str, now: datetime) -> int:
    """Two fresh instances (as after a restart) run the job at once: how many sent."""
    instances = [Database(url), Database(url)]
    try:
        sent = await asyncio.gather(*(run_reminders(db, now, TZ) for db in instances))
        return sum(len(s) for s in sent)
    finally:
        for db in instances:
            await db.dispose()


def check_reminders(url: str) -> None:
    async def run() -> None:
        db = Database(url)
        try:
            _, users = await prepare(db)
            links = await task_links(db)
            home = {users["noivu1"], users["noivu2"]}
            project, budget, outside = (
                links["Xây dựng đề án"],
                links["Bố trí kinh phí"],
                links["Vận động nhân dân"],
            )

            # four days ahead: nothing yet
            assert await two_instances_run(url, datetime(2026, 4, 26, 3, 0, tzinfo=UTC)) == 0
            assert await received(db) == Counter()

            # three days ahead (office date 27/04 from 17:00 UTC on the 26th): "before"
            assert await two_instances_run(url, datetime(2026, 4, 26, 17, 30, tzinfo=UTC)) == 3
            expected = Counter(
                {
                    **{(u, "task_before", project): 1 for u in home},
                    (users["vanphong"], "task_before", budget): 1,  # the unit has no users
                    (users["vanphong"], "task_before", outside): 1,  # not one of the body's units
                }
            )
            assert await received(db) == expected

            # restarted, and later the same days: nothing new
            assert await two_instances_run(url, datetime(2026, 4, 27, 8, 0, tzinfo=UTC)) == 0
            assert await two_instances_run(url, datetime(2026, 4, 29, 16, 59, tzinfo=UTC)) == 0
            assert await received(db) == expected

            # the deadline day in the office (17:00 UTC on the 29th): "due", once
            assert await two_instances_run(url, datetime(2026, 4, 29, 17, 0, tzinfo=UTC)) == 3
            expected.update({(u, "task_due", project): 1 for u in home})
            expected[(users["vanphong"], "task_due", budget)] += 1
            expected[(users["vanphong"], "task_due", outside)] += 1
            assert await received(db) == expected
            assert await two_instances_run(url, datetime(2026, 5, 9, 0, 0, tzinfo=UTC)) == 0
            assert await received(db) == expected
            # the done task and the one without a deadline were never reminded; nobody
            # received a notification twice
            assert all(count == 1 for count in (await received(db)).values())
            assert users["quantri"] not in {u for u, _, _ in await received(db)}
        finally:
            await db.dispose()

    asyncio.run(run())


def test_reminders_once_on_sqlite(sqlite_url: str) -> None:
    check_reminders(sqlite_url)


@pytest.mark.postgres
def test_reminders_once_with_two_instances_on_postgres(migrated_postgres_url: str) -> None:
    check_reminders(migrated_postgres_url)
