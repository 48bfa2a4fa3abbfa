"""Superior and subordinate bodies: the office of a body above reads the follow-up report
and task list of every body under it (directly or not), and nothing else of theirs; a body
below, or beside, sees nothing of the others. Plus the dashboard counts and the export of
the report as DOCX and XLSX, re-read with python-docx and openpyxl."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from starlette.testclient import TestClient

from phonghop.domain.permissions import UserRole
from phonghop.services.accounts import Passwords, create_user
from phonghop.services.bodies import create_body
from phonghop.storage.db import Database
from phonghop.storage.models import IssuingBody
from tests.factories import PASSWORD, World, companion, login
from tests.followup.conftest import Issued, issue_meeting
from tests.followup.staff import Staff, add_unit_staff
from tests.notices_service.conftest import error_of, run_in_app

pytestmark = pytest.mark.usefixtures("configured")


@dataclass
class Tree:
    """TỈNH (parent) ⟶ the test body ⟶ the other test body; SỞ BÊN CẠNH beside the test
    body, under TỈNH. Each with a signed-in office clerk."""

    parent_id: int
    sibling_id: int
    parent: TestClient
    sibling: TestClient
    child: TestClient  # the other body's office, under the test body


@pytest.fixture
def tree(base: TestClient, world: World) -> Tree:
    async def build(db: Database) -> tuple[int, int]:
        pw = Passwords(1, 8192)
        async with db.unit() as uow:
            parent = await create_body(uow, name="TỈNH ỦY CẤP TRÊN", symbol="TU", notice_format="party")
            sibling = await create_body(
                uow, name="SỞ BÊN CẠNH", symbol="SBC", notice_format="state", parent_id=parent.id
            )
            for body, username in ((parent, "tren_office"), (sibling, "canh_office")):
                await create_user(
                    uow,
                    pw,
                    body_id=body.id,
                    username=username,
                    full_name=username,
                    role=UserRole.OFFICE,
                    password=PASSWORD,
                )
            mine = await uow.session.get(IssuingBody, world.body_id)
            other = await uow.session.get(IssuingBody, world.other_body_id)
            assert mine is not None and other is not None
            mine.parent_id = parent.id
            other.parent_id = mine.id
            return parent.id, sibling.id

    parent_id, sibling_id = run_in_app(base, build)
    clients = []
    for username in ("tren_office", "canh_office", "other_office"):
        client = companion(base)
        login(client, username)
        clients.append(client)
    return Tree(parent_id, sibling_id, *clients)


@pytest.fixture
def staff(base: TestClient, admin: TestClient) -> Staff:
    return add_unit_staff(base, admin)


@pytest.fixture
def issued(base: TestClient, world: World, office: TestClient, staff: Staff) -> Issued:
    return issue_meeting(base, world, office)


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_a_superior_body_reads_the_follow_up_of_the_bodies_under_it(
    base: TestClient, world: World, office: TestClient, issued: Issued, tree: Tree
) -> None:
    subordinates = ok(tree.parent.get("/api/bodies/subordinate"))["bodies"]
    assert [(b["id"], b["parent_id"]) for b in subordinates] == [
        (tree.sibling_id, tree.parent_id),
        (world.body_id, tree.parent_id),
        (world.other_body_id, world.body_id),  # under it indirectly
    ]
    mine = office.get("/api/tasks").json()["tasks"]
    report = ok(tree.parent.get("/api/tasks/report", params={"body_id": world.body_id}))
    assert report["read_only"] is True and report["body"] == {
        "id": world.body_id,
        "name": "TỈNH ỦY THỬ NGHIỆM",
    }
    assert report["totals"]["total"] == 4 and report["by_status"]["overdue"] == 2
    assert {t["access"] for t in report["tasks"]} == {"superior"}
    assert not any(t["can_report"] or t["can_accept"] for t in report["tasks"])
    listing = ok(tree.parent.get("/api/tasks", params={"body_id": world.body_id, "status": "overdue"}))
    assert listing["total"] == 2
    r = tree.parent.get("/api/tasks/report.xlsx", params={"body_id": world.body_id})
    assert r.status_code == 200 and r.content.startswith(b"PK")
    # its own report holds none of them
    assert ok(tree.parent.get("/api/tasks/report"))["totals"]["total"] == 0

    # ... and nothing else of the body below
    tid = mine[0]["id"]
    unit_id = office.get("/api/units").json()["units"][0]["id"]
    meeting, notice = issued.meeting_id, issued.notice["id"]
    for client in (tree.parent, tree.sibling, tree.child):
        assert error_of(client.get(f"/api/meetings/{meeting}"), 404)["code"] == "meeting_not_found"
        assert error_of(client.get(f"/api/notices/{notice}"), 404)["code"] == "notice_not_found"
        assert error_of(client.get(f"/api/tasks/{tid}"), 404)["code"] == "task_not_found"
        assert error_of(client.post(f"/api/tasks/{tid}/accept", json={}), 404)["code"] == "task_not_found"
        assert ok(client.get("/api/tasks"))["total"] == 0
    # nor its units
    for client in (tree.parent, tree.sibling, tree.child):
        assert unit_id not in {u["id"] for u in ok(client.get("/api/units"))["units"]}

    # a body below or beside reads nothing of the bodies above or beside it
    for client, body_id in [
        (tree.child, world.body_id),
        (tree.child, tree.parent_id),
        (tree.sibling, world.body_id),
        (office, tree.parent_id),
        (office, tree.sibling_id),
    ]:
        for path in ("/api/tasks/report", "/api/tasks", "/api/tasks/report.docx"):
            assert error_of(client.get(path, params={"body_id": body_id}), 404)["code"] == "body_not_found"
    assert ok(tree.sibling.get("/api/bodies/subordinate"))["bodies"] == []
    assert ok(tree.child.get("/api/bodies/subordinate"))["bodies"] == []
    # the body in the middle reads the one under it (empty), read-only
    below = ok(office.get("/api/tasks/report", params={"body_id": world.other_body_id}))
    assert below["read_only"] is True and below["totals"]["total"] == 0
    # unit staff read no other body, not even one under theirs
    unit_user = companion(base)
    login(unit_user, "taichinh")
    r = unit_user.get("/api/tasks/report", params={"body_id": world.other_body_id})
    assert error_of(r, 404)["code"] == "body_not_found"


def test_the_dashboard_counts_per_unit_and_status(office: TestClient, staff: Staff, issued: Issued) -> None:
    vp = staff.clients["vanphong_tu"]
    draft = next(t for t in vp.get("/api/tasks").json()["tasks"] if t["text"] == "Hoàn thiện Tờ trình")
    assert vp.post(f"/api/tasks/{draft['id']}/reports", json={"done": True}).status_code == 200
    report = ok(office.get("/api/tasks/report"))
    assert report["by_status"] == {
        "overdue": 2,
        "not_started": 1,
        "in_progress": 0,
        "done_late": 0,
        "done_on_time": 1,
        "cancelled": 0,
    }
    assert report["awaiting_acceptance"] == 1
    assert [t["status"] for t in report["tasks"]] == ["overdue", "overdue", "not_started", "done_on_time"]
    units = {u["unit"]: u for u in report["units"]}
    assert [u["unit"] for u in report["units"]][-1] == "Văn phòng Tỉnh ủy"  # no late task: last
    assert units["Văn phòng Tỉnh ủy"]["statuses"]["done_on_time"] == 1
    assert units["Văn phòng Tỉnh ủy"]["statuses"]["not_started"] == 1
    assert units["Văn phòng Tỉnh ủy"]["awaiting_acceptance"] == 1
    assert (
        units["Sở Nội vụ"]["statuses"]["overdue"] == 1
        and units["Sở Nội vụ"]["unit_id"] == (staff.units["Sở Nội vụ"])
    )


HEADERS_VI = [
    "STT",
    "Nội dung kết luận / nhiệm vụ",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
    "Thời hạn",
    "Tình trạng",
    "Số thông báo",
]
HEADERS_EN = [
    "No.",
    "Conclusion / task",
    "Lead unit",
    "Cooperating units",
    "Deadline",
    "Status",
    "Notice number",
]


def test_the_report_exported_as_docx_and_xlsx(
    office: TestClient, world: World, staff: Staff, issued: Issued, tree: Tree
) -> None:
    number = issued.notice["number_label"]
    yesterday = issued.today.toordinal() - 1
    r = office.get("/api/tasks/report.docx")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessing"
    )
    document = Document(io.BytesIO(r.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert "TỈNH ỦY CẤP TRÊN" in paragraphs  # the superior body above the body's name
    assert "TỈNH ỦY THỬ NGHIỆM" in paragraphs
    assert "BÁO CÁO THEO DÕI THỰC HIỆN KẾT LUẬN" in paragraphs
    grid = document.tables[0]
    rows = [[c.text for c in row.cells] for row in grid.rows]
    assert rows[0] == HEADERS_VI
    # grouped by unit: a group row (merged: the same text in every cell), then its tasks
    assert rows[1] == ["Sở Nội vụ"] * 7
    assert rows[2][1:] == [
        "Sắp xếp bộ máy các phòng chuyên môn",
        "Sở Nội vụ",
        "",
        (issued.today.fromordinal(issued.today.toordinal() - 10)).strftime("%d/%m/%Y"),
        "Quá hạn",
        number,
    ]
    assert rows[3] == ["Sở Tài chính"] * 7
    assert rows[4][1:] == [
        "Rà soát nguồn vốn đối ứng",
        "Sở Tài chính",
        "Sở Nội vụ",
        issued.today.fromordinal(yesterday).strftime("%d/%m/%Y"),
        "Quá hạn",
        number,
    ]
    assert rows[5] == ["Văn phòng Tỉnh ủy"] * 7
    assert [row[1] for row in rows[6:]] == ["Hoàn thiện Tờ trình", "Theo dõi tiến độ giải ngân hằng tháng"]
    assert [row[0] for row in rows if row[0] != row[1]][1:] == ["1", "2", "3", "4"]
    assert any(p.startswith("Tổng số 4 nhiệm vụ: quá hạn 2") for p in paragraphs)

    r = office.get("/api/tasks/report.xlsx", params={"lang": "en"})
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = values.index(HEADERS_EN)
    assert values[header - 3][0] == "FOLLOW-UP REPORT ON CONCLUSIONS"
    assert values[header - 2][0] == f"(As of {issued.today.strftime('%d/%m/%Y')})"
    body = values[header + 1 :]
    assert body[0][0] == "Sở Nội vụ"
    assert body[1] == [
        1,
        "Sắp xếp bộ máy các phòng chuyên môn",
        "Sở Nội vụ",
        None,
        issued.today.fromordinal(issued.today.toordinal() - 10).strftime("%d/%m/%Y"),
        "Overdue",
        number,
    ]
    statuses = [row[5] for row in body if isinstance(row[0], int)]
    assert statuses == ["Overdue", "Overdue", "Not started", "Not started"]

    # unit staff export what they see
    r = staff.clients["taichinh"].get("/api/tasks/report.xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    numbered = [row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert [row[1] for row in numbered] == ["Rà soát nguồn vốn đối ứng"]
