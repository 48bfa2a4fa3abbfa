"""The statistics cost a fixed number of SQL statements: 20 meetings take as many as one
(no statement per meeting, document, participant or task)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from phonghop.domain.permissions import Actor, UserRole
from phonghop.services import statistics
from phonghop.services.bodies import create_body
from phonghop.storage.db import Database
from phonghop.storage.models import (
    AgendaItem,
    Document,
    DocumentVersion,
    Meeting,
    Notice,
    Participant,
    Task,
    Unit,
    User,
)

YEAR = 2026
PERIOD = statistics.Period(date(YEAR, 1, 1), date(YEAR, 12, 31))
TODAY = date(YEAR, 6, 15)


async def seed(db: Database, meetings: int) -> Actor:
    """``meetings`` held meetings of one body, each with three participants (one named in
    a document's access list), a document, an issued notice and two tasks."""
    async with db.unit() as uow:
        body = await create_body(uow, name="TỈNH ỦY THỬ NGHIỆM", symbol="TU", notice_format="party")
        session = uow.session
        office = User(body_id=body.id, username="office", full_name="Văn phòng", role="office")
        chair = User(body_id=body.id, username="chair", full_name="Chủ trì", role="member")
        unit = Unit(body_id=body.id, name="Sở Tài chính", name_key="sở tài chính")
        session.add_all([office, chair, unit])
        await session.flush()
        for i in range(meetings):
            meeting = Meeting(
                body_id=body.id,
                title=f"Cuộc họp {i + 1}",
                starts_at=datetime(YEAR, 1, 5, 1, tzinfo=UTC) + timedelta(days=i * 7),
                state="closed",
            )
            session.add(meeting)
            await session.flush()
            item = AgendaItem(meeting_id=meeting.id, title="Nội dung", position=0)
            people = [
                Participant(meeting_id=meeting.id, user_id=chair.id, full_name="Chủ trì", role="chair",
                            voting_member=True, position=0, attendance="present"),
                Participant(meeting_id=meeting.id, full_name=f"Đại biểu {i % 3}", role="delegate",
                            voting_member=True, position=1, attendance="absent", absence_reason="ốm"),
                Participant(meeting_id=meeting.id, full_name="Khách mời", role="guest", position=2,
                            attendance="present_online"),
            ]  # fmt: skip
            session.add_all([item, *people])
            await session.flush()
            document = Document(
                meeting_id=meeting.id,
                title="Tờ trình",
                access={"mode": "named", "participant_ids": [people[1].id]},
            )
            session.add(document)
            await session.flush()
            session.add(
                DocumentVersion(
                    document_id=document.id,
                    number=1,
                    sha256="0" * 64,
                    size=1,
                    page_count=4,
                    pages=[[595, 842]] * 4,
                )
            )
            notice = Notice(
                body_id=body.id,
                meeting_id=meeting.id,
                state="issued",
                draft={},
                number=i + 1,
                sequence_key="party:TB/TU:term:2025-10-16",
                issue_date=date(YEAR, 2, 1),
            )
            session.add(notice)
            await session.flush()
            for no, (state, deadline) in enumerate(
                [("open", date(YEAR, 6, 1)), ("in_progress", None)], start=1
            ):
                session.add(
                    Task(
                        body_id=body.id,
                        meeting_id=meeting.id,
                        notice_id=notice.id,
                        agenda_item_id=item.id,
                        point_no=no,
                        text=f"Nhiệm vụ {no}",
                        lead_unit="Sở Tài chính",
                        unit_id=unit.id,
                        deadline=deadline,
                        state=state,
                    )
                )
        return Actor(body_id=body.id, user_id=office.id, user_role=UserRole.OFFICE)


async def count_statements(url: str, meetings: int) -> tuple[int, dict[str, Any]]:
    db = Database(url)
    try:
        actor = await seed(db, meetings)
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        async with db.unit(write=False) as uow:
            stats = await statistics.statistics(
                uow, actor, PERIOD, today=TODAY, tz=ZoneInfo("Asia/Ho_Chi_Minh")
            )
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        return statements, stats
    finally:
        await db.dispose()


def test_twenty_meetings_cost_the_statements_of_one(sqlite_url: str, tmp_path: Any) -> None:
    from phonghop.storage import migrate

    one, small = asyncio.run(count_statements(sqlite_url, 1))
    other_url = f"sqlite+aiosqlite:///{tmp_path / 'twenty.db'}"
    asyncio.run(migrate.upgrade(other_url))
    twenty, large = asyncio.run(count_statements(other_url, 20))

    # The figures did grow with the data...
    assert small["meetings"]["totals"]["held"] == 1 and large["meetings"]["totals"]["held"] == 20
    assert large["documents"] == {
        "documents": 20,
        "pages": 80,
        "pages_not_printed": 20 * 4 * 2,  # the named delegate and the chair
        "sides_per_page": 1,
        "reams": 0.32,
    }
    assert large["attendance"]["invited"] == 60 and large["attendance"]["present"] == 40
    assert [p["name"] for p in large["attendance"]["members"]] == [
        "Chủ trì",
        "Đại biểu 0",
        "Đại biểu 1",
        "Đại biểu 2",
        "Khách mời",
    ]
    assert large["notices"]["sequences"][0]["count"] == 20
    assert large["tasks"]["units"][0] | {"unit_id": None} == {
        "unit": "Sở Tài chính",
        "unit_id": None,
        "total": 40,
        "done_on_time": 0,
        "done_late": 0,
        "overdue": 20,
        "in_progress": 20,
        "not_started": 0,
        "cancelled": 0,
    }
    # ...the number of statements did not.
    assert twenty == one, (one, twenty)
    assert one <= 8
