"""Issuing from the console with the signer's USB token (SoftHSM2 standing in for it):
the console asks the PIN in a dialog, shows the refusal of a wrong one and asks again,
and the notice is issued signed with the right one."""

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
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/start")
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/close")
    notice = call_api(page, "POST", f"/api/meetings/{meeting}/notices", {})
    page.goto(f"{server.url}/console/#/notices/{notice['id']}")

    page.get_by_test_id("notice-issue").click()
    page.get_by_role("dialog").get_by_role("button", name="Ban hành").click()
    pin = page.get_by_test_id("pin-dialog")
    expect(pin).to_contain_text("Nguyễn Văn Thành")
    pin.get_by_label("Mã PIN").fill("000000")
    pin.get_by_role("button", name="Ký và ban hành").click()
    expect(page.get_by_role("alert")).to_contain_text("Sai mã PIN")
    assert call_api(page, "GET", f"/api/notices/{notice['id']}")["state"] == "draft"
    pin = page.get_by_test_id("pin-dialog")
    pin.get_by_label("Mã PIN").fill(PIN)
    pin.get_by_role("button", name="Ký và ban hành").click()
    expect(page.get_by_test_id("notice-number")).to_have_text(re.compile(r"^Số 01-TB/TU$"))
    issued = call_api(page, "GET", f"/api/notices/{notice['id']}")
    assert issued["state"] == "issued" and issued["signed"] is True
