"""Signing from the console with the signer's USB token (SoftHSM2 standing in for it):
the console asks the PIN in a dialog, shows the refusal of a wrong one and asks again,
and the notice is issued signed with the right one — by the office issuing directly, or
by the signer in their own session before the office numbers and issues it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Page, expect

from tests.browser.conftest import NOTICE_SETTINGS, Server, call_api, sign_in, switch_user
from tests.pki import signer
from tests.softhsm import PIN, softhsm_token, token_settings

pytestmark = pytest.mark.browser

PASSPHRASE = "mật khẩu thử"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    office = signer(PASSPHRASE)
    with softhsm_token(tmp_path_factory.mktemp("softhsm"), office.pkcs12, PASSPHRASE) as label:
        yield label


@pytest.fixture(scope="module")
def server(token: str, server: Server) -> Server:
    """The demo server, started after the token exists (it reads SOFTHSM2_CONF at start)."""
    return server


def close_meeting(page: Page, meeting: int) -> None:
    """Hold the demo meeting (once: the tests of this module share the server)."""
    if call_api(page, "GET", f"/api/meetings/{meeting}")["state"] != "closed":
        call_api(page, "POST", f"/api/meetings/{meeting}/actions/start")
        call_api(page, "POST", f"/api/meetings/{meeting}/actions/close")


def type_pin(page: Page, notice_id: int, button: str, *, unchanged: str) -> None:
    """In the PIN dialog: a wrong PIN, refused with the notice left ``unchanged``, then the right one."""
    pin = page.get_by_test_id("pin-dialog")
    expect(pin).to_contain_text("Nguyễn Văn Thành")
    pin.get_by_label("Mã PIN").fill("000000")
    pin.get_by_role("button", name=button).click()
    expect(page.get_by_role("alert")).to_contain_text("Sai mã PIN")
    assert call_api(page, "GET", f"/api/notices/{notice_id}")["state"] == unchanged
    pin = page.get_by_test_id("pin-dialog")
    pin.get_by_label("Mã PIN").fill(PIN)
    pin.get_by_role("button", name=button).click()


def test_the_console_asks_the_token_pin_and_issues_signed(page: Page, server: Server, token: str) -> None:
    meeting = server.meeting_id
    sign_in(page, server, "quantri")
    settings = {**NOTICE_SETTINGS, "signing": token_settings("Nguyễn Văn Thành", token)}
    call_api(page, "PUT", "/api/notice-settings", settings)
    # Saving the settings form in the console keeps the token (set through the API only).
    page.get_by_role("link", name="Quản trị").click()
    page.get_by_test_id("settings-form").get_by_role("button", name="Lưu thiết lập").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu thiết lập thông báo.")
    kept = call_api(page, "GET", "/api/notice-settings")["signing"]["tokens"]
    assert [(t["signer_name"], t["token_label"]) for t in kept] == [("Nguyễn Văn Thành", token)]
    switch_user(page, "vanphong")
    close_meeting(page, meeting)
    notice = call_api(page, "POST", f"/api/meetings/{meeting}/notices", {})
    page.goto(f"{server.url}/console/#/notices/{notice['id']}")

    page.get_by_test_id("notice-issue").click()
    page.get_by_role("dialog").get_by_role("button", name="Ban hành").click()
    type_pin(page, notice["id"], "Ký và ban hành", unchanged="draft")
    expect(page.get_by_test_id("notice-number")).to_have_text(re.compile(r"^Số \d{2,}-TB/TU$"))
    issued = call_api(page, "GET", f"/api/notices/{notice['id']}")
    assert issued["state"] == "issued" and issued["signed"] is True


def test_the_chair_signs_in_their_session_and_the_office_issues(
    page: Page, server: Server, token: str
) -> None:
    meeting = server.meeting_id
    sign_in(page, server, "quantri")
    call_api(
        page,
        "PUT",
        "/api/notice-settings",
        {**NOTICE_SETTINGS, "signing": token_settings("Nguyễn Văn Thành", token)},
    )
    switch_user(page, "vanphong")
    close_meeting(page, meeting)
    notice = call_api(page, "POST", f"/api/meetings/{meeting}/notices", {})
    url = f"{server.url}/console/#/notices/{notice['id']}"
    page.goto(url)
    handoff = page.get_by_test_id("notice-handoff")
    expect(handoff.get_by_test_id("signer-select")).to_contain_text("Nguyễn Văn Thành")
    handoff.get_by_test_id("notice-request-signature").click()
    expect(page.get_by_test_id("notice-state")).to_have_text("Chờ ký")
    expect(page.get_by_test_id("notice-with-signer")).to_contain_text("Nguyễn Văn Thành")

    # The chair finds it under "Thông báo chờ ký" and returns it with a reason.
    switch_user(page, "bithu")
    expect(page.get_by_test_id("signing-count")).to_have_text("1")
    page.get_by_role("link", name=re.compile("Thông báo chờ ký")).click()
    page.get_by_test_id("signature-request").get_by_role("link").click()
    signer_panel = page.get_by_test_id("notice-signer")
    signer_panel.get_by_label("Lý do trả lại").fill("Bổ sung đơn vị phối hợp")
    signer_panel.get_by_test_id("notice-return").click()
    expect(page.get_by_role("heading", name="Thông báo chờ ký")).to_be_visible()
    expect(page.get_by_text("Không có thông báo nào chờ đồng chí ký")).to_be_visible()

    # The office sees the reason and hands it over again.
    switch_user(page, "vanphong")
    page.goto(url)
    expect(page.get_by_test_id("notice-return-reason")).to_contain_text("Bổ sung đơn vị phối hợp")
    page.get_by_test_id("notice-request-signature").click()
    expect(page.get_by_test_id("notice-state")).to_have_text("Chờ ký")

    # The chair signs with their token: a wrong PIN is refused and asked again.
    switch_user(page, "bithu")
    page.goto(url)
    page.get_by_test_id("notice-sign").click()
    page.get_by_role("dialog").get_by_role("button", name="Ký số").click()
    type_pin(page, notice["id"], "Ký số", unchanged="awaiting_signature")
    expect(page.get_by_test_id("notice-state")).to_have_text("Đã ký, chờ cấp số")
    assert call_api(page, "GET", f"/api/notices/{notice['id']}")["number"] is None

    # The office numbers and issues it.
    switch_user(page, "vanphong")
    page.goto(url)
    page.get_by_test_id("notice-issue").click()
    page.get_by_role("dialog").get_by_role("button", name="Ban hành").click()
    expect(page.get_by_test_id("notice-number")).to_have_text(re.compile(r"^Số \d{2,}-TB/TU$"))
    issued = call_api(page, "GET", f"/api/notices/{notice['id']}")
    assert issued["state"] == "issued" and issued["signed"] is True
