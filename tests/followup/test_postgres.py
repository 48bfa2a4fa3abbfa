"""Two notices of one meeting issued at once by two app instances on real PostgreSQL, in
two sequences (a State body's plain and secret notices: no shared counter row to queue
on): both are issued and every conclusion point becomes one task, not two."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import select

from phonghop.storage.db import Database
from phonghop.storage.models import AgendaItem, Conclusion, Notice, Task
from tests.notices_service.test_numbering import drafts, issue, seed

POINTS = [
    {"text": "Thống nhất chủ trương", "chu_tri": "", "phoi_hop": [], "deadline": None},
    {
        "text": "Xây dựng đề án",
        "chu_tri": "Sở Nội vụ",
        "phoi_hop": ["Sở Tài chính"],
        "deadline": "2026-04-30",
    },
    {"text": "Bố trí kinh phí", "chu_tri": "Sở Tài chính", "phoi_hop": [], "deadline": None},
]


@pytest.mark.postgres
def test_two_notices_of_one_meeting_issued_at_once_make_each_task_once(migrated_postgres_url: str) -> None:
    async def run() -> tuple[list[Notice], list[Task]]:
        instances = [Database(migrated_postgres_url), Database(migrated_postgres_url)]
        try:
            body = await seed(instances[0], "state", file_copy="Lưu: VT.")
            async with instances[0].unit() as uow:
                item = AgendaItem(meeting_id=body.meeting_id, title="Đề án sắp xếp bộ máy", position=0)
                uow.session.add(item)
                await uow.session.flush()
                uow.session.add(Conclusion(agenda_item_id=item.id, meeting_id=body.meeting_id, points=POINTS))
            (plain,) = await drafts(instances[0], body, 1)
            (secret,) = await drafts(instances[0], body, 1, secret=True)
            issued = await asyncio.gather(
                issue(instances[0], body, plain, date(2026, 3, 5)),
                issue(instances[1], body, secret, date(2026, 3, 5)),
            )
            async with instances[1].unit(write=False) as uow:
                tasks = list(await uow.session.scalars(select(Task).order_by(Task.point_no)))
            return list(issued), tasks
        finally:
            for db in instances:
                await db.dispose()

    issued, tasks = asyncio.run(run())
    assert [(n.state, n.number) for n in issued] == [("issued", 1), ("issued", 1)]
    assert [(t.point_no, t.lead_unit, t.state) for t in tasks] == [
        (2, "Sở Nội vụ", "open"),
        (3, "Sở Tài chính", "open"),
    ]
    assert len({t.notice_id for t in tasks}) == 1 and tasks[0].notice_id in {n.id for n in issued}
    assert tasks[0].deadline == date(2026, 4, 30) and tasks[0].cooperating_units == ["Sở Tài chính"]
