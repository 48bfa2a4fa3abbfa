"""The statistics of a body's year, built through the API (tests/statistics/conftest.py):
every figure checked exactly, the office's time zone on the edges of days, task statuses
with a frozen "today", isolation between bodies, errors, and the XLSX/DOCX exports read
back."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import docx
import openpyxl
import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from phonghop import clock
from phonghop.domain.permissions import Actor, UserRole
from phonghop.domain.text import compare_key
from phonghop.services import followup, statistics
from phonghop.storage.db import Database
from phonghop.storage.models import Participant
from tests.factories import World, companion, login
from tests.notices_service.conftest import error_of, run_in_app
from tests.statistics.conftest import YEAR, ZONE, Year, build_year

pytestmark = pytest.mark.usefixtures("configured")

WHOLE_YEAR = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}


@pytest.fixture
def year(base: TestClient, world: World, office: TestClient, admin: TestClient) -> Year:
    return build_year(base, world, office, admin)


def stats(client: TestClient, **query: str) -> dict[str, Any]:
    r = client.get("/api/statistics", params=query)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def month(n: int, **counts: int) -> dict[str, Any]:
    figures = {"held": 0, "scheduled": 0, "in_progress": 0, "cancelled": 0} | counts
    return {"month": f"{YEAR}-{n:02d}", **figures, "total": sum(figures.values())}


def person(
    name: str, user_id: int | None, voting: bool, invited: int, present: int, **rest: int
) -> dict[str, Any]:
    counts = {
        "present_online": 0,
        "absent_with_reason": 0,
        "absent_without_reason": 0,
        "not_marked": 0,
    } | rest
    return {
        "user_id": user_id,
        "name": name,
        "voting_member": voting,
        "invited": invited,
        "present": present,
        **counts,
        "rate": round(present / invited, 4),
    }


def test_every_figure_of_the_year(year: Year, office: TestClient, world: World) -> None:
    data = stats(office, **WHOLE_YEAR)
    assert data["period"] == WHOLE_YEAR

    # Meetings: 1 January 00:30 office time counts in January (it is 31 December in UTC),
    # 1 June 06:00 in June (31 May in UTC); the draft, the meeting of the year before and
    # the other body's meeting are not counted.
    assert data["meetings"]["months"] == [
        month(1, scheduled=1),
        month(2),
        month(3, held=1, cancelled=1),
        month(4),
        month(5),
        month(6, held=1, scheduled=1),
        *(month(n) for n in range(7, 13)),
    ]
    assert data["meetings"]["totals"] == {
        "held": 2,
        "scheduled": 2,
        "in_progress": 0,
        "cancelled": 1,
        "total": 5,
    }

    # Attendance over the two meetings held: voting members first, in list order.
    users = world.users
    attendance = data["attendance"]
    guest = attendance["members"][-1]
    assert compare_key(guest["name"]) == compare_key("Lê Thị Hoà")  # "Hoà" and "Hòa": one person
    assert attendance["members"] == [
        person("Đồng chí Chair", users["chair"], True, 2, 2),
        person("Đồng chí Member1", users["member1"], True, 2, 1, present_online=1, absent_without_reason=1),
        person("Đồng chí Member2", users["member2"], True, 2, 1, absent_with_reason=1),
        person("Đồng chí Member3", users["member3"], True, 1, 0, not_marked=1),
        person("Đồng chí Secretary", users["secretary"], False, 2, 2),
        person(guest["name"], None, False, 2, 2),
    ]
    assert (attendance["meetings_held"], attendance["invited"], attendance["present"]) == (2, 11, 8)
    assert attendance["rate"] == round(8 / 11, 4)

    # Documents: March 3x5 + 2x4 (confidential: not the guest) + 4x3 (named: member1,
    # with the chair and the secretary) + 1x4 (delegates, chair, secretary); June 5x6
    # (recalled, still distributed); 20 June 2x2. Not the cancelled meeting's 7 pages.
    assert data["documents"] == {
        "documents": 6,
        "pages": 3 + 2 + 4 + 1 + 5 + 2,
        "pages_not_printed": 15 + 8 + 12 + 4 + 30 + 4,
        "sides_per_page": 1,
        "reams": 0.15,
    }

    assert data["notices"] == {
        "total": 2,
        "sequences": [
            {
                "format": "party",
                "symbol": "TB/TU",
                "term_start": "2025-10-16",
                "year": None,
                "secret": False,
                "count": 2,
                "first_number": 1,
                "last_number": 2,
            }
        ],
    }

    # Tasks as of the office's today: the unit with overdue tasks first; "sở nội vụ" and
    # "Sở Nội vụ" are one unit; "STC" is the short name of the unit "Sở Tài chính".
    tasks = data["tasks"]
    assert tasks["today"] == year.today.isoformat()
    none = dict.fromkeys(statistics.TASK_STATUSES, 0)
    assert [(u["unit"], u["unit_id"] is not None) for u in tasks["units"]] == [
        ("Sở Nội vụ", False),
        ("Sở Tài chính", True),
        ("Văn phòng Tỉnh ủy", False),
    ]
    assert [{k: u[k] for k in ("total", *statistics.TASK_STATUSES)} for u in tasks["units"]] == [
        none | {"total": 3, "overdue": 1, "in_progress": 1, "not_started": 1},
        none | {"total": 2, "done_late": 1, "done_on_time": 1},
        none | {"total": 1, "cancelled": 1},
    ]
    assert tasks["totals"] == {"total": 6, **dict.fromkeys(statistics.TASK_STATUSES, 1)}


def test_task_statuses_follow_the_frozen_today(year: Year, base: TestClient, world: World) -> None:
    office = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)
    period = statistics.Period(date(YEAR, 1, 1), date(YEAR, 12, 31))

    def on(today: date) -> dict[str, dict[str, int]]:
        async def work(db: Database) -> dict[str, Any]:
            async with db.unit(write=False) as uow:
                return await statistics.statistics(uow, office, period, today=today, tz=ZoneInfo(ZONE))

        units = run_in_app(base, work)["tasks"]["units"]
        return {u["unit"]: {k: v for k, v in u.items() if k in statistics.TASK_STATUSES and v} for u in units}

    # Two days ago "Sắp xếp bộ máy" (deadline yesterday) was not late yet.
    assert on(year.today - timedelta(days=2))["Sở Nội vụ"] == {"not_started": 2, "in_progress": 1}
    # On the deadline day "Tuyển dụng công chức" is still on time; the day after, overdue.
    assert on(year.today + timedelta(days=3))["Sở Nội vụ"] == {
        "overdue": 1,
        "in_progress": 1,
        "not_started": 1,
    }
    later = on(year.today + timedelta(days=4))
    assert later["Sở Nội vụ"] == {"overdue": 2, "not_started": 1}
    # Done and cancelled tasks do not change with the date.
    assert later["Sở Tài chính"] == {"done_late": 1, "done_on_time": 1}
    assert later["Văn phòng Tỉnh ủy"] == {"cancelled": 1}


def test_the_period_is_read_in_the_office_time_zone(year: Year, office: TestClient) -> None:
    may_31 = stats(office, **{"from": f"{YEAR}-05-31", "to": f"{YEAR}-05-31"})
    assert may_31["meetings"]["totals"]["total"] == 0
    assert may_31["meetings"]["months"] == [month(5)]
    june_1 = stats(office, **{"from": f"{YEAR}-06-01", "to": f"{YEAR}-06-01"})
    assert june_1["meetings"]["months"] == [month(6, held=1)]
    assert june_1["attendance"]["invited"] == 6
    assert june_1["documents"]["pages_not_printed"] == 30
    assert june_1["tasks"]["totals"]["total"] == 0  # the June meeting's conclusions name no unit
    assert june_1["notices"]["total"] == 0  # notices count by their date of issue (today)

    # Without dates: the office's current year.
    assert stats(office)["period"] == WHOLE_YEAR
    assert stats(office, **{"from": f"{YEAR}-06-01"})["period"] == {
        "from": f"{YEAR}-06-01",
        "to": f"{YEAR}-12-31",
    }
    assert len(stats(office, **{"from": f"{YEAR}-06-01"})["meetings"]["months"]) == 7


def test_a_period_without_meetings(year: Year, office: TestClient) -> None:
    data = stats(office, **{"from": f"{YEAR - 3}-02-01", "to": f"{YEAR - 3}-03-15"})
    assert data["meetings"]["months"] == [
        {
            "month": f"{YEAR - 3}-{m:02d}",
            "held": 0,
            "scheduled": 0,
            "in_progress": 0,
            "cancelled": 0,
            "total": 0,
        }
        for m in (2, 3)
    ]
    assert data["attendance"] == {"meetings_held": 0, "invited": 0, "present": 0, "rate": None, "members": []}
    assert data["documents"]["pages_not_printed"] == 0 and data["documents"]["reams"] == 0
    assert data["notices"] == {"total": 0, "sequences": []}
    assert data["tasks"]["units"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": f"{YEAR}-02-30"}, "from"),
        ({"to": "31/12/2026"}, "to"),
        ({"from": f"{YEAR}-06-01", "to": f"{YEAR}-05-31"}, "to"),
        ({"from": "2000-01-01", "to": "2010-12-31"}, "to"),
        ({"from": "20260101"}, "from"),
        ({"to": "9999-12-31"}, "to"),
    ],
)
def test_a_bad_period_is_refused(office: TestClient, query: dict[str, str], field: str) -> None:
    for path in ("/api/statistics", "/api/statistics.xlsx"):
        error = error_of(office.get(path, params=query), 422)
        assert error["code"] == "statistics_period_invalid"
        assert error["params"]["field"] == field


def test_only_the_office_sees_statistics_and_only_of_its_body(
    year: Year, base: TestClient, office: TestClient, admin: TestClient
) -> None:
    member = companion(base)
    login(member, "member1")
    for path in ("/api/statistics", "/api/statistics.xlsx", "/api/statistics.docx"):
        assert error_of(member.get(path), 403)["code"] == "office_required"
    anonymous = companion(base)
    assert error_of(anonymous.get("/api/statistics"), 401)["code"] == "not_authenticated"
    assert stats(admin, **WHOLE_YEAR)["meetings"]["totals"]["total"] == 5

    # The other body's office sees its own meeting and document, none of ours.
    other = companion(base)
    login(other, "other_office")
    theirs = stats(other, **WHOLE_YEAR)
    assert theirs["meetings"]["totals"] == {
        "held": 1,
        "scheduled": 0,
        "in_progress": 0,
        "cancelled": 0,
        "total": 1,
    }
    assert theirs["meetings"]["months"][2]["held"] == 1
    assert [p["name"] for p in theirs["attendance"]["members"]] == ["Người tỉnh khác"]
    assert theirs["documents"] == {
        "documents": 1,
        "pages": 9,
        "pages_not_printed": 9,
        "sides_per_page": 1,
        "reams": 0.02,
    }
    assert theirs["notices"]["total"] == 0 and theirs["tasks"]["units"] == []


def rows_of(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def row_starting(rows: list[list[Any]], second: Any) -> list[Any]:
    """The table row whose first cell after STT is ``second``."""
    found = [r for r in rows if len(r) > 1 and r[1] == second]
    assert len(found) == 1, rows
    return found[0]


def test_xlsx_export_read_back(year: Year, office: TestClient) -> None:
    r = office.get("/api/statistics.xlsx", params=WHOLE_YEAR)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"thong-ke_{YEAR}-01-01_{YEAR}-12-31.xlsx" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Cuộc họp", "Dự họp", "Tài liệu", "Thông báo", "Nhiệm vụ"]

    meetings = rows_of(book["Cuộc họp"])
    assert meetings[0][0] == "TỈNH ỦY THỬ NGHIỆM"
    assert meetings[2][0] == f"Từ ngày 01/01/{YEAR} đến ngày 31/12/{YEAR}"
    assert row_starting(meetings, f"03/{YEAR}")[2:] == [1, 0, 0, 1, 2]
    assert row_starting(meetings, "Tổng cộng")[2:] == [2, 2, 0, 1, 5]

    attendance = rows_of(book["Dự họp"])
    assert row_starting(attendance, "Đồng chí Member1")[1:] == [
        "Đồng chí Member1",
        "Có",
        2,
        1,
        1,
        0,
        1,
        0,
        "50,0%",
    ]
    assert row_starting(attendance, "Đồng chí Secretary")[2:] == ["Không", 2, 2, 0, 0, 0, 0, "100,0%"]

    documents = rows_of(book["Tài liệu"])
    assert row_starting(documents, "Số trang không phải in")[2] == 73
    assert row_starting(documents, "Quy ra ram giấy")[2] == 0.15

    notices = rows_of(book["Thông báo"])
    assert row_starting(notices, "Văn bản Đảng")[2:] == ["TB/TU", "Nhiệm kỳ từ 16/10/2025", "Không", 2, 1, 2]

    tasks = rows_of(book["Nhiệm vụ"])
    header = next(r for r in tasks if r[0] == "STT")
    assert header[1:] == [
        "Đơn vị chủ trì",
        "Tổng số",
        "Hoàn thành đúng hạn",
        "Hoàn thành quá hạn",
        "Quá hạn",
        "Đang thực hiện",
        "Chưa thực hiện",
        "Đã hủy",
    ]
    assert row_starting(tasks, "Sở Nội vụ")[2:] == [3, 0, 0, 1, 1, 1, 0]
    assert row_starting(tasks, "Sở Tài chính")[2:] == [2, 1, 1, 0, 0, 0, 0]

    english = openpyxl.load_workbook(
        io.BytesIO(office.get("/api/statistics.xlsx", params={**WHOLE_YEAR, "lang": "en"}).content)
    )
    assert english.sheetnames == ["Meetings", "Attendance", "Documents", "Notices", "Tasks"]
    assert row_starting(rows_of(english["Documents"]), "Pages not printed")[2] == 73


def test_docx_export_read_back(year: Year, office: TestClient) -> None:
    r = office.get("/api/statistics.docx", params=WHOLE_YEAR)
    assert r.status_code == 200, r.text
    document = docx.Document(io.BytesIO(r.content))
    text = [p.text for p in document.paragraphs]
    assert text[0] == "TỈNH ỦY THỬ NGHIỆM"
    assert text.count("THỐNG KÊ TÀI LIỆU PHÁT HÀNH TRÊN MÁY TÍNH BẢNG") == 1
    assert len(document.tables) == 5
    cells = [[c.text for c in row.cells] for row in document.tables[2].rows]
    assert cells[0] == ["STT", "Chỉ tiêu", "Số liệu"]
    assert ["3", "Số trang không phải in", "73"] in cells
    units = [[c.text for c in row.cells] for row in document.tables[4].rows]
    assert units[1][:3] == ["1", "Sở Nội vụ", "3"]


def test_a_participant_without_the_read_right_is_no_recipient(
    year: Year, base: TestClient, office: TestClient
) -> None:
    """A substitute the office admitted without the right to read gets no documents, so
    no paper was saved for them: member2 in March loses 3 + 2 + 1 pages (the documents for
    all, the confidential one, the delegates' one), not the 4 named to member1."""

    async def work(db: Database) -> None:
        async with db.unit() as uow:
            await uow.session.execute(
                update(Participant)
                .where(Participant.id == year.held_march.participants["member2"])
                .values(can_read=False)
            )

    run_in_app(base, work)
    assert stats(office, **WHOLE_YEAR)["documents"]["pages_not_printed"] == 73 - 6


def test_the_statuses_counted_are_the_dashboard_statuses() -> None:
    assert sorted(statistics.TASK_STATUSES) == sorted(followup.STATUSES)


def test_the_default_year_turns_with_the_office_clock_not_with_utc(base: TestClient, world: World) -> None:
    # 31 December, 23:59:30 in the office is still the old year; 30 s later the office's
    # year has turned while UTC is still on 31 December (17:00).
    eve = datetime(YEAR, 12, 31, 23, 59, 30, tzinfo=ZoneInfo(ZONE))
    with clock.use(lambda: eve):
        office = companion(base)
        login(office, "office")
        assert stats(office)["period"] == WHOLE_YEAR
    with clock.use(lambda: eve + timedelta(seconds=30)):
        assert stats(office)["period"] == {"from": f"{YEAR + 1}-01-01", "to": f"{YEAR + 1}-12-31"}
