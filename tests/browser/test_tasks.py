"""Follow-up in a real browser: before any notice the dashboard says where tasks come
from; the office issues a notice whose conclusion names a lead unit; the unit's clerk
finds the task under "Theo dõi nhiệm vụ", reports it done with a file attached; the office
accepts it; the dashboard shows it done on time. Screenshots in /work/screens/tasks-*.png."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Server, call_api, configure_notices, sign_in, switch_user

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
UNIT = "Sở Kế hoạch và Đầu tư"
TASK = "Tổng hợp kế hoạch đầu tư công trung hạn 2026-2030"
REPORT_PDF = b"%PDF-1.4\n% Bao cao ket qua thuc hien\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"tasks-{name}.png"), full_page=True)


def prepare(page: Page, server: Server) -> None:
    """The administrator: notice settings, the unit and its clerk."""
    sign_in(page, server, "quantri")
    configure_notices(page)
    unit = call_api(page, "POST", "/api/units", {"name": UNIT})
    call_api(
        page,
        "POST",
        "/api/users",
        {
            "username": "sokhdt",
            "full_name": "Trần Văn Khải",
            "title": "Chuyên viên Sở Kế hoạch và Đầu tư",
            "role": "member",
            "password": PASSWORD,
            "unit_id": unit["id"],
        },
    )


def issue_notice_with_a_task(page: Page, server: Server) -> dict[str, Any]:
    meeting = server.meeting_id
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/start")
    item = call_api(page, "GET", f"/api/meetings/{meeting}")["agenda"][0]["id"]
    deadline = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=10)).isoformat()
    call_api(
        page,
        "PUT",
        f"/api/meetings/{meeting}/conclusions/{item}",
        {
            "summary": "Ban Thường vụ thống nhất với Tờ trình.",
            "points": [
                {"text": TASK, "chu_tri": UNIT, "phoi_hop": ["Sở Tài chính"], "deadline": deadline},
            ],
        },
    )
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/close")
    draft = call_api(page, "POST", f"/api/meetings/{meeting}/notices", {})
    issued: dict[str, Any] = call_api(page, "POST", f"/api/notices/{draft['id']}/issue")
    return issued


def card(page: Page, status: str) -> Any:
    return page.locator(f'[data-testid="task-card"][data-status="{status}"]')


def test_the_unit_reports_done_with_a_file_and_the_office_accepts(page: Page, server: Server) -> None:
    prepare(page, server)
    switch_user(page, "vanphong")
    nav = page.get_by_role("link", name="Theo dõi nhiệm vụ")
    expect(nav).to_be_visible()
    nav.click()
    expect(page.get_by_test_id("tasks-empty")).to_contain_text(
        "Chưa có nhiệm vụ nào: nhiệm vụ được tạo khi ban hành thông báo kết luận"
    )
    shot(page, "empty")

    notice = issue_notice_with_a_task(page, server)
    page.reload()
    expect(card(page, "not_started")).to_contain_text("1")
    expect(page.get_by_test_id("task-row")).to_have_count(1)

    # the unit's clerk: sees the task, reports it done with a file
    switch_user(page, "sokhdt")
    page.get_by_role("link", name="Theo dõi nhiệm vụ").click()
    row = page.get_by_test_id("task-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(notice["number_label"])
    row.get_by_role("link", name=TASK).click()
    detail = page.get_by_test_id("task-detail")
    expect(detail.get_by_role("heading", name=TASK)).to_be_visible()
    form = page.get_by_test_id("report-form")
    form.get_by_label("Nội dung báo cáo").fill("Đã tổng hợp xong, trình Thường trực Tỉnh ủy ngày hôm nay.")
    page.get_by_test_id("report-files").set_input_files(
        files=[{"name": "Báo cáo kết quả.pdf", "mimeType": "application/pdf", "buffer": REPORT_PDF}]
    )
    page.get_by_test_id("report-done").check()
    shot(page, "unit-report-form")
    page.get_by_test_id("report-submit").click()
    expect(page.locator("#banner")).to_contain_text("Đã báo cáo hoàn thành")
    expect(page.get_by_test_id("task-status")).to_have_text("Hoàn thành đúng hạn")
    expect(page.get_by_test_id("task-awaiting")).to_be_visible()
    history = page.get_by_test_id("task-history")
    expect(history.locator('[data-kind="reported_done"]')).to_contain_text("Báo cáo hoàn thành")
    expect(history.get_by_test_id("task-file")).to_contain_text("Báo cáo kết quả.pdf")
    expect(page.get_by_test_id("report-form")).to_have_count(0)  # done: nothing more to report
    expect(page.get_by_test_id("task-accept")).to_have_count(0)  # acceptance is the office's
    shot(page, "unit-reported")

    # the office: told, opens the task, downloads the file, accepts
    switch_user(page, "vanphong")
    page.get_by_role("link", name="Theo dõi nhiệm vụ").click()
    expect(card(page, "awaiting")).to_contain_text("1")
    page.get_by_test_id("task-row").get_by_role("link", name=TASK).click()
    link = page.get_by_test_id("task-file").first
    href = link.get_attribute("href")
    assert href
    download = page.request.get(href)
    assert download.ok and download.body() == REPORT_PDF
    page.get_by_test_id("task-accept").click()
    expect(page.get_by_test_id("task-awaiting")).to_have_count(0)
    expect(page.get_by_text("Đã xác nhận hoàn thành lúc")).to_be_visible()
    expect(page.get_by_test_id("task-history").locator('[data-kind="accepted"]')).to_be_visible()

    # the dashboard: done on time, nothing awaiting
    page.get_by_role("link", name="Danh sách nhiệm vụ").click()
    expect(card(page, "done_on_time")).to_contain_text("1")
    expect(card(page, "awaiting")).to_contain_text("0")
    expect(card(page, "overdue")).to_contain_text("0")
    unit_row = page.get_by_test_id("task-unit-row").filter(has_text=UNIT)
    expect(unit_row).to_be_visible()
    expect(page.get_by_test_id("task-row").get_by_test_id("task-status")).to_have_text("Hoàn thành đúng hạn")
    page.get_by_label("Lọc theo tình trạng").select_option("overdue")
    expect(page.get_by_test_id("task-row")).to_have_count(0)
    page.get_by_label("Lọc theo tình trạng").select_option("")
    expect(page.get_by_test_id("task-row")).to_have_count(1)
    shot(page, "dashboard")
    exported = page.request.get(page.get_by_test_id("export-xlsx").get_attribute("href") or "")
    assert exported.ok and exported.body().startswith(b"PK")
