"""The page-view audit: every page a tablet shows is kept, one row per reader and document
per interval (services.audit.PageViews), and given back page by page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from phonghop.domain.permissions import Actor
from phonghop.services.audit import PageViews, expand_page_views
from phonghop.storage import migrate
from phonghop.storage.db import Database
from phonghop.storage.models import AuditEntry


async def _rows(db: Database) -> list[AuditEntry]:
    async with db.unit(write=False) as uow:
        return list(await uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_readers_pages_are_one_row_and_come_back_one_by_one_in_order(sqlite_url: str) -> None:
    async def scenario() -> tuple[list[AuditEntry], list[list[tuple[datetime, dict[str, object]]]]]:
        db = Database(sqlite_url)
        views = PageViews(db, interval=3600)  # written only by the flush below
        hung, lan = Actor(body_id=1, participant_id=7), Actor(body_id=1, participant_id=8)
        for page in (1, 2, 3, 1):
            views.record(hung, 12, page)
            await asyncio.sleep(0.002)
        views.record(lan, 12, 5)
        views.record(hung, 12, 4, action="document.page_served", version=2)
        await views.flush()
        rows = await _rows(db)
        await views.stop()
        await db.dispose()
        return rows, [expand_page_views(r.at, r.detail) for r in rows]

    rows, expanded = asyncio.run(scenario())
    # One row per reader, document and kind: 1,600 tablets turning five pages write 1,600 rows.
    assert [(r.actor_participant_id, r.action) for r in rows] == [
        (7, "document.page_viewed"),
        (8, "document.page_viewed"),
        (7, "document.page_served"),
    ]
    hung_pages = expanded[0]
    assert [d["page"] for _, d in hung_pages] == [1, 2, 3, 1]
    times = [at for at, _ in hung_pages]
    assert times == sorted(times) and times[0] == rows[0].at and times[-1] > times[0]
    assert expanded[1] == [(rows[1].at, {"page": 5})]
    assert expanded[2] == [(rows[2].at, {"version": 2, "page": 4})]


def test_an_older_row_naming_one_page_is_given_back_as_it_is() -> None:
    at = datetime(2026, 6, 19, 8, 30, tzinfo=UTC)
    assert expand_page_views(at, {"page": 3}) == [(at, {"page": 3})]


def test_a_failed_write_keeps_the_views_for_the_next_one(tmp_path: Path) -> None:
    # A database without the audit table yet: the write fails as a real one would.
    url = f"sqlite+aiosqlite:///{tmp_path / 'late.db'}"

    async def scenario() -> list[AuditEntry]:
        db = Database(url)
        views = PageViews(db, interval=3600)
        reader = Actor(body_id=1, participant_id=3)
        views.record(reader, 9, 1)
        await views.flush()  # fails: kept
        views.record(reader, 9, 2)
        await migrate.upgrade(url)
        await views.flush()
        rows = await _rows(db)
        await views.stop()
        await db.dispose()
        return rows

    [row] = asyncio.run(scenario())
    assert [d["page"] for _, d in expand_page_views(row.at, row.detail)] == [1, 2]
