"""Unit staff and the office on a task: who sees what, the lead unit's progress reports
with attached files, the report of completion, the office's acceptance or reopening (with
notifications), the statuses across the deadline with a frozen clock."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from phonghop.config import Settings
from phonghop.domain.permissions import Actor, UserRole
from phonghop.services import followup
from phonghop.storage.db import Database
from phonghop.storage.models import Task
from tests.conftest import make_settings
from tests.factories import World, companion, login
from tests.followup.conftest import Issued, issue_meeting, office_zone
from tests.followup.staff import JPEG, PDF, PNG, Staff, add_unit_staff, docx_bytes, xlsx_bytes
from tests.notices_service.conftest import error_of, run_in_app

pytestmark = pytest.mark.usefixtures("configured")


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    """The office's time zone trick of the conftest, and uploads limited to 1 MB."""
    return make_settings(tmp_path / "data", sqlite_url, timezone=office_zone(), max_upload_mb=1)


@pytest.fixture
def staff(base: TestClient, admin: TestClient) -> Staff:
    return add_unit_staff(base, admin)


@pytest.fixture
def issued(base: TestClient, world: World, office: TestClient, staff: Staff) -> Issued:
    return issue_meeting(base, world, office)


def texts(client: TestClient, **query: Any) -> dict[str, dict[str, Any]]:
    r = client.get("/api/tasks", params={k: str(v) for k, v in query.items()})
    assert r.status_code == 200, r.text
    return {t["text"]: t for t in r.json()["tasks"]}


def task_id(office: TestClient, text: str) -> int:
    result: int = texts(office)[text]["id"]
    return result


def upload(client: TestClient, tid: int, data: bytes, filename: str) -> Any:
    return client.post(
        f"/api/tasks/{tid}/attachments",
        params={"filename": filename},
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def report(client: TestClient, tid: int, **body: Any) -> Any:
    return client.post(f"/api/tasks/{tid}/reports", json=body)


def notifications(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/api/notifications")
    assert r.status_code == 200, r.text
    result: list[dict[str, Any]] = r.json()["notifications"]
    return result


PROJECT = "Rà soát nguồn vốn đối ứng"  # Sở Tài chính leads, Sở Nội vụ cooperates; due yesterday
DRAFT = "Hoàn thiện Tờ trình"  # Văn phòng Tỉnh ủy; due today
MONTHLY = "Theo dõi tiến độ giải ngân hằng tháng"  # "văn phòng tỉnh uỷ"; no deadline
REORG = "Sắp xếp bộ máy các phòng chuyên môn"  # Sở Nội vụ; ten days late


def test_unit_staff_see_only_their_units_tasks(
    base: TestClient, office: TestClient, staff: Staff, issued: Issued
) -> None:
    finance, home, vp = (staff.clients[u] for u in ("taichinh", "noivu", "vanphong_tu"))
    assert set(texts(finance)) == {PROJECT}
    assert set(texts(vp)) == {DRAFT, MONTHLY}  # the lower-case "uỷ" spelling is the same unit
    seen = texts(home)
    assert set(seen) == {REORG, PROJECT}
    assert (seen[REORG]["access"], seen[REORG]["can_report"]) == ("lead", True)
    assert (seen[PROJECT]["access"], seen[PROJECT]["can_report"]) == ("cooperating", False)
    assert len(texts(office)) == 4 and {t["access"] for t in texts(office).values()} == {"office"}
    # each lead unit was told of its new tasks when the notice was issued, and no one else
    assigned = {
        u: [n["text"] for n in notifications(staff.clients[u]) if n["kind"] == "task_assigned"]
        for u in staff.clients
    }
    assert len(assigned["taichinh"]) == 1 and PROJECT in assigned["taichinh"][0]
    assert assigned["taichinh"][0].startswith(f"Nhiệm vụ mới theo {issued.notice['number_label']}")
    assert sorted(len(a) for a in assigned.values()) == [1, 1, 2]  # Văn phòng Tỉnh ủy leads two

    # a task of another unit does not exist for them
    draft = task_id(office, DRAFT)
    for client in (finance, home):
        assert error_of(client.get(f"/api/tasks/{draft}"), 404)["code"] == "task_not_found"
        assert error_of(report(client, draft, note="x"), 404)["code"] == "task_not_found"
        assert error_of(upload(client, draft, PDF, "a.pdf"), 404)["code"] == "task_not_found"
    # the report covers what they see
    mine = home.get("/api/tasks/report").json()
    assert mine["totals"]["total"] == 2 and [t["text"] for t in mine["tasks"]] == [REORG, PROJECT]
    # a cooperating unit reads, nothing more
    project = task_id(office, PROJECT)
    assert home.get(f"/api/tasks/{project}").json()["access"] == "cooperating"
    assert error_of(report(home, project, note="Đã góp ý"), 403)["code"] == "task_read_only"
    assert error_of(upload(home, project, PDF, "a.pdf"), 403)["code"] == "task_read_only"
    # the office's own work stays the office's
    for response in (
        finance.post(f"/api/tasks/{project}/updates", json={"state": "done", "note": "x"}),
        finance.post(f"/api/tasks/{project}/accept", json={}),
        finance.post(f"/api/tasks/{project}/reopen", json={"reason": "x"}),
        finance.get("/api/units"),
        finance.get("/api/bodies/subordinate"),
    ):
        assert error_of(response, 403)["code"] == "office_required"
    # a member without a unit sees no follow-up at all
    secretary = companion(base)
    login(secretary, "secretary")
    assert error_of(secretary.get("/api/tasks"), 403)["code"] == "office_required"
    assert error_of(secretary.get(f"/api/tasks/{project}"), 403)["code"] == "office_required"


def test_the_lead_unit_reports_and_the_office_accepts_or_reopens(
    base: TestClient, world: World, office: TestClient, staff: Staff, issued: Issued
) -> None:
    vp, home = staff.clients["vanphong_tu"], staff.clients["noivu"]
    tid = task_id(office, DRAFT)

    r = report(vp, tid, note="Đã xin ý kiến các sở")
    assert r.status_code == 200, r.text
    step = r.json()
    assert (step["state"], step["status"], step["awaiting_acceptance"]) == (
        "in_progress",
        "in_progress",
        False,
    )
    last = step["history"][-1]
    assert (last["kind"], last["note"], last["user_name"]) == (
        "progress",
        "Đã xin ý kiến các sở",
        "Cán bộ Văn phòng Tỉnh ủy",
    )
    assert error_of(report(vp, tid, note="  "), 422)["code"] == "task_note_invalid"

    r = upload(vp, tid, PDF, "Báo cáo kết quả.pdf")
    assert r.status_code == 201, r.text
    attachment = r.json()
    assert (attachment["kind"], attachment["size"], attachment["update_id"]) == ("pdf", len(PDF), None)
    # a file of this task cannot go with another task's report
    other = task_id(office, MONTHLY)
    bad = error_of(report(vp, other, note="x", attachment_ids=[attachment["id"]]), 422)
    assert bad["code"] == "attachment_not_found"

    r = report(vp, tid, note="Đã trình Thường trực", done=True, attachment_ids=[attachment["id"]])
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["state"], done["status"], done["done_on"]) == (
        "done",
        "done_on_time",
        issued.today.isoformat(),
    )
    assert done["awaiting_acceptance"] is True and done["accepted_at"] is None
    assert done["history"][-1]["kind"] == "reported_done"
    assert [a["id"] for a in done["history"][-1]["attachments"]] == [attachment["id"]]
    assert error_of(report(vp, tid, note="lại"), 409)["code"] == "task_not_pending"
    assert [t["text"] for t in office.get("/api/tasks", params={"awaiting": "true"}).json()["tasks"]] == [
        DRAFT
    ]
    dashboard = office.get("/api/tasks/report").json()
    assert dashboard["awaiting_acceptance"] == 1 and dashboard["by_status"]["done_on_time"] == 1

    # the office is told, and downloads the file; so does the unit; nobody else
    told = [n for n in notifications(office) if n["kind"] == "task_reported_done"]
    assert len(told) == 1 and told[0]["link"] == f"/console/#/tasks/{tid}"
    assert "Văn phòng Tỉnh ủy" in told[0]["text"] and DRAFT in told[0]["text"]
    url = attachment["url"]
    for client in (office, vp):
        r = client.get(url)
        assert r.status_code == 200 and r.content == PDF
        assert r.headers["content-type"] == "application/pdf"
        assert (
            "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20k%E1%BA%BFt%20qu%E1%BA%A3.pdf"
            in r.headers["content-disposition"]
        )
    stranger = companion(base)
    login(stranger, "other_office")
    for client in (home, stranger):
        assert error_of(client.get(url), 404)["code"] == "attachment_not_found"

    # acceptance is the office's
    assert error_of(vp.post(f"/api/tasks/{tid}/accept", json={}), 403)["code"] == "office_required"
    r = office.post(f"/api/tasks/{tid}/accept", json={"note": "Đạt yêu cầu"})
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["state"] == "done" and accepted["awaiting_acceptance"] is False
    assert accepted["accepted_at"] and accepted["accepted_by"] == world.users["office"]
    assert accepted["accepted_by_name"] == "Đồng chí Office"
    assert error_of(office.post(f"/api/tasks/{tid}/accept", json={}), 409)["code"] == "task_already_accepted"
    assert [n["kind"] for n in notifications(vp)] == ["task_accepted", "task_assigned", "task_assigned"]

    # reopened with a reason: back in progress, the unit is told why
    assert error_of(office.post(f"/api/tasks/{tid}/reopen", json={"reason": " "}), 422)["code"] == (
        "task_reason_required"
    )
    assert error_of(office.post(f"/api/tasks/{tid}/reopen", json={}), 422)["code"] == "invalid_input"
    r = office.post(f"/api/tasks/{tid}/reopen", json={"reason": "Thiếu số liệu quý IV"})
    assert r.status_code == 200, r.text
    reopened = r.json()
    assert (reopened["state"], reopened["done_on"], reopened["accepted_at"]) == ("in_progress", None, None)
    assert reopened["history"][-1]["kind"] == "reopened"
    latest = notifications(vp)[0]
    assert latest["kind"] == "task_reopened" and "Thiếu số liệu quý IV" in latest["text"]
    assert [n["kind"] for n in notifications(home)] == [
        "task_assigned"
    ]  # of its own task; nothing of this one
    assert (
        error_of(office.post(f"/api/tasks/{tid}/reopen", json={"reason": "x"}), 409)["code"]
        == "task_not_done"
    )
    again = report(vp, tid, note="Đã bổ sung số liệu", done=True).json()
    assert again["state"] == "done" and again["awaiting_acceptance"] is True


def test_done_after_the_deadline_is_done_late(office: TestClient, staff: Staff, issued: Issued) -> None:
    finance = staff.clients["taichinh"]
    tid = task_id(office, PROJECT)
    assert texts(finance)[PROJECT]["status"] == "overdue"
    done = report(finance, tid, note="Đã rà soát xong", done=True).json()
    assert (done["status"], done["late"], done["done_on"]) == ("done_late", False, issued.today.isoformat())
    # the office still does everything it did: here, marking another task done itself
    other = task_id(office, REORG)
    r = office.post(f"/api/tasks/{other}/updates", json={"state": "done", "note": "Văn phòng cập nhật"})
    assert r.status_code == 200 and r.json()["status"] == "done_late"
    assert r.json()["awaiting_acceptance"] is False  # the office's own "done" needs no acceptance
    assert r.json()["accepted_by"] == r.json()["history"][-1]["user_id"]


def test_attachments_are_checked_by_content_and_size(
    base: TestClient, office: TestClient, staff: Staff, issued: Issued
) -> None:
    finance = staff.clients["taichinh"]
    tid = task_id(office, PROJECT)
    kinds = {}
    for data, name in [
        (PNG, "anh-chup.png"),
        (JPEG, "ban-scan.JPG"),
        (docx_bytes(), "bao-cao.docx"),
        (xlsx_bytes(), "so-lieu.xlsx"),
        (PDF, ""),  # no name: the type is read from the content
    ]:
        r = upload(finance, tid, data, name)
        assert r.status_code == 201, r.text
        kinds[name] = r.json()["kind"]
    assert kinds == {
        "anh-chup.png": "png",
        "ban-scan.JPG": "jpeg",
        "bao-cao.docx": "docx",
        "so-lieu.xlsx": "xlsx",
        "": "pdf",
    }

    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("a.txt", "không phải văn bản Word")
    for data, name in [
        (b"Day la van ban thuong, khong phai PDF" * 40, "bao-cao.pdf"),  # the name lies
        (PNG, "bao-cao.pdf"),  # an image named as a PDF
        (plain_zip.getvalue(), "bao-cao.docx"),  # a ZIP, not a Word document
        (docx_bytes(), "so-lieu.xlsx"),  # Word named as Excel
        (b"MZ\x90\x00" + bytes(2000), "setup.exe"),
    ]:
        error = error_of(upload(finance, tid, data, name), 415)
        assert error["code"] == "attachment_type_invalid", name
    error = error_of(upload(finance, tid, b"%PDF-1.4\n" + bytes(1 << 20), "lon.pdf"), 413)
    assert error["code"] == "attachment_too_large" and error["params"] == {"limit_mb": 1}
    assert error_of(upload(finance, tid, b"", "rong.pdf"), 422)["code"] == "attachment_empty"

    detail = finance.get(f"/api/tasks/{tid}").json()
    assert len(detail["attachments"]) == 5
    blob_dir = base.app_state["phonghop"].files.blob_dir
    stored = [p for p in (blob_dir / "attachments").rglob("*") if p.is_file()]
    assert len(stored) == 5  # refused files left nothing behind
    assert list(blob_dir.glob(".upload-*.part")) == []
    # the cooperating unit does not see the files
    assert staff.clients["noivu"].get(f"/api/tasks/{tid}").json()["attachments"] == []


def test_statuses_across_the_deadline_with_a_frozen_clock() -> None:
    deadline = date(2026, 5, 20)

    def status(state: str, on: date, done_on: date | None = None, due: date | None = deadline) -> str:
        task = Task(state=state, deadline=due, done_on=done_on)
        return followup.status_of(task, on)

    assert status("open", deadline - timedelta(days=1)) == "not_started"
    assert status("open", deadline) == "not_started"  # the deadline day itself is on time
    assert status("open", deadline + timedelta(days=1)) == "overdue"
    assert status("in_progress", deadline) == "in_progress"
    assert status("in_progress", deadline + timedelta(days=1)) == "overdue"
    assert status("done", deadline + timedelta(days=40), done_on=deadline) == "done_on_time"
    assert status("done", deadline + timedelta(days=1), done_on=deadline + timedelta(days=1)) == "done_late"
    assert status("open", date(2030, 1, 1), due=None) == "not_started"  # no deadline: never overdue
    assert status("cancelled", deadline + timedelta(days=1)) == "cancelled"


def test_reports_dated_by_the_caller_across_the_deadline(
    base: TestClient, world: World, office: TestClient, staff: Staff, issued: Issued
) -> None:
    """The service takes "today" from its caller: the report of completion made on the
    deadline day is on time, the one made the day after is late."""
    deadline = issued.today
    vp = Actor(
        body_id=world.body_id,
        user_id=staff.users["vanphong_tu"],
        user_role=UserRole.MEMBER,
        unit_id=staff.units["Văn phòng Tỉnh ủy"],
    )

    async def check(db: Database) -> None:
        async with db.unit(write=False) as uow:
            before = await followup.report(uow, vp, deadline)
            after = await followup.report(uow, vp, deadline + timedelta(days=1))
        statuses = {t["text"]: t["status"] for t in before["tasks"]}
        assert statuses == {DRAFT: "not_started", MONTHLY: "not_started"}
        assert [(t["text"], t["status"]) for t in after["tasks"]] == [
            (DRAFT, "overdue"),
            (MONTHLY, "not_started"),
        ]
        async with db.unit(write=False) as uow:
            draft = await uow.session.scalar(select(Task.id).where(Task.text == DRAFT))
        assert draft is not None
        async with db.unit() as uow:
            await followup.report_progress(uow, vp, draft, deadline, note="Xong", done=True)
        async with db.unit(write=False) as uow:
            view = await followup.get_task(uow, vp, draft, deadline + timedelta(days=30))
        assert view["status"] == "done_on_time"
        office_actor = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)
        async with db.unit() as uow:
            await followup.reopen_task(uow, office_actor, draft, reason="Làm lại")
        async with db.unit() as uow:
            await followup.report_progress(
                uow, vp, draft, deadline + timedelta(days=1), note="Xong lần hai", done=True
            )
        async with db.unit(write=False) as uow:
            view = await followup.get_task(uow, vp, draft, deadline + timedelta(days=1))
        assert (view["status"], view["done_on"]) == ("done_late", (deadline + timedelta(days=1)).isoformat())

    run_in_app(base, check)
