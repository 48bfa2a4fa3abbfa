"""The screens at the sizes people use them: a delegate's phone (390×844) in the document
viewer, with its annotation toolbar and a note near the page's edge. Screenshots go to
PHONGHOP_SCREENSHOTS (default /work/screens) for review."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.browser.conftest import WIDE_LAPTOP, Server, Watch, join_tablet, open_context, sign_in, switch_user

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, watch: Watch, server: Server) -> Iterator[Page]:
    ctx: BrowserContext = open_context(browser, watch, PHONE)
    page = ctx.new_page()
    join_tablet(page, server, "Trần Quốc Hưng")
    yield page
    ctx.close()
    assert watch.unexpected() == []


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return dict(found)


def test_the_phone_viewer_is_laid_out_for_a_phone(phone: Page, server: Server) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.get_by_test_id("open-document").first.click()
    expect(phone.get_by_test_id("viewer-page")).to_have_text(re.compile(r"^Trang 1/\d+$"))
    expect(phone.get_by_test_id("annotation-layer")).to_be_attached()

    # The title and the page number on a row of their own, readable; the buttons in one row.
    title, page_number = box(phone.get_by_test_id("viewer-title")), box(phone.get_by_test_id("viewer-page"))
    assert title["width"] > 200 and abs(title["y"] - page_number["y"]) < 12
    buttons = [
        box(phone.get_by_test_id(testid))
        for testid in ("viewer-back", "annotate-toggle", "viewer-thumbs-toggle")
    ]
    assert len({round(b["y"]) for b in buttons}) == 1, buttons
    assert all(b["y"] > title["y"] for b in buttons)
    assert all(b["height"] >= 44 for b in buttons)  # still a finger's target

    # The page-turn arrow sits in a bottom corner, not over the middle of the text.
    phone.get_by_test_id("viewer-next").click()
    expect(phone.get_by_test_id("viewer-page")).to_have_text(re.compile(r"^Trang 2/"))
    stage, prev = box(phone.get_by_test_id("viewer-stage")), box(phone.get_by_test_id("viewer-prev"))
    assert prev["y"] > stage["y"] + stage["height"] * 0.75 and prev["width"] <= 48
    phone.screenshot(path=str(SCREENS / "phone-viewer.png"))

    # The annotation toolbar: one row, and its switches say what they switch.
    phone.get_by_test_id("annotate-toggle").click()
    bar = phone.get_by_test_id("annotate-bar")
    expect(bar).to_be_visible()
    assert box(bar)["height"] < 70
    expect(phone.get_by_test_id("annotate-share")).to_have_text("Ghi chú mới: riêng tư")
    expect(phone.get_by_test_id("annotate-feedback")).to_have_text("Góp ý cho đơn vị soạn thảo: không gửi")

    # A long note tapped near the right edge stays inside the page.
    bar.get_by_role("button", name="Ghi chữ", exact=True).click()
    layer = phone.get_by_test_id("annotation-layer")
    page_box = box(layer)
    phone.mouse.click(page_box["x"] + page_box["width"] * 0.92, page_box["y"] + page_box["height"] * 0.4)
    phone.get_by_test_id("note-text").fill(
        "Đề nghị Sở Tài chính làm rõ nguồn vốn đối ứng của các dự án chuyển tiếp trong năm 2027"
    )
    phone.get_by_role("button", name="Lưu ghi chú").click()
    note = layer.locator("[data-kind=note]")
    expect(note).to_contain_text("Đề nghị")
    drawn = box(note.locator("rect"))
    assert drawn["x"] >= page_box["x"] - 1
    assert drawn["x"] + drawn["width"] <= page_box["x"] + page_box["width"] + 1
    for span in note.locator("tspan").all():
        text = box(span)
        assert text["x"] + text["width"] <= page_box["x"] + page_box["width"] + 1, text
    phone.screenshot(path=str(SCREENS / "phone-viewer-annotating.png"))


def test_the_console_fits_a_wide_laptop(browser: Browser, watch: Watch, server: Server) -> None:
    ctx = open_context(browser, watch, WIDE_LAPTOP)
    page = ctx.new_page()
    # The office has the most links in the header: still one row, "Đăng xuất" included.
    sign_in(page, server, "vanphong")
    actions = page.locator(".topbar-actions > :visible")
    tops = {round(box(a)["y"]) for a in actions.all()}
    assert len(tops) == 1, tops
    expect(page.get_by_role("button", name="Đăng xuất", exact=True)).to_be_visible()
    # Every tab of a meeting whole, none cut off at the edge.
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}")
    tabs = page.locator(".tabs")
    expect(tabs.get_by_role("tab", name="Thông tin cuộc họp")).to_be_visible()
    assert tabs.evaluate("t => t.scrollWidth <= t.clientWidth")
    page.screenshot(path=str(SCREENS / "console-meeting-1440.png"))

    # Dates are typed day first, whatever the browser's language.
    page.goto(f"{server.url}/console/#/statistics")
    start = page.get_by_label("Từ ngày", exact=True)
    expect(start).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
    start.fill("01/02/2020")
    page.get_by_label("Đến ngày", exact=True).fill("31/12/2020")
    page.get_by_role("button", name="Xem thống kê").click()
    expect(page).to_have_url(re.compile(r"#/statistics\?from=2020-02-01&to=2020-12-31$"))
    page.reload()  # the period as the page shows it after a load, day first
    expect(start).to_have_value("01/02/2020")
    start.fill("31/02/2020")  # no such day: said, not sent
    page.get_by_role("button", name="Xem thống kê").click()
    expect(page.get_by_role("alert")).to_contain_text("Ngày không hợp lệ")

    # The run screen: the roll call in sight at once, the poll form's choices whole.
    switch_user(page, "thuky")
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
    expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    rollcall = page.locator(".run-rollcall")
    expect(rollcall).to_contain_text("Phạm Minh Tuấn")
    assert box(rollcall)["y"] < 900
    for name in ("poll_kind", "poll_majority"):
        select = page.locator(f"select[name={name}]")
        assert select.evaluate("s => s.clientWidth") >= 280
    # The columns side by side, none over another.
    columns = [box(page.locator(c)) for c in (".run-agenda", ".run-main", ".run-side")]
    for left, right in itertools.pairwise(columns):
        assert left["x"] + left["width"] <= right["x"] + 1, columns
    page.screenshot(path=str(SCREENS / "console-run-1440.png"), full_page=True)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 2000, height
    ctx.close()
    assert watch.unexpected() == []
