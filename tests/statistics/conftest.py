"""A year of a body's work, built through the API, for the statistics tests.

The office is in Hồ Chí Minh City (UTC+7), and the meetings sit on the edges of the
office's days: a meeting at 06:00 on 1 June office time is still 31 May in UTC, one at
00:30 on 1 January is still the previous year in UTC. Everything happens in the year of
the tests' own "today" (``TODAY``), since notices are issued, and tasks marked done, "today".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from phonghop import clock
from phonghop.config import Settings
from tests.conftest import make_settings
from tests.factories import World, blank_pdf, companion, login, new_meeting, upload_document
from tests.notices_service import conftest as notices_conftest

base = notices_conftest.base
office = notices_conftest.office
admin = notices_conftest.admin
configured = notices_conftest.configured

ZONE = "Asia/Ho_Chi_Minh"

# The office's "today" for every test here, whatever the machine's date: the server reads
# the clock these tests install, so notices issued "today" and tasks done "today" land in
# YEAR even when a run crosses midnight on New Year's Eve.
TODAY = date(2026, 9, 15)
YEAR = TODAY.year


@pytest.fixture(autouse=True)
def office_clock() -> Iterator[None]:
    start = datetime.combine(TODAY, time(10, 0), ZoneInfo(ZONE))
    with clock.use(clock.running_from(start)):
        yield


def office_today() -> date:
    return clock.today(ZoneInfo(ZONE))


def local(text: str) -> str:
    """An office wall-clock time ("03-10 08:00" in YEAR, or a full ISO date) as ISO 8601."""
    when = datetime.fromisoformat(text if text[:4].isdigit() and len(text) > 11 else f"{YEAR}-{text}")
    return when.replace(tzinfo=ZoneInfo(ZONE)).isoformat()


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path / "data", sqlite_url, timezone=ZONE)


@dataclass
class Built:
    """A meeting as the world left it: ids of its participants by key, its agenda items."""

    id: int
    participants: dict[str, int] = field(default_factory=dict)
    items: list[int] = field(default_factory=list)


def meeting(
    office: TestClient,
    world: World,
    starts: str,
    people: list[tuple[str, str]],
    *,
    title: str = "Hội nghị Ban Thường vụ",
    items: int = 0,
    schedule: bool = True,
) -> Built:
    """A meeting starting at ``starts`` (office time) with ``people``: (username, role) for
    the body's users, ("name:<full name>", role) for someone without an account."""
    created = new_meeting(office, title=title, starts_at=local(starts), members_total=4)
    built = Built(created["id"])
    for who, role in people:
        body: dict[str, Any] = {"role": role}
        if who.startswith("name:"):
            body["full_name"] = who.removeprefix("name:")
        else:
            body["user_id"] = world.users[who]
        r = office.post(f"/api/meetings/{built.id}/participants", json=body)
        assert r.status_code == 201, r.text
        built.participants[who] = r.json()["id"]
    for n in range(items):
        r = office.post(f"/api/meetings/{built.id}/agenda", json={"title": f"Nội dung {n + 1}"})
        assert r.status_code == 201, r.text
        built.items.append(r.json()["id"])
    if schedule:
        action(office, built, "schedule")
    return built


def action(client: TestClient, built: Built, name: str) -> None:
    r = client.post(f"/api/meetings/{built.id}/actions/{name}")
    assert r.status_code == 200, r.text


def roll_call(office: TestClient, built: Built, marks: dict[str, tuple[str, str]]) -> None:
    for who, (state, reason) in marks.items():
        r = office.put(
            f"/api/meetings/{built.id}/participants/{built.participants[who]}/attendance",
            json={"attendance": state, "reason": reason},
        )
        assert r.status_code == 200, r.text


def document(office: TestClient, built: Built, pages: int, **params: Any) -> int:
    doc = upload_document(office, built.id, blank_pdf(pages), title=f"Tài liệu {pages} trang", **params)
    doc_id: int = doc["id"]
    return doc_id


def tasks_by_text(office: TestClient) -> dict[str, int]:
    r = office.get("/api/tasks", params={"limit": "500"})
    assert r.status_code == 200, r.text
    return {t["text"]: t["id"] for t in r.json()["tasks"]}


def set_task(office: TestClient, task_id: int, state: str) -> None:
    r = office.post(f"/api/tasks/{task_id}/updates", json={"state": state, "note": "Cập nhật"})
    assert r.status_code == 200, r.text


def issue_notice(office: TestClient, meeting_id: int) -> dict[str, Any]:
    r = office.post(f"/api/meetings/{meeting_id}/notices", json={})
    assert r.status_code == 201, r.text
    r = office.post(f"/api/notices/{r.json()['id']}/issue")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


@dataclass
class Year:
    """What :func:`build_year` made."""

    today: date
    held_march: Built
    held_june: Built
    notices: list[dict[str, Any]]
    tasks: dict[str, int]


def build_year(base: TestClient, world: World, office: TestClient, admin: TestClient) -> Year:
    """The body's year (the figures each test expects are worked out in test_statistics.py):

    * 1 Jan 00:30: scheduled. 31 Dec of the year before, 23:30: scheduled (outside).
    * 10 Mar 08:00: held. Chair, secretary, member1, member2, a guest without an account
      ("Lê Thị Hoà"). Roll call: member1 online, member2 absent "đi công tác", the rest
      present. Documents: 3 pages for all; 2 pages confidential for all (no guest); 4
      pages named to member1; 1 page for delegates. Conclusions with six tasks.
    * 12 Mar: cancelled (a document of 7 pages uploaded before). 15 Mar: a draft.
    * 1 Jun 06:00 (31 May in UTC): held. Chair, secretary, members 1-3, the guest spelt
      "Lê Thị Hòa". Member1 absent without a reason, member3 never marked, the rest
      present. A document of 5 pages for all, recalled after the meeting.
    * 20 Jun: scheduled; chair and member3; a document of 2 pages for all.
    * Another body's meeting in March, held, with a document.
    * Notices of both held meetings issued today; tasks marked done (late and on time),
      in progress, cancelled, left open.
    """
    today = office_today()
    r = admin.post("/api/units", json={"name": "Sở Tài chính", "short_name": "STC"})
    assert r.status_code == 201, r.text

    meeting(office, world, "01-01 00:30", [("chair", "chair")])
    meeting(office, world, f"{YEAR - 1}-12-31 23:30", [("chair", "chair")])

    march = meeting(
        office,
        world,
        "03-10 08:00",
        [
            ("chair", "chair"),
            ("secretary", "secretary"),
            ("member1", "delegate"),
            ("member2", "delegate"),
            ("name:Lê Thị Hoà", "guest"),
        ],
        items=1,
    )
    document(office, march, 3)
    document(office, march, 2, classification="confidential")
    document(office, march, 4, access="named", participant_ids=str(march.participants["member1"]))
    document(office, march, 1, access="roles", roles="delegate")
    action(office, march, "start")
    roll_call(
        office,
        march,
        {
            "chair": ("present", ""),
            "secretary": ("present", ""),
            "member1": ("present_online", ""),
            "member2": ("absent", "đi công tác"),
            "name:Lê Thị Hoà": ("present", ""),
        },
    )
    action(office, march, "close")
    points = [
        {"text": "Thống nhất thông qua kế hoạch"},
        {
            "text": "Rà soát nguồn vốn",
            "chu_tri": "Sở Tài chính",
            "deadline": (today - timedelta(days=5)).isoformat(),
        },
        {"text": "Lập dự toán", "chu_tri": "STC", "deadline": (today + timedelta(days=10)).isoformat()},
        {
            "text": "Sắp xếp bộ máy",
            "chu_tri": "Sở Nội vụ",
            "deadline": (today - timedelta(days=1)).isoformat(),
        },
        {
            "text": "Tuyển dụng công chức",
            "chu_tri": "Sở Nội vụ",
            "deadline": (today + timedelta(days=3)).isoformat(),
        },
        {"text": "Theo dõi hằng tháng", "chu_tri": "sở nội vụ"},
        {"text": "Tổ chức hội nghị", "chu_tri": "Văn phòng Tỉnh ủy", "deadline": today.isoformat()},
    ]
    r = office.put(
        f"/api/meetings/{march.id}/conclusions/{march.items[0]}", json={"summary": "", "points": points}
    )
    assert r.status_code == 200, r.text

    cancelled = meeting(office, world, "03-12 08:00", [("chair", "chair"), ("member1", "delegate")])
    document(office, cancelled, 7)
    action(office, cancelled, "cancel")
    meeting(office, world, "03-15 08:00", [("chair", "chair")], schedule=False)

    june = meeting(
        office,
        world,
        "06-01 06:00",
        [
            ("chair", "chair"),
            ("secretary", "secretary"),
            ("member1", "delegate"),
            ("member2", "delegate"),
            ("member3", "delegate"),
            ("name:Lê Thị Hòa", "guest"),
        ],
        items=1,
    )
    recalled = document(office, june, 5)
    action(office, june, "start")
    roll_call(
        office,
        june,
        {
            "chair": ("present", ""),
            "secretary": ("present", ""),
            "member1": ("absent", ""),
            "member2": ("present", ""),
            "name:Lê Thị Hòa": ("present", ""),
        },
    )
    action(office, june, "close")
    r = office.post(f"/api/documents/{recalled}/recall")
    assert r.status_code == 200, r.text
    r = office.put(
        f"/api/meetings/{june.id}/conclusions/{june.items[0]}",
        json={"summary": "", "points": [{"text": "Ghi nhận báo cáo"}]},
    )
    assert r.status_code == 200, r.text

    later = meeting(office, world, "06-20 08:00", [("chair", "chair"), ("member3", "delegate")])
    document(office, later, 2)

    other = companion(base)
    login(other, "other_office")
    theirs = new_meeting(other, starts_at=local("03-11 08:00"))
    r = other.post(f"/api/meetings/{theirs['id']}/participants", json={"full_name": "Người tỉnh khác"})
    assert r.status_code == 201, r.text
    assert other.post(f"/api/meetings/{theirs['id']}/actions/schedule").status_code == 200
    upload_document(other, theirs["id"], blank_pdf(9), title="Tài liệu tỉnh khác")
    for name in ("start", "close"):
        assert other.post(f"/api/meetings/{theirs['id']}/actions/{name}").status_code == 200

    notices = [issue_notice(office, march.id), issue_notice(office, june.id)]
    tasks = tasks_by_text(office)
    set_task(office, tasks["Rà soát nguồn vốn"], "done")  # deadline 5 days ago: late
    set_task(office, tasks["Lập dự toán"], "done")  # deadline in 10 days: on time
    set_task(office, tasks["Tuyển dụng công chức"], "in_progress")
    set_task(office, tasks["Tổ chức hội nghị"], "cancelled")
    return Year(today, march, june, notices, tasks)
