"""The room display opened with a display link (issue 21): a projector's browser that never
signed in shows the current item and follows the presenter's pages; revoking the link in
the console closes it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, ViewportSize, expect

from tests.browser.conftest import WIDE_LAPTOP, Server, Watch, open_context, sign_in

pytestmark = pytest.mark.browser

PROJECTOR: ViewportSize = {"width": 1920, "height": 1080}


def test_a_projector_opens_the_display_link_without_signing_in(
    browser: Browser, context: BrowserContext, server: Server, watch: Watch
) -> None:
    console = context.new_page()
    console.set_viewport_size(WIDE_LAPTOP)
    sign_in(console, server, "thuky")
    console.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/join")
    section = console.get_by_test_id("display-section")
    section.get_by_label("Tên màn hình").fill("Máy chiếu hội trường")
    section.get_by_role("button", name="Tạo liên kết màn hình").click()
    url = section.get_by_test_id("display-url").inner_text()
    assert re.fullmatch(re.escape(server.url) + r"/room/#/display/[A-Za-z0-9_-]{40,}", url), url
    expect(section.get_by_test_id("display-qr")).to_be_visible()
    row = section.get_by_test_id("display-link")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Máy chiếu hội trường")

    # a fresh profile: no cookie, no sign-in
    watch.allow("WebSocket connection")  # the socket closed by the revocation, as reported
    projector_context = open_context(browser, watch, PROJECTOR)
    try:
        projector = projector_context.new_page()
        projector.goto(url)
        expect(projector.get_by_test_id("room-agenda")).to_be_visible()
        expect(projector.get_by_test_id("connection-status")).to_have_text("Đã kết nối")

        console.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
        expect(console.get_by_test_id("run-page")).to_be_visible()
        console.get_by_role("button", name="Bắt đầu cuộc họp").click()
        console.get_by_role("button", name=re.compile("^Mở nội dung «Tờ trình về kế hoạch")).click()
        expect(projector.get_by_test_id("room-current-item")).to_have_text(
            "1. Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027"
        )
        console.get_by_test_id("present-document").first.click()
        expect(projector.get_by_test_id("room-page")).to_have_attribute("data-page", "1")
        console.get_by_test_id("presenter-next").click()
        expect(projector.get_by_test_id("room-page")).to_have_attribute("data-page", "2")
        expect(projector.get_by_test_id("room-page")).to_have_js_property("complete", True)
        assert projector.get_by_test_id("room-page").evaluate("img => img.naturalWidth") > 0
        # the fourth item's document is classified (Mật): a placeholder, never its pages
        console.get_by_test_id("present-document").nth(3).click()
        expect(console.get_by_test_id("presenter-page")).to_have_text(re.compile("^Trang 1/"))
        withheld = projector.get_by_test_id("room-withheld")
        expect(withheld).to_contain_text("Tài liệu mật: xem trên máy tính bảng")
        expect(projector.get_by_test_id("room-page")).to_have_count(0)

        # revoked in the console: the display closes and says why
        console.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/join")
        console.get_by_test_id("display-link").get_by_role("button", name="Thu hồi").click()
        console.get_by_role("dialog").get_by_role("button", name="Thu hồi").click()
        expect(console.get_by_test_id("display-link")).to_contain_text("Đã thu hồi lúc")
        expect(projector.get_by_test_id("room-message")).to_contain_text("đã bị thu hồi")
    finally:
        projector_context.close()
