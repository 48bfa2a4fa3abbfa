"""Who holds the tablet, in the browser: a delegate joins with their personal code; a
device waits for the secretary's confirmation; a stolen join code alone gets nowhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import (
    TABLET,
    Server,
    Watch,
    call_api,
    join_tablet,
    open_context,
    sign_in,
    wait_for_cached_pages,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def tablet(browser: Browser, watch: Watch) -> Iterator[BrowserContext]:
    ctx = open_context(browser, watch, TABLET)
    watch.allow("Failed to load resource")  # the waiting tablet's GET /api/session answers 401
    try:
        yield ctx
    finally:
        ctx.close()


def test_a_delegate_joins_with_the_personal_code(tablet: BrowserContext, server: Server) -> None:
    page = tablet.new_page()
    join_tablet(page, server, "Trần Quốc Hưng")
    expect(page.locator("#user-name")).to_have_text(re.compile("Trần Quốc Hưng"))


def test_a_device_waits_for_the_secretarys_confirmation(
    tablet: BrowserContext, context: BrowserContext, server: Server
) -> None:
    page = tablet.new_page()
    page.goto(f"{server.url}/tablet/#join={server.join_code}")
    page.get_by_role("button", name=re.compile("Đặng Văn Lực")).click()
    page.get_by_test_id("join-wait").click()
    expect(page.get_by_test_id("join-waiting")).to_contain_text("Đặng Văn Lực")

    console = context.new_page()
    sign_in(console, server, "thuky")
    console.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/participants")
    waiting = console.get_by_test_id("devices-waiting")
    expect(waiting).to_contain_text("Đặng Văn Lực")
    waiting.get_by_test_id("device-confirm").click()
    expect(console.get_by_test_id("devices-live")).to_contain_text("Đặng Văn Lực")

    expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối", timeout=20_000)


def test_a_stolen_join_code_alone_gets_nowhere(tablet: BrowserContext, server: Server) -> None:
    page = tablet.new_page()
    page.goto(f"{server.url}/tablet/#join={server.join_code}")
    names = page.get_by_test_id("name-list")
    expect(names).not_to_contain_text("Thư ký")  # no roles on the anonymous list
    # a delegate's place needs the code from the invitation
    page.get_by_role("button", name=re.compile("Ngô Thanh Sơn")).click()
    page.get_by_test_id("join-personal-code").fill("AAAA2222")
    page.get_by_test_id("join-enter").click()
    expect(page.get_by_role("alert")).to_contain_text("Mã cá nhân không đúng")
    # the first name on the list (the chair) asks for the account's password
    names.get_by_role("button").first.click()
    expect(page.get_by_test_id("join-password")).to_be_visible()
    page.get_by_test_id("join-username").fill("bithu")
    page.get_by_test_id("join-password").fill("khong-phai-mat-khau")
    page.get_by_test_id("join-enter").click()
    expect(page.get_by_role("alert")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    expect(page.get_by_test_id("connection-status")).to_have_count(0)


def test_the_meetings_end_ends_the_tablet_and_its_copies(
    browser: Browser, tablet: BrowserContext, context: BrowserContext, server: Server, watch: Watch
) -> None:
    """Last in this module: it closes the demo meeting."""
    watch.allow("WebSocket connection")  # the closed socket, as the browser reports it
    page = tablet.new_page()
    join_tablet(page, server, "Trần Quốc Hưng")
    page.get_by_test_id("open-document").first.click()
    expect(page.get_by_test_id("viewer")).to_be_visible()
    # another delegate's tablet has its pages and is put away (the app closed) before the end
    away_context = open_context(browser, watch, TABLET)
    away = away_context.new_page()
    join_tablet(away, server, "Ngô Thanh Sơn")
    wait_for_cached_pages(away, lambda count: count > 0)
    away.close()
    console = context.new_page()
    sign_in(console, server, "thuky")
    call_api(console, "POST", f"/api/meetings/{server.meeting_id}/actions/start")
    call_api(console, "POST", f"/api/meetings/{server.meeting_id}/actions/close")

    ended = page.get_by_test_id("meeting-ended")
    expect(ended).to_contain_text("Cuộc họp đã kết thúc.")
    expect(ended).to_contain_text("đã kết thúc cùng cuộc họp")
    expect(ended).to_have_attribute("data-session", "ended")
    expect(page.get_by_test_id("viewer")).to_have_count(0)
    expect(page.get_by_test_id("connection-status")).to_have_count(0)
    # what it kept is gone: the pages' cache and the session to resume
    wait_for_cached_pages(page, lambda count: count == 0)
    assert page.evaluate("() => sessionStorage.getItem('phonghop.tablet.session')") is None
    page.get_by_test_id("ended-done").click()
    expect(page.get_by_test_id("join-code-input")).to_be_visible()
    # the tablet that was away finds no session when it is opened again, and drops its pages
    again = away_context.new_page()
    again.goto(f"{server.url}/tablet/")
    expect(again.get_by_test_id("join-code-input")).to_be_visible()
    wait_for_cached_pages(again, lambda count: count == 0)
    away_context.close()
    # the secretary's session, an account's, stays
    assert call_api(console, "GET", f"/api/meetings/{server.meeting_id}")["state"] == "closed"
