"""Numbers are given on issue, per sequence: Party per term of the committee, State per
year with secret notices apart; never twice, never skipped, even with two app instances
issuing at once on real PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from phonghop.demo.notices import sample_record
from phonghop.domain import notice as nd
from phonghop.domain.permissions import Actor, UserRole
from phonghop.errors import Conflict, InvalidInput
from phonghop.services import notices
from phonghop.services.bodies import create_body
from phonghop.storage.db import Database
from phonghop.storage.models import IssuingBody, Meeting, Notice

SIGNER = {"signer_title": "Phó Chủ tịch", "signer_name": "Trần Thị Hoa", "authorities": []}


@dataclass(frozen=True)
class Body:
    id: int
    meeting_id: int
    actor: Actor


async def seed(db: Database, fmt: str, **settings: Any) -> Body:
    """An issuing body with its notice settings and a closed meeting."""
    async with db.unit() as uow:
        party = fmt == "party"
        body = await create_body(
            uow,
            name="TỈNH ỦY GIA LAI" if party else "ỦY BAN NHÂN DÂN TỈNH GIA LAI",
            short_name="Ban Thường vụ Tỉnh ủy" if party else "Ủy ban nhân dân tỉnh",
            symbol="TU" if party else "UBND",
            notice_format=fmt,
            place="Gia Lai",
        )
        body.settings = {"notices": {"signature": SIGNER, **settings}}
        meeting = Meeting(
            body_id=body.id,
            title="Họp",
            starts_at=datetime(2025, 12, 20, 1, 30, tzinfo=UTC),
            state="closed",
            live={},
        )
        uow.session.add(meeting)
        await uow.session.flush()
        return Body(body.id, meeting.id, Actor(body_id=body.id, user_role=UserRole.OFFICE))


async def drafts(db: Database, body: Body, count: int, *, secret: bool = False) -> list[int]:
    """``count`` draft notices of the body's meeting (the sample Gia Lai record)."""
    async with db.unit() as uow:
        _, config = await notices.load_body_config(uow, body.id)
        state = config.settings.format is nd.NoticeFormat.STATE
        draft = nd.draft_notice(sample_record(state=state), config.body, config.settings, date(2025, 12, 20))
        rows = [
            Notice(
                body_id=body.id,
                meeting_id=body.meeting_id,
                state="draft",
                secret=secret,
                draft=draft.to_dict(),
                summary=draft.summary,
                number_label="",
                warnings=[],
                signed=False,
            )
            for _ in range(count)
        ]
        uow.session.add_all(rows)
        await uow.session.flush()
        return [row.id for row in rows]


async def issue(db: Database, body: Body, notice_id: int, day: date) -> Notice:
    async with db.unit() as uow:
        return await notices.issue(uow, body.actor, notice_id, today=day)


def test_state_numbers_restart_every_year_and_secret_ones_apart(sqlite_url: str) -> None:
    async def run() -> None:
        db = Database(sqlite_url)
        try:
            body = await seed(db, "state", file_copy="Lưu: VT, TH.")
            plain = await drafts(db, body, 4)
            secret = await drafts(db, body, 2, secret=True)
            issued = [
                await issue(db, body, plain[0], date(2026, 3, 5)),
                await issue(db, body, secret[0], date(2026, 3, 6)),
                await issue(db, body, plain[1], date(2026, 12, 31)),
                await issue(db, body, plain[2], date(2027, 1, 1)),
                await issue(db, body, secret[1], date(2027, 1, 2)),
                await issue(db, body, plain[3], date(2027, 1, 2)),
            ]
            assert [(n.sequence_key, n.number, n.number_label) for n in issued] == [
                ("state:TB-UBND:2026", 1, "Số: 01/TB-UBND"),
                ("state:TB-UBND:2026:secret", 1, "Số: 01/TB-UBND"),
                ("state:TB-UBND:2026", 2, "Số: 02/TB-UBND"),
                ("state:TB-UBND:2027", 1, "Số: 01/TB-UBND"),
                ("state:TB-UBND:2027:secret", 1, "Số: 01/TB-UBND"),
                ("state:TB-UBND:2027", 2, "Số: 02/TB-UBND"),
            ]
            assert issued[2].issue_date == date(2026, 12, 31)
            assert nd.NoticeDraft.from_dict(issued[2].draft).date_line == "Gia Lai, ngày 31 tháng 12 năm 2026"
        finally:
            await db.dispose()

    asyncio.run(run())


def test_party_numbers_run_through_the_term(sqlite_url: str) -> None:
    async def run() -> None:
        db = Database(sqlite_url)
        try:
            body = await seed(db, "party", term_start="2025-10-16")
            ids = await drafts(db, body, 5)
            secret = await drafts(db, body, 1, secret=True)
            with pytest.raises(InvalidInput) as refused:
                await issue(db, body, ids[0], date(2025, 10, 15))  # before the term began
            assert refused.value.code == "notice_term_invalid"
            issued = [
                await issue(db, body, ids[0], date(2025, 12, 30)),
                await issue(db, body, ids[1], date(2026, 1, 2)),  # a new year, the same term
                await issue(db, body, secret[0], date(2026, 1, 3)),  # secret or not, one sequence
            ]
            assert [(n.number, n.number_label) for n in issued] == [
                (1, "Số 01-TB/TU"),
                (2, "Số 02-TB/TU"),
                (3, "Số 03-TB/TU"),
            ]
            assert {n.sequence_key for n in issued} == {"party:TB/TU:term:2025-10-16"}
            async with db.unit() as uow:  # the next congress: a new term, numbers from 01
                row = await uow.session.get(IssuingBody, body.id)
                assert row is not None
                row.settings = {"notices": {"signature": SIGNER, "term_start": "2030-10-20"}}
            later = await issue(db, body, ids[2], date(2030, 11, 2))
            assert (later.sequence_key, later.number) == ("party:TB/TU:term:2030-10-20", 1)
            async with db.unit() as uow:  # no term at all: a Party body cannot issue
                row = await uow.session.get(IssuingBody, body.id)
                assert row is not None
                row.settings = {"notices": {"signature": SIGNER}}
            with pytest.raises(InvalidInput) as refused:
                await issue(db, body, ids[3], date(2030, 11, 3))
            assert refused.value.code == "notice_term_invalid"
        finally:
            await db.dispose()

    asyncio.run(run())


def test_the_database_refuses_a_number_twice(sqlite_url: str) -> None:
    async def run() -> None:
        db = Database(sqlite_url)
        try:
            body = await seed(db, "state")
            first, second = await drafts(db, body, 2)
            await issue(db, body, first, date(2026, 3, 5))
            # Even if the counter were bypassed, the unique constraint holds.
            with pytest.raises(IntegrityError):
                async with db.unit() as uow:
                    row = await uow.session.get(Notice, second)
                    assert row is not None
                    row.state, row.number, row.sequence_key = "issued", 1, "state:TB-UBND:2026"
            async with db.unit(write=False) as uow:
                row = await uow.session.get(Notice, second)
                assert row is not None and row.state == "draft" and row.number is None
        finally:
            await db.dispose()

    asyncio.run(run())


@pytest.mark.postgres
@pytest.mark.slow
def test_forty_notices_issued_at_once_on_two_instances(migrated_postgres_url: str) -> None:
    """Two app instances (two engines, two pools) issue 40 notices of one sequence at
    once, the counter row not existing yet: numbers 1..40, none twice, none skipped."""

    async def run() -> list[Notice]:
        instances = [Database(migrated_postgres_url), Database(migrated_postgres_url)]
        try:
            body = await seed(instances[0], "state", file_copy="Lưu: VT.")
            ids = await drafts(instances[0], body, 40)
            results = await asyncio.gather(
                *(
                    issue(instances[i % 2], body, notice_id, date(2026, 3, 5))
                    for i, notice_id in enumerate(ids)
                )
            )
            async with instances[1].unit(write=False) as uow:
                stored = list(await uow.session.scalars(select(Notice).where(Notice.body_id == body.id)))
            assert sorted(n.number or 0 for n in results) == sorted(n.number or 0 for n in stored)
            return stored
        finally:
            for db in instances:
                await db.dispose()

    stored = asyncio.run(run())
    assert sorted(n.number for n in stored if n.number is not None) == list(range(1, 41))
    assert {n.state for n in stored} == {"issued"}
    assert {n.sequence_key for n in stored} == {"state:TB-UBND:2026"}


@pytest.mark.postgres
def test_one_notice_issued_twice_at_once_gets_one_number(migrated_postgres_url: str) -> None:
    async def run() -> None:
        instances = [Database(migrated_postgres_url), Database(migrated_postgres_url)]
        try:
            body = await seed(instances[0], "state", file_copy="Lưu: VT.")
            (notice_id,) = await drafts(instances[0], body, 1)
            outcomes = await asyncio.gather(
                *(issue(db, body, notice_id, date(2026, 3, 5)) for db in instances), return_exceptions=True
            )
            won = [o for o in outcomes if isinstance(o, Notice)]
            lost = [o for o in outcomes if isinstance(o, Conflict)]
            assert len(won) == 1 and len(lost) == 1 and lost[0].code == "notice_issued"
            assert won[0].number == 1
            (next_id,) = await drafts(instances[1], body, 1)
            assert (await issue(instances[1], body, next_id, date(2026, 3, 5))).number == 2
        finally:
            for db in instances:
                await db.dispose()

    asyncio.run(run())


def test_a_draft_of_another_format_is_not_issued(sqlite_url: str) -> None:
    async def run() -> None:
        db = Database(sqlite_url)
        try:
            body = await seed(db, "state", file_copy="Lưu: VT.")
            (notice_id,) = await drafts(db, body, 1)
            async with db.unit() as uow:
                row = await uow.session.get(IssuingBody, body.id)
                assert row is not None
                row.notice_format = "party"
                row.settings = {"notices": {"signature": SIGNER, "term_start": "2025-10-16"}}
            for attempt in (
                issue(db, body, notice_id, date(2026, 3, 5)),
                preview(db, body, notice_id),
            ):
                with pytest.raises(Conflict) as refused:
                    await attempt
                assert refused.value.code == "notice_format_changed"
                assert refused.value.params == {"draft": "state", "body": "party"}
        finally:
            await db.dispose()

    asyncio.run(run())


async def preview(db: Database, body: Body, notice_id: int) -> bytes:
    async with db.unit(write=False) as uow:
        content, _name = await notices.notice_file(uow, body.actor, notice_id, "pdf")
        return content
