"""The demo's story as a new user lives it: a meeting today, starting soon, that ends in an
issued notice signed with the demo's test certificate, with no administrator step; and
``--reset`` to start over once the meeting is closed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from phonghop.config import Settings
from phonghop.demo import demo_certificate, demo_certificate_path, demo_start, seed_demo
from phonghop.domain.meeting import MeetingAction
from phonghop.domain.permissions import Actor, UserRole
from phonghop.notices.signing import verify_pdf_signature
from phonghop.services import bodies, meetings, notices
from phonghop.services.notices import DraftOptions
from phonghop.storage.db import Database
from phonghop.storage.models import NoticeFile, User

pytestmark = pytest.mark.anyio

OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def clock(hour: int, minute: int) -> datetime:
    """A moment in office time on a day relative to the real one (never a fixed date)."""
    day = datetime.now(OFFICE_TZ).date() + timedelta(days=40)
    return datetime(day.year, day.month, day.day, hour, minute, 7, tzinfo=OFFICE_TZ)


@pytest.mark.parametrize(
    ("hour", "minute", "starts"),
    [
        (9, 2, (9, 15)),  # a quarter of an hour later, on a five-minute mark
        (13, 45, (14, 0)),
        (23, 50, (20, 25)),  # late at night: a meeting that began this evening, ending before midnight
    ],
)
def test_the_demo_meeting_starts_soon_and_stays_on_today(
    hour: int, minute: int, starts: tuple[int, int]
) -> None:
    now = clock(hour, minute)
    start = demo_start(now)
    assert (start.hour, start.minute) == starts
    assert start.date() == now.date() == (start + timedelta(hours=3, minutes=30)).date()


async def test_the_demo_reaches_a_signed_notice_without_an_admin_step(settings: Settings) -> None:
    now = clock(9, 2)
    demo = await seed_demo(settings, now=now)
    assert demo.created and not demo.ended
    db = Database(settings.database_url)
    try:
        async with db.unit() as uow:
            office_user = await uow.session.scalar(select(User).where(User.username == "vanphong"))
            assert office_user is not None
            office = Actor(body_id=demo.body_id, user_id=office_user.id, user_role=UserRole.OFFICE)
            meeting = await meetings.load_meeting(uow, office, demo.meeting_id)
            assert meeting.starts_at.astimezone(OFFICE_TZ).date() == now.date()
            assert await bodies.is_demo(uow, demo.body_id)
            for action in (MeetingAction.START, MeetingAction.CLOSE):
                await meetings.change_state(uow, office, demo.meeting_id, action)
            draft = await notices.draft_from_meeting(
                uow, office, demo.meeting_id, DraftOptions(), today=now.date(), tz=OFFICE_TZ
            )
            issued = await notices.issue(uow, office, draft.id, today=now.date())
            assert issued.signed and issued.issue_date == now.date()
            pdf = await uow.session.scalar(
                select(NoticeFile.content).where(NoticeFile.notice_id == issued.id, NoticeFile.kind == "pdf")
            )
        assert pdf is not None
        check = await asyncio.to_thread(verify_pdf_signature, pdf, [])  # it runs its own event loop
        assert check.intact and "DEMO" in check.signer  # signed, and marked as the demo's test certificate
    finally:
        await db.dispose()

    # Run again: the same (now closed) meeting, and the hint to start over.
    again = await seed_demo(settings, now=now + timedelta(hours=4))
    assert (again.meeting_id, again.created, again.ended) == (demo.meeting_id, False, True)
    # --reset: a new meeting, today, with the same people and the signer still set.
    later = now + timedelta(hours=4)
    fresh = await seed_demo(settings, reset=True, now=later)
    assert fresh.created and fresh.meeting_id != demo.meeting_id and fresh.join_code != demo.join_code
    db = Database(settings.database_url)
    try:
        async with db.unit(write=False) as uow:
            meeting = await meetings.load_meeting(uow, office, fresh.meeting_id, full=True)
            assert meeting.starts_at.astimezone(OFFICE_TZ) == demo_start(later)
            assert len(meeting.participants) == 14
            status = (await notices.get_settings(uow, office))["signing_status"]
            assert status == "ok"
    finally:
        await db.dispose()


def test_the_demo_certificate_is_kept_private_and_reused(settings: Settings) -> None:
    path = demo_certificate_path(settings)
    now = datetime.now(UTC)
    demo_certificate(path, now=now)
    first = path.read_bytes()
    assert path.stat().st_mode & 0o077 == 0
    demo_certificate(path, now=now)
    assert path.read_bytes() == first  # still valid: not made again
    demo_certificate(path, now=now + timedelta(days=800))
    assert path.read_bytes() != first  # expired: a new one
