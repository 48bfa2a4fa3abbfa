"""Answering the invitation on the phone and the tablet (issue 21): before the meeting a
delegate answers "absent" with a reason, or sends a substitute (name and title), on a
phone at 390×844 and a tablet at 1280×800; the office's confirmation table, open in the
console, shows each answer without a reload; the office's decision reaches the phone."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.browser.conftest import (
    LAPTOP,
    WIDE_LAPTOP,
    Server,
    Watch,
    call_api,
    join_tablet,
    open_context,
    sign_in,
)

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}


def device(browser: Browser, watch: Watch, devices: list[BrowserContext], viewport: ViewportSize) -> Page:
    ctx = open_context(browser, watch, viewport, touch=viewport is PHONE)
    devices.append(ctx)
    return ctx.new_page()


def office_table(browser: Browser, watch: Watch, devices: list[BrowserContext], server: Server) -> Page:
    office = device(browser, watch, devices, WIDE_LAPTOP)
    sign_in(office, server, "vanphong")
    office.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/invitations")
    expect(office.get_by_test_id("invitation-line").first).to_be_visible()
    return office


def line(office: Page, name: str) -> Locator:
    return office.get_by_test_id("invitation-line").filter(has_text=name)


def fits_the_screen(panel: Locator, width: int) -> None:
    """Every control of the panel is on screen and big enough to touch."""
    controls = panel.locator("button, input, textarea")
    assert controls.count() > 0
    for i in range(controls.count()):
        box = controls.nth(i).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (i, box)
        assert box["height"] >= 44, (i, box)


def test_on_a_phone_absent_with_a_reason_then_a_substitute(
    browser: Browser, watch: Watch, server: Server, devices: list[BrowserContext]
) -> None:
    office = office_table(browser, watch, devices, server)
    phone = device(browser, watch, devices, PHONE)
    join_tablet(phone, server, "Trần Quốc Hưng")
    panel = phone.get_by_test_id("tablet-invitation")
    expect(panel.get_by_test_id("invitation-mine")).to_have_text("Đồng chí chưa trả lời giấy mời.")
    # the invitation's facts are on the same screen
    expect(phone.get_by_test_id("meeting-time")).to_be_visible()
    expect(phone.get_by_test_id("tablet-agenda")).to_be_visible()
    fits_the_screen(panel, PHONE["width"])

    panel.get_by_role("button", name="Báo vắng").click()
    fits_the_screen(panel, PHONE["width"])
    panel.get_by_role("button", name="Gửi trả lời").click()  # no reason yet
    expect(phone.get_by_role("alert")).to_contain_text("Nhập lý do vắng mặt.")
    panel.get_by_label("Lý do").fill("Đi công tác Hà Nội")
    panel.get_by_role("button", name="Gửi trả lời").click()
    expect(panel.get_by_test_id("invitation-mine")).to_have_attribute("data-state", "absent")
    expect(panel.get_by_test_id("invitation-mine")).to_contain_text("Lý do: Đi công tác Hà Nội")
    # the console's table, never reloaded, shows it
    expect(line(office, "Trần Quốc Hưng").get_by_test_id("invitation-state")).to_have_text("Vắng")
    expect(line(office, "Trần Quốc Hưng")).to_contain_text("Đi công tác Hà Nội")

    panel.get_by_role("button", name="Thay đổi trả lời").click()
    panel.get_by_role("button", name="Cử người dự thay").click()
    fits_the_screen(panel, PHONE["width"])
    panel.get_by_label("Họ và tên người dự thay").fill("Nguyễn Văn Thế")
    panel.get_by_role("button", name="Gửi trả lời").click()  # no title yet
    expect(phone.get_by_role("alert")).to_contain_text("Nhập chức vụ người dự thay.")
    panel.get_by_label("Chức vụ người dự thay").fill("Phó Trưởng ban Tổ chức")
    panel.get_by_role("button", name="Gửi trả lời").click()
    expect(panel.get_by_test_id("invitation-mine")).to_contain_text("Nguyễn Văn Thế — Phó Trưởng ban Tổ chức")
    expect(panel.get_by_test_id("invitation-substitute-state")).to_have_text("Chờ Văn phòng quyết định")
    expect(line(office, "Trần Quốc Hưng").get_by_test_id("invitation-state")).to_have_text("Cử người dự thay")
    expect(line(office, "Trần Quốc Hưng")).to_contain_text("Nguyễn Văn Thế")

    # the office accepts; the phone, opened again, says so and that the answer is now fixed
    hung = next(
        p["id"]
        for p in call_api(office, "GET", f"/api/meetings/{server.meeting_id}")["participants"]
        if p["full_name"] == "Trần Quốc Hưng"
    )
    call_api(
        office, "POST", f"/api/meetings/{server.meeting_id}/invitations/{hung}/decision", {"accept": True}
    )
    phone.reload()
    expect(panel.get_by_test_id("invitation-substitute-state")).to_have_text("Văn phòng đã chấp nhận")
    expect(panel.get_by_test_id("invitation-locked")).to_contain_text("không thay đổi trả lời được nữa")
    expect(panel.get_by_role("button")).to_have_count(0)


def test_on_a_tablet_attend_then_change_to_absent(
    browser: Browser, watch: Watch, server: Server, devices: list[BrowserContext]
) -> None:
    office = office_table(browser, watch, devices, server)
    tablet = device(browser, watch, devices, LAPTOP)
    join_tablet(tablet, server, "Võ Thị Minh Nguyệt")
    panel = tablet.get_by_test_id("tablet-invitation")
    expect(panel.get_by_test_id("invitation-mine")).to_have_text("Đồng chí chưa trả lời giấy mời.")
    fits_the_screen(panel, LAPTOP["width"])
    panel.get_by_role("button", name="Tham dự").click()
    expect(panel.get_by_test_id("invitation-mine")).to_have_text("Đồng chí đã xác nhận tham dự.")
    expect(line(office, "Võ Thị Minh Nguyệt").get_by_test_id("invitation-state")).to_have_text("Tham dự")
    panel.get_by_role("button", name="Thay đổi trả lời").click()
    panel.get_by_role("button", name="Báo vắng").click()
    reason = panel.get_by_label("Lý do")
    reason.fill("Ốm")
    # the office moves the meeting meanwhile: the screen is drawn again, the form stays as typed
    call_api(office, "PATCH", f"/api/meetings/{server.meeting_id}", {"location": "Phòng họp số 2, Tỉnh ủy"})
    expect(tablet.get_by_test_id("meeting-location")).to_have_text("Phòng họp số 2, Tỉnh ủy")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("Ốm")
    panel.get_by_role("button", name="Gửi trả lời").click()
    expect(panel.get_by_test_id("invitation-mine")).to_have_attribute("data-state", "absent")
    expect(line(office, "Võ Thị Minh Nguyệt").get_by_test_id("invitation-state")).to_have_text("Vắng")


def test_once_the_meeting_has_started_the_answer_is_fixed(
    browser: Browser, watch: Watch, server: Server, devices: list[BrowserContext]
) -> None:
    """Last in this module: it starts the demo meeting."""
    tablet = device(browser, watch, devices, LAPTOP)
    join_tablet(tablet, server, "Đặng Văn Lực")
    panel = tablet.get_by_test_id("tablet-invitation")
    expect(panel.get_by_role("button", name="Tham dự")).to_be_visible()
    console = device(browser, watch, devices, WIDE_LAPTOP)
    sign_in(console, server, "thuky")
    call_api(console, "POST", f"/api/meetings/{server.meeting_id}/actions/start")
    expect(panel.get_by_test_id("invitation-locked")).to_have_text(re.compile("Cuộc họp đã bắt đầu"))
    expect(panel.get_by_role("button")).to_have_count(0)
