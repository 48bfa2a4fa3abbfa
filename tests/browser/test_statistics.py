"""The statistics screen in a real browser, on the demo's data after a meeting was held, its
notice issued and a task done: cards, the three SVG charts with their tables, exports, and
the empty state of a period without meetings."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

import docx
import openpyxl
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, call_api, configure_notices, sign_in, switch_user

pytestmark = pytest.mark.browser

OFFICE = ZoneInfo("Asia/Ho_Chi_Minh")
SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def hold_demo_meeting(page: Page, server: Server) -> int:
    """The office holds the demo meeting (roll call, conclusions with lead units), issues
    its notice and marks one task done; another meeting of the same year is cancelled.
    Returns that year (the office's), which need not be today's when a run crosses New
    Year's Eve."""
    meeting = server.meeting_id
    detail: dict[str, Any] = call_api(page, "GET", f"/api/meetings/{meeting}")
    starts = datetime.fromisoformat(detail["starts_at"]).astimezone(OFFICE)
    people = [p["id"] for p in detail["participants"]]
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/start")
    marks = ["present"] * 6 + ["present_online"] * 3 + ["absent"] * 2
    for pid, state in zip(people, marks, strict=False):
        reason = "Đi công tác" if state == "absent" else ""
        call_api(
            page,
            "PUT",
            f"/api/meetings/{meeting}/participants/{pid}/attendance",
            {"attendance": state, "reason": reason},
        )
    soon = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    past = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    points = [
        {"text": "Hoàn thiện kế hoạch năm 2027", "chu_tri": "Sở Kế hoạch và Đầu tư", "deadline": soon},
        {"text": "Rà soát vốn đối ứng", "chu_tri": "Sở Tài chính", "deadline": past},
        {"text": "Báo cáo giải ngân hằng tháng", "chu_tri": "Sở Tài chính"},
    ]
    item = detail["agenda"][0]["id"]
    call_api(page, "PUT", f"/api/meetings/{meeting}/conclusions/{item}", {"summary": "", "points": points})
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/close")
    notice = call_api(page, "POST", f"/api/meetings/{meeting}/notices", {})
    call_api(page, "POST", f"/api/notices/{notice['id']}/issue")
    tasks = call_api(page, "GET", f"/api/tasks?meeting_id={meeting}")["tasks"]
    first = next(t for t in tasks if t["text"] == "Hoàn thiện kế hoạch năm 2027")
    call_api(page, "POST", f"/api/tasks/{first['id']}/updates", {"state": "done", "note": "Đã trình"})

    earlier = datetime(starts.year, 1, 15, 8, 0, tzinfo=OFFICE)
    other = call_api(
        page, "POST", "/api/meetings", {"title": "Hội nghị đột xuất", "starts_at": earlier.isoformat()}
    )
    call_api(page, "POST", f"/api/meetings/{other['id']}/actions/schedule")
    call_api(page, "POST", f"/api/meetings/{other['id']}/actions/cancel")
    return starts.year


def test_statistics_screen_charts_and_exports(page: Page, server: Server, tmp_path: Path) -> None:
    sign_in(page, server, "quantri")
    configure_notices(page)
    switch_user(page, "vanphong")
    year = hold_demo_meeting(page, server)

    page.get_by_role("link", name="Thống kê", exact=True).click()
    expect(page.get_by_role("heading", name="Thống kê", exact=True)).to_be_visible()
    # The screen opens on the office's current year. A run that crosses midnight on 31
    # December holds the meeting in one year and issues its notice in the next, so the
    # period asked for is the meeting's year and the one after.
    page.get_by_label("Từ ngày", exact=True).fill(f"{year}-01-01")
    page.get_by_label("Đến ngày", exact=True).fill(f"{year + 1}-12-31")
    page.get_by_role("button", name="Xem thống kê").click()
    expect(page.get_by_test_id("card-held")).to_contain_text("1")
    expect(page.get_by_test_id("card-held")).to_contain_text("1 đã hủy")
    expect(page.get_by_test_id("card-notices")).to_contain_text("1")

    # Three charts drawn as SVG, each an image named by its caption.
    meetings_chart = page.locator("figure[data-testid^='stats-meetings']")
    attendance_chart = page.locator("figure[data-testid^='stats-attendance']")
    tasks_chart = page.locator("figure[data-testid^='stats-tasks']")
    expect(meetings_chart.get_by_role("img", name="Số cuộc họp theo tháng")).to_be_visible()
    assert meetings_chart.locator("svg rect[data-series='held']").count() == 1
    assert meetings_chart.locator("svg rect[data-series='cancelled']").count() == 1
    assert attendance_chart.locator("svg rect[data-series='rate']").count() == 9  # 11 invited, 2 absent
    expect(tasks_chart.locator("svg rect[data-series='overdue']")).to_have_count(1)
    expect(tasks_chart.locator("svg rect[data-series='done_on_time']")).to_have_count(1)
    expect(
        tasks_chart.get_by_role("listitem").filter(has_text=re.compile("^Quá hạn$"))
    ).to_be_visible()  # the legend

    # The table beside a chart gives the exact figures.
    tasks_chart.get_by_text("Xem dạng bảng").click()
    row = tasks_chart.get_by_role("row", name="Sở Tài chính")
    expect(row).to_contain_text("2")
    shot(page, "statistics-overview")

    with page.expect_download() as download_info:
        page.get_by_test_id("stats-export-xlsx").click()
    xlsx = tmp_path / "stats.xlsx"
    download_info.value.save_as(xlsx)
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Cuộc họp", "Dự họp", "Tài liệu", "Thông báo", "Nhiệm vụ"]
    with page.expect_download() as download_info:
        page.get_by_test_id("stats-export-docx").click()
    report = docx.Document(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert len(report.tables) == 5

    # A period without meetings says what to do.
    page.get_by_label("Từ ngày", exact=True).fill("2020-01-01")
    page.get_by_label("Đến ngày", exact=True).fill("2020-12-31")
    page.get_by_role("button", name="Xem thống kê").click()
    expect(page.get_by_test_id("stats-empty")).to_contain_text(
        "Không có cuộc họp nào trong khoảng thời gian này."
    )
    expect(page.get_by_role("link", name="Tạo cuộc họp mới")).to_be_visible()
    shot(page, "statistics-empty")

    # English.
    page.get_by_role("button", name="Năm 2020").click()  # a preset keeps the page working
    page.locator("#language-switch").click()
    expect(page.get_by_role("heading", name="Statistics", exact=True)).to_be_visible()
