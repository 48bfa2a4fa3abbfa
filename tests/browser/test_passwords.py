"""Passwords in the console of a real browser: any staff user changes their own (the
account's other sessions end, a live console on another computer included); an
administrator resets another account's password and lifts its sign-in locks, in English."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LAPTOP, PASSWORD, Server, Watch, open_context, sign_in

pytestmark = pytest.mark.browser

NEW = "mat-khau-moi-2027"


@pytest.fixture
def laptop(browser: Browser, watch: Watch) -> Iterator[BrowserContext]:
    """Another computer: its own cookies."""
    ctx = open_context(browser, watch, LAPTOP)
    try:
        yield ctx
    finally:
        ctx.close()


def sign_in_status(server: Server, username: str, password: str) -> int:
    """The answer to a sign-in from this machine, in a client of its own (no browser's cookies)."""
    r = httpx.post(server.url + "/api/session", json={"username": username, "password": password}, timeout=30)
    return r.status_code


def test_a_secretary_changes_her_password_and_her_other_console_signs_out(
    page: Page, laptop: BrowserContext, server: Server
) -> None:
    other = laptop.new_page()
    sign_in(other, server, "thuky")
    other.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
    expect(other.get_by_test_id("connection-status")).to_have_text("Đã kết nối")

    sign_in(page, server, "thuky")
    page.locator("#user-name").click()
    page.get_by_role("link", name="Đổi mật khẩu").click()
    form = page.get_by_test_id("password-form")
    expect(page.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    form.get_by_label("Mật khẩu hiện tại").fill("khong-dung-123")
    form.get_by_test_id("password-new").fill(NEW)
    form.get_by_test_id("password-again").fill(NEW + "x")
    form.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("#banner")).to_contain_text("Hai lần nhập mật khẩu mới không khớp nhau.")
    form.get_by_test_id("password-new").fill("ngan-1")
    form.get_by_test_id("password-again").fill("ngan-1")
    form.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("#banner")).to_contain_text("Mật khẩu phải có ít nhất 10 ký tự.")
    form.get_by_test_id("password-new").fill(NEW)
    form.get_by_test_id("password-again").fill(NEW)
    form.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("#banner")).to_contain_text("Mật khẩu hiện tại không đúng.")  # the server's answer
    form.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    form.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã đổi mật khẩu. 1 phiên khác đã bị đăng xuất.")
    expect(form.get_by_label("Mật khẩu hiện tại")).to_have_value("")

    # the other computer's live console was closed and is back at the sign-in form
    expect(other.get_by_label("Tên đăng nhập")).to_be_visible()
    expect(other.locator("#banner")).to_contain_text("Phiên làm việc đã hết hạn.")
    # this session stays; the old password no longer opens the account, the new one does
    page.get_by_test_id("brand").click()
    expect(page.locator("#user-name")).to_contain_text("Phạm Minh Tuấn")
    assert sign_in_status(server, "thuky", PASSWORD) == 401
    assert sign_in_status(server, "thuky", NEW) == 200


def test_an_administrator_resets_a_password_and_unlocks_an_account_in_english(
    page: Page, laptop: BrowserContext, server: Server
) -> None:
    clerk = laptop.new_page()
    sign_in(clerk, server, "vanphong")
    # someone guesses the chair's password from this address until the account locks here
    for _ in range(5):
        assert sign_in_status(server, "bithu", "doan-mat-khau-1") == 401
    assert sign_in_status(server, "bithu", PASSWORD) == 429

    sign_in(page, server, "quantri")
    page.get_by_role("button", name="English").click()
    page.get_by_role("link", name="Administration").click()
    users = page.get_by_test_id("users-section")
    expect(users.get_by_role("columnheader", name="Account")).to_be_visible()
    # the administrator's own row offers the change of one's own password instead
    own = page.get_by_test_id("user-row").filter(has_text="quantri")
    expect(own.get_by_test_id("user-reset-password")).to_have_count(0)
    expect(own.get_by_role("link", name="Change password")).to_be_visible()

    chair = page.get_by_test_id("user-row").filter(has_text="bithu")
    chair.get_by_role("button", name="Unlock the sign-in of Nguyễn Văn Thành").click()
    unlocked = "Sign-in of Nguyễn Văn Thành unlocked (1 locks lifted)."
    expect(page.get_by_role("status")).to_contain_text(unlocked)
    assert sign_in_status(server, "bithu", PASSWORD) == 200

    clerk_row = page.get_by_test_id("user-row").filter(has_text="vanphong")
    clerk_row.get_by_test_id("user-reset-password").click()
    dialog = page.get_by_role("dialog", name="Reset the password of Lê Thị Thu Hà?")
    expect(dialog).to_contain_text("Every session of this account ends")
    dialog.get_by_test_id("reset-password").fill("short")
    dialog.get_by_role("button", name="Reset password").click()
    expect(page.locator("#banner")).to_contain_text("at least 10 characters")
    expect(dialog).to_be_visible()  # kept open until the password is acceptable
    dialog.get_by_test_id("reset-password").fill(NEW)
    dialog.get_by_role("button", name="Reset password").click()
    expect(dialog).to_be_hidden()
    reset = re.compile(r"New password set for Lê Thị Thu Hà; \d+ sessions ended\.")
    expect(page.get_by_role("status")).to_contain_text(reset)

    # the clerk's console is signed out; the new password opens the account
    clerk.reload()
    expect(clerk.get_by_label("Tên đăng nhập")).to_be_visible()
    assert sign_in_status(server, "vanphong", PASSWORD) == 401
    assert sign_in_status(server, "vanphong", NEW) == 200
