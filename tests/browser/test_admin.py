"""Administration in a real browser: users and the password rules, the notice settings,
the certificate card for tablets and the "plain HTTP on the LAN" warning, sign out
everywhere, and a tablet's session revoked by the secretary (close code 4409).

The browser of this module maps the LAN-style name ``phonghop.vp.lan`` to 127.0.0.1, so
the console can be opened as an office opens it, at a name that is not localhost.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import (
    PASSWORD,
    TABLET,
    Server,
    Watch,
    call_api,
    join_tablet,
    launch_chromium,
    open_context,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

LAN_HOST = "phonghop.vp.lan"
SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium that resolves the office's LAN name to this machine."""
    with launch_chromium(f"--host-resolver-rules=MAP {LAN_HOST} 127.0.0.1") as chromium:
        yield chromium


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def lan_url(server: Server) -> str:
    return server.url.replace("127.0.0.1", LAN_HOST)


def test_warning_for_plain_http_on_the_lan_and_none_on_localhost(
    browser: Browser, page: Page, server: Server
) -> None:
    page.goto(server.url + "/console/")
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    expect(page.locator("#https-warning")).to_be_hidden()
    # At the LAN name, served with the server's own headers (the CSP route of the other
    # contexts fetches from the test process, which does not know the name).
    lan = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    errors: list[str] = []
    try:
        page = lan.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        check_lan_console(page, server)
    finally:
        lan.close()
    # Over plain HTTP at a LAN name Chromium ignores the COOP header and says so: expected.
    assert [e for e in errors if "status of 40" not in e and "Cross-Origin-Opener-Policy" not in e] == []


def check_lan_console(page: Page, server: Server) -> None:
    page.goto(lan_url(server) + "/console/")
    warning = page.locator("#https-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Máy tính bảng cần HTTPS để dùng khi mất mạng.")
    page.get_by_label("Tên đăng nhập").fill("vanphong")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    warning.get_by_role("link", name="Cài chứng thư cho máy tính bảng").click()
    card = page.get_by_test_id("tls-section")
    expect(card).to_contain_text("Trang này đang mở qua HTTP thường")
    expect(card.get_by_test_id("tls-missing")).to_contain_text("phonghop tls init")

    # Once the office has made its CA, the card offers it with a QR code and install steps.
    made = subprocess.run(
        [sys.executable, "-m", "phonghop", "tls", "init", "--name", LAN_HOST],
        env={**os.environ, "PHONGHOP_DATA_DIR": str(server.data_dir)},
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    page.reload()
    download = card.get_by_test_id("tls-download")
    expect(download).to_have_attribute("href", re.compile(r"/tls/ca\.crt$"))
    qr = card.get_by_test_id("tls-qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_js_property("complete", True)  # loaded, not only laid out
    assert page.evaluate("() => document.querySelector('[data-testid=tls-qr]').naturalWidth") > 0
    expect(card).to_contain_text("Máy tính bảng Android")
    expect(card).to_contain_text("Cài đặt tin cậy chứng nhận")
    expect(card).to_contain_text(re.compile(r"SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}"))
    pem: str = page.evaluate("async (url) => (await fetch(url)).text()", download.get_attribute("href"))
    assert "BEGIN CERTIFICATE" in pem
    shot(page, "console-admin-certificates")


def test_admin_adds_users_with_the_password_rules_and_changes_notice_settings(
    page: Page, server: Server
) -> None:
    sign_in(page, server, "quantri")
    page.get_by_role("link", name="Quản trị").click()
    users = page.get_by_test_id("users-section")
    expect(users.get_by_test_id("user-row").filter(has_text="vanphong")).to_contain_text("Văn phòng")
    count = users.get_by_test_id("user-row").count()
    form = users.get_by_test_id("user-form")
    form.get_by_label("Tên đăng nhập").fill("chuyenvien2")
    form.get_by_label("Họ và tên").fill("Trương Thị Bích")
    form.get_by_label("Chức vụ").fill("Chuyên viên Văn phòng Tỉnh ủy")
    form.get_by_label("Vai trò").select_option(label="Văn phòng")
    for weak, message in [("ngan1", "ít nhất 10 ký tự"), ("chiconchucai", "cả chữ và số")]:
        form.get_by_label("Mật khẩu").fill(weak)
        form.get_by_role("button", name="Thêm người dùng").click()
        expect(page.get_by_role("alert")).to_contain_text(message)
    expect(users.get_by_test_id("user-row")).to_have_count(count)
    form.get_by_label("Mật khẩu").fill("vanphong-2026")
    form.get_by_role("button", name="Thêm người dùng").click()
    expect(page.get_by_role("status")).to_contain_text("Đã thêm tài khoản Trương Thị Bích")
    expect(users.get_by_test_id("user-row")).to_have_count(count + 1)
    # The same user name again: the server's refusal is shown.
    form = users.get_by_test_id("user-form")
    form.get_by_label("Tên đăng nhập").fill("chuyenvien2")
    form.get_by_label("Họ và tên").fill("Người khác")
    form.get_by_role("button", name="Thêm người dùng").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(users.get_by_test_id("user-row")).to_have_count(count + 1)

    settings = page.get_by_test_id("settings-form")
    expect(page.get_by_test_id("settings-format")).to_contain_text("văn bản của Đảng")
    settings.get_by_label("Ngày bắt đầu nhiệm kỳ").fill("2025-10-16")
    settings.get_by_label("Thẩm quyền ký").select_option(label="T/M (thay mặt)")
    settings.get_by_label("Của (tập thể, người đứng đầu)").fill("Ban Thường vụ")
    settings.get_by_label("Chức vụ người ký").fill("Bí thư")
    settings.get_by_label("Họ và tên người ký").fill("Nguyễn Văn Thành")
    settings.get_by_label("Nơi nhận mặc định").fill("Ban Bí thư (để báo cáo)\nCác đồng chí Tỉnh ủy viên")
    settings.get_by_label("Lề trái (mm)").fill("35")
    settings.get_by_label("Cỡ chữ nội dung (pt)").fill("13")
    settings.get_by_label("Mã định danh của cơ quan").fill("000.00.00.H41")
    settings.get_by_label("Mã định danh của nơi nhận").fill("000.12.31.H41 Sở Tài chính")
    settings.get_by_role("button", name="Lưu thiết lập").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu thiết lập thông báo.")
    stored = call_api(page, "GET", "/api/notice-settings")
    assert stored["term_start"] == "2025-10-16"
    assert stored["signature"] == {
        "signer_title": "Bí thư",
        "signer_name": "Nguyễn Văn Thành",
        "authorities": [{"authority": "on_behalf", "of": "Ban Thường vụ"}],
    }
    assert stored["recipients"] == ["Ban Bí thư (để báo cáo)", "Các đồng chí Tỉnh ủy viên"]
    assert stored["layout"]["margin_left_mm"] == 35 and stored["layout"]["size_body"] == 13
    assert stored["exchange"] == {
        "agency_code": "000.00.00.H41",
        "recipients": [{"name": "Sở Tài chính", "code": "000.12.31.H41"}],
    }
    # A size out of range is refused by the server, and nothing changes.
    settings.get_by_label("Cỡ chữ nội dung (pt)").fill("40")
    settings.get_by_role("button", name="Lưu thiết lập").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert call_api(page, "GET", "/api/notice-settings")["layout"]["size_body"] == 13
    page.reload()
    expect(page.get_by_test_id("settings-form").get_by_label("Lề trái (mm)")).to_have_value("35")
    shot(page, "console-admin")

    # The office reads the settings but cannot change them, nor add users.
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, server, "vanphong")
    page.get_by_role("link", name="Quản trị").click()
    expect(page.get_by_test_id("settings-form").get_by_label("Lề trái (mm)")).to_be_disabled()
    expect(page.get_by_test_id("user-form")).to_have_count(0)
    expect(page.get_by_text("Chỉ quản trị hệ thống được thay đổi")).to_be_visible()


def test_sign_out_everywhere_ends_the_other_sessions(
    browser: Browser, page: Page, server: Server, watch: Watch
) -> None:
    other: BrowserContext = open_context(browser, watch)
    try:
        elsewhere = other.new_page()
        sign_in(elsewhere, server, "thuky")
        sign_in(page, server, "thuky")
        page.locator("#user-menu summary").click()
        page.get_by_role("button", name="Đăng xuất trên mọi thiết bị").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("kể cả máy này")
        dialog.get_by_role("button", name="Đăng xuất trên mọi thiết bị").click()
        expect(page.get_by_role("status")).to_contain_text(re.compile(r"Đã đăng xuất \d+ phiên"))
        expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
        # The other browser's session ended too: its next request lands on the sign-in form.
        elsewhere.reload()
        expect(elsewhere.get_by_label("Tên đăng nhập")).to_be_visible()
        assert elsewhere.request.get(server.url + "/api/session").status == 401
    finally:
        other.close()


def test_the_secretary_revokes_a_tablet_and_it_returns_to_the_join_screen(
    browser: Browser, page: Page, server: Server, watch: Watch
) -> None:
    tablet_context = open_context(browser, watch, TABLET)
    try:
        tablet = tablet_context.new_page()
        join_tablet(tablet, server, "Hoàng Thị Lan")

        sign_in(page, server, "thuky")
        page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/participants")
        page.get_by_role("button", name="Thu hồi phiên máy tính bảng của Hoàng Thị Lan").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Hoàng Thị Lan")
        dialog.get_by_role("button", name="Thu hồi phiên máy tính bảng").click()
        expect(page.get_by_role("status")).to_contain_text("Đã thu hồi 1 phiên của Hoàng Thị Lan.")

        # The tablet is closed with 4409 and goes back to joining, saying why.
        expect(tablet.get_by_text("Văn phòng đã thu hồi phiên trên máy tính bảng này.")).to_be_visible()
        assert tablet.request.get(server.url + "/api/session").status == 401
    finally:
        tablet_context.close()


def test_the_new_screens_in_english(page: Page, server: Server) -> None:
    """Every new screen draws in English without a missing string (a warning fails the test)."""
    sign_in(page, server, "quantri")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", name="Certificates for tablets")).to_be_visible()
    expect(page.get_by_role("heading", name="Notice settings")).to_be_visible()
    page.get_by_role("link", name="Conclusion notices").click()
    expect(page.get_by_role("heading", name="Conclusion notices")).to_be_visible()
    for tab, heading in [("documents", "Documents"), ("conclusions", "Conclusions")]:
        page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/{tab}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
    expect(page.get_by_role("heading", name="Votes")).to_be_visible()
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", name="Biểu quyết")).to_be_visible()


def _png(width: int, height: int, *, transparent: bool = True) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new(
        "RGBA" if transparent else "RGB", (width, height), (255, 255, 255, 0) if transparent else "white"
    )
    ImageDraw.Draw(image).ellipse((2, 2, width - 3, height - 3), outline=(220, 20, 20), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_the_administrator_uploads_the_seal_and_the_signers_signature(page: Page, server: Server) -> None:
    sign_in(page, server, "quantri")
    signer = {"signer_title": "Bí thư", "signer_name": "Nguyễn Văn Thành", "authorities": []}
    call_api(page, "PUT", "/api/notice-settings", {"term_start": "2025-10-16", "signature": signer})
    page.get_by_role("link", name="Quản trị").click()
    images = page.get_by_test_id("images-section")
    seal = images.get_by_test_id("image-seal")
    expect(seal).to_contain_text("Chưa có ảnh.")
    # An image without transparency is refused by the server, and the message shown.
    seal.get_by_label("Tệp ảnh PNG").set_input_files(
        {"name": "dau.png", "mimeType": "image/png", "buffer": _png(120, 120, transparent=False)}
    )
    seal.get_by_role("button", name="Tải ảnh lên").click()
    expect(page.get_by_role("alert")).to_contain_text("nền trong suốt")
    seal.get_by_label("Tệp ảnh PNG").set_input_files(
        {"name": "dau.png", "mimeType": "image/png", "buffer": _png(120, 120)}
    )
    seal.get_by_label("Kích thước thật (mm)").fill("38")
    seal.get_by_role("button", name="Tải ảnh lên").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu ảnh.")
    expect(images.get_by_test_id("image-seal").get_by_role("img")).to_be_visible()
    signature = images.get_by_test_id("image-signature")
    expect(signature).to_contain_text("Chữ ký của đồng chí Nguyễn Văn Thành")
    signature.get_by_label("Tệp ảnh PNG").set_input_files(
        {"name": "chu-ky.png", "mimeType": "image/png", "buffer": _png(300, 120)}
    )
    signature.get_by_role("button", name="Tải ảnh lên").click()
    expect(images.get_by_test_id("image-signature").get_by_role("img")).to_be_visible()
    stored = call_api(page, "GET", "/api/notice-settings/images")["images"]
    assert [(i["kind"], i["signer"], i["width_mm"]) for i in stored] == [
        ("seal", None, 38.0),
        ("signature", "Nguyễn Văn Thành", 0.0),
    ]
    shot(page, "admin-seal-signature")
