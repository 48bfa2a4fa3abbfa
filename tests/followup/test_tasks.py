"""Tasks made from the conclusion points when a notice is issued; listing, filtering,
changing their state with a note; the report per lead unit; isolation between bodies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from phonghop.domain.permissions import Actor, UserRole
from phonghop.services import followup, notices
from phonghop.services.followup import TaskFilter
from phonghop.storage.db import Database
from phonghop.storage.models import Task
from tests.factories import World, companion, login
from tests.followup.conftest import Issued, issue_meeting, issue_notice, office_today, points
from tests.notices_service.conftest import error_of, hold_meeting, run_in_app, tablet

pytestmark = pytest.mark.usefixtures("configured")


def tasks(client: TestClient, **query: Any) -> dict[str, Any]:
    r = client.get("/api/tasks", params={k: str(v) for k, v in query.items()})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def by_text(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["text"]: t for t in listing["tasks"]}


def update(client: TestClient, task_id: int, **body: Any) -> Any:
    return client.post(f"/api/tasks/{task_id}/updates", json=body)


@pytest.fixture
def issued(base: TestClient, world: World, office: TestClient) -> Issued:
    return issue_meeting(base, world, office)


def test_issuing_makes_a_task_of_every_point_with_a_lead_unit(
    base: TestClient, world: World, office: TestClient
) -> None:
    held = hold_meeting(base, world, office)
    today_points = points(office_today())
    for item, pts in zip(held.items, today_points, strict=True):
        r = office.put(f"/api/meetings/{held.id}/conclusions/{item}", json={"summary": "", "points": pts})
        assert r.status_code == 200, r.text
    r = office.post(f"/api/meetings/{held.id}/notices", json={})
    assert r.status_code == 201, r.text
    assert tasks(office)["total"] == 0  # a draft makes no task
    notice = office.post(f"/api/notices/{r.json()['id']}/issue").json()

    listing = tasks(office)
    assert listing["total"] == 4
    found = by_text(listing)
    assert "Thống nhất thông qua Tờ trình kế hoạch năm 2027" not in found  # no lead unit
    first = found["Rà soát nguồn vốn đối ứng"]
    assert first["lead_unit"] == "Sở Tài chính"
    assert first["cooperating_units"] == ["Sở Nội vụ"]
    assert first["deadline"] == today_points[0][1]["deadline"]
    assert first["state"] == "open" and first["done_on"] is None
    assert first["source"]["notice"] == {
        "id": notice["id"],
        "number_label": notice["number_label"],
        "summary": notice["summary"],
    }
    assert first["source"]["meeting"]["id"] == held.id
    assert (first["source"]["agenda_item_id"], first["source"]["point_no"]) == (held.items[0], 2)
    no_deadline = found["Theo dõi tiến độ giải ngân hằng tháng"]
    assert no_deadline["deadline"] is None and no_deadline["late"] is False
    assert (no_deadline["source"]["agenda_item_id"], no_deadline["source"]["point_no"]) == (held.items[1], 1)
    # by deadline, none last
    assert [t["text"] for t in listing["tasks"]][-1] == "Theo dõi tiến độ giải ngân hằng tháng"
    assert listing["tasks"][0]["text"] == "Sắp xếp bộ máy các phòng chuyên môn"

    detail = office.get(f"/api/tasks/{first['id']}").json()
    assert detail["history"] == [
        {
            "at": detail["history"][0]["at"],
            "user_id": world.users["office"],
            "user_name": "Đồng chí Office",
            "kind": "created",
            "from_state": None,
            "to_state": "open",
            "note": "",
            "attachments": [],
        }
    ]


def test_a_second_notice_of_the_meeting_adds_no_task(
    base: TestClient, world: World, office: TestClient, issued: Issued
) -> None:
    second = issue_notice(office, issued.meeting_id)
    assert second["number"] == issued.notice["number"] + 1
    listing = tasks(office)
    assert listing["total"] == 4
    assert {t["source"]["notice"]["id"] for t in listing["tasks"]} == {issued.notice["id"]}
    assert tasks(office, notice_id=second["id"])["total"] == 0
    assert tasks(office, notice_id=issued.notice["id"])["total"] == 4


def test_late_is_read_in_the_office_time_zone(office: TestClient, issued: Issued) -> None:
    found = by_text(tasks(office))
    assert found["Rà soát nguồn vốn đối ứng"]["late"] is True  # deadline yesterday (office date)
    assert found["Hoàn thiện Tờ trình"]["late"] is False  # deadline today: still on time
    assert found["Sắp xếp bộ máy các phòng chuyên môn"]["late"] is True
    late = tasks(office, late="true")
    assert {t["text"] for t in late["tasks"]} == {
        "Rà soát nguồn vốn đối ứng",
        "Sắp xếp bộ máy các phòng chuyên môn",
    }
    assert tasks(office, late="false")["total"] == 2


def test_filters(office: TestClient, issued: Issued) -> None:
    # a unit matches lead and cooperating units, whatever the case or tone-mark placement
    assert {t["text"] for t in tasks(office, unit="sở nội vụ")["tasks"]} == {
        "Rà soát nguồn vốn đối ứng",
        "Sắp xếp bộ máy các phòng chuyên môn",
    }
    assert tasks(office, unit="VĂN PHÒNG TỈNH ỦY")["total"] == 2
    assert tasks(office, unit="Sở Xây dựng")["total"] == 0
    assert tasks(office, meeting_id=issued.meeting_id)["total"] == 4
    assert tasks(office, meeting_id=issued.meeting_id + 1000)["total"] == 0
    assert tasks(office, state="open")["total"] == 4
    assert tasks(office, state="done")["total"] == 0
    page = tasks(office, limit=3, offset=2)
    assert page["total"] == 4 and len(page["tasks"]) == 2
    for query in ({"state": "finished"}, {"late": "yes"}, {"limit": "0"}, {"meeting_id": "x"}):
        error = error_of(office.get("/api/tasks", params=query), 422)
        assert error["code"] == "invalid_query" and error["params"]["field"] == next(iter(query))


def test_state_changes_notes_and_history(world: World, office: TestClient, issued: Issued) -> None:
    task = by_text(tasks(office))["Rà soát nguồn vốn đối ứng"]
    tid = task["id"]
    r = update(office, tid, state="in_progress", note="Đã giao phòng Ngân sách")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "in_progress" and r.json()["late"] is True
    r = update(office, tid, note="Đã có dự thảo báo cáo")  # a progress note, no change
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "in_progress"
    r = update(office, tid, state="done", note="Đã báo cáo Thường trực")
    done = r.json()
    assert done["state"] == "done" and done["late"] is False and done["done_on"] == issued.today.isoformat()
    assert [(h["from_state"], h["to_state"], h["note"]) for h in done["history"]] == [
        (None, "open", ""),
        ("open", "in_progress", "Đã giao phòng Ngân sách"),
        ("in_progress", "in_progress", "Đã có dự thảo báo cáo"),
        ("in_progress", "done", "Đã báo cáo Thường trực"),
    ]
    assert all(h["user_id"] == world.users["office"] for h in done["history"])

    # refused: done -> cancelled, an unknown state, a note-less non-change, a too long note
    error = error_of(update(office, tid, state="cancelled"), 409)
    assert error["code"] == "task_transition_invalid"
    assert error["params"] == {"from_state": "done", "to_state": "cancelled"}
    assert error_of(update(office, tid, state="finished"), 422)["code"] == "task_state_invalid"
    assert error_of(update(office, tid, state="done"), 422)["code"] == "task_note_invalid"
    assert error_of(update(office, tid, note="   "), 422)["code"] == "task_note_invalid"
    assert error_of(update(office, tid, note="x" * 2001), 422)["code"] == "invalid_input"
    assert error_of(update(office, tid, note="ok", extra=1), 422)["code"] == "invalid_input"
    assert len(office.get(f"/api/tasks/{tid}").json()["history"]) == 4  # nothing refused was kept

    # reopened: late again, no done date
    reopened = update(office, tid, state="in_progress", note="Báo cáo chưa đạt, làm lại").json()
    assert reopened["state"] == "in_progress" and reopened["done_on"] is None and reopened["late"] is True
    # cancelled and restored
    other = by_text(tasks(office))["Hoàn thiện Tờ trình"]["id"]
    assert update(office, other, state="cancelled", note="Không còn cần thiết").json()["state"] == "cancelled"
    assert error_of(update(office, other, state="done", note="x"), 409)["code"] == "task_transition_invalid"
    assert update(office, other, state="open", note="Khôi phục").json()["state"] == "open"
    assert tasks(office, state="in_progress")["total"] == 1


def test_report_per_lead_unit(office: TestClient, issued: Issued) -> None:
    listing = by_text(tasks(office))
    done = listing["Sắp xếp bộ máy các phòng chuyên môn"]["id"]
    assert update(office, done, state="done", note="Xong").status_code == 200
    r = office.get("/api/tasks/report")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["today"] == issued.today.isoformat()
    assert report["totals"] == {"total": 4, "open": 3, "in_progress": 0, "done": 1, "cancelled": 0, "late": 1}
    units = {u["unit"]: u for u in report["units"]}
    # "Văn phòng Tỉnh ủy" and "văn phòng tỉnh uỷ" are one unit, shown as first written
    assert [u["unit"] for u in report["units"]] == ["Sở Tài chính", "Sở Nội vụ", "Văn phòng Tỉnh ủy"]
    assert units["Văn phòng Tỉnh ủy"]["total"] == 2 and units["Văn phòng Tỉnh ủy"]["late"] == 0
    assert units["Sở Nội vụ"]["done"] == 1 and units["Sở Nội vụ"]["late"] == 0
    assert units["Sở Nội vụ"]["late_tasks"] == []
    finance = units["Sở Tài chính"]
    assert (finance["total"], finance["open"], finance["late"]) == (1, 1, 1)
    assert [t["text"] for t in finance["late_tasks"]] == ["Rà soát nguồn vốn đối ứng"]


def test_states_across_the_deadline(base: TestClient, world: World, issued: Issued) -> None:
    """The service with a frozen 'today': late from the day after the deadline, never when done."""
    office = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)
    deadline = issued.today  # "Hoàn thiện Tờ trình"

    async def late_on(db: Database, day: Any) -> set[str]:
        async with db.unit(write=False) as uow:
            rows, _ = await followup.list_tasks(uow, office, day, TaskFilter(late=True))
            return {t["text"] for t in rows}

    async def check(db: Database) -> None:
        assert "Hoàn thiện Tờ trình" not in await late_on(db, deadline)
        assert "Hoàn thiện Tờ trình" in await late_on(db, deadline + timedelta(days=1))
        assert await late_on(db, deadline - timedelta(days=10)) == set()
        async with db.unit(write=False) as uow:
            task_id = await uow.session.scalar(select(Task.id).where(Task.text == "Hoàn thiện Tờ trình"))
        assert task_id is not None
        async with db.unit() as uow:
            await followup.update_task(uow, office, task_id, deadline, state="done", note="Xong đúng hạn")
        assert "Hoàn thiện Tờ trình" not in await late_on(db, deadline + timedelta(days=30))
        async with db.unit(write=False) as uow:
            report = await followup.report(uow, office, deadline + timedelta(days=30))
        assert report["totals"]["late"] == 2 and report["totals"]["done"] == 1

    run_in_app(base, check)


def test_only_the_bodys_office_sees_its_tasks(
    base: TestClient, world: World, office: TestClient, issued: Issued
) -> None:
    tid = tasks(office)["tasks"][0]["id"]
    stranger = companion(base)
    login(stranger, "other_office")
    assert tasks(stranger) == {"tasks": [], "total": 0}
    assert error_of(stranger.get(f"/api/tasks/{tid}"), 404)["code"] == "task_not_found"
    assert error_of(update(stranger, tid, state="done", note="x"), 404)["code"] == "task_not_found"
    report = stranger.get("/api/tasks/report").json()
    assert report["units"] == [] and report["totals"]["total"] == 0
    assert tasks(stranger, meeting_id=issued.meeting_id)["total"] == 0

    member = companion(base)
    login(member, "secretary")
    for response in (
        member.get("/api/tasks"),
        member.get(f"/api/tasks/{tid}"),
        member.get("/api/tasks/report"),
        update(member, tid, state="done", note="x"),
    ):
        assert error_of(response, 403)["code"] == "office_required"

    admin = companion(base)
    login(admin, "admin")
    assert tasks(admin)["total"] == 4
    assert update(admin, tid, state="in_progress", note="Quản trị cập nhật").status_code == 200

    anonymous = companion(base)
    assert error_of(anonymous.get("/api/tasks"), 401)["code"] == "not_authenticated"
    assert error_of(office.get("/api/tasks/999999"), 404)["code"] == "task_not_found"


def test_a_tablet_sees_no_tasks(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office, close=False)
    device = tablet(base, held, 2)
    assert error_of(device.get("/api/tasks"), 403)["code"] == "office_required"


def test_tasks_roll_back_with_the_notice(base: TestClient, world: World, office: TestClient) -> None:
    """A failure after issuing, before the commit: neither the number nor the tasks remain."""
    held = hold_meeting(base, world, office)
    draft = office.post(f"/api/meetings/{held.id}/notices", json={}).json()
    actor = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)

    class Crash(Exception):
        pass

    async def issue_then_fail(db: Database) -> int:
        with pytest.raises(Crash):
            async with db.unit() as uow:
                await notices.issue(uow, actor, draft["id"], today=office_today())
                made = await uow.session.scalar(select(func.count()).select_from(Task))
                assert made == 2  # FIRST_ITEM_POINTS[1] and SECOND_ITEM_POINTS[0]
                raise Crash
        async with db.unit(write=False) as uow:
            return int(await uow.session.scalar(select(func.count()).select_from(Task)) or 0)

    assert run_in_app(base, issue_then_fail) == 0
    assert office.get(f"/api/notices/{draft['id']}").json()["state"] == "draft"
    issue_notice_id = office.post(f"/api/notices/{draft['id']}/issue")
    assert issue_notice_id.status_code == 200, issue_notice_id.text
    assert tasks(office)["total"] == 2
