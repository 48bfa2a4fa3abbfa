"""The secretary console and the office's preparation screens, in a real browser."""

from __future__ import annotations

import re
import urllib.request

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_MEETING_TITLE, Server, Watch, call_api, sign_in
from tests.browser.test_client_files import html_problems

pytestmark = pytest.mark.browser

DEMO_TITLE = DEMO_MEETING_TITLE


def agenda_titles(page: Page) -> list[str]:
    return page.locator("[data-testid=agenda-item] > .agenda-row .agenda-title").all_inner_texts()


def test_secretary_signs_in_and_starts_the_demo_meeting(page: Page, server: Server) -> None:
    sign_in(page, server, "thuky")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator(".topbar-user")).to_contain_text("Phạm Minh Tuấn")
    expect(page.get_by_role("link", name="Tạo cuộc họp")).to_have_count(0)  # the office's work

    page.get_by_role("link", name=re.compile("Hội nghị Ban Thường vụ Tỉnh ủy")).click()
    expect(page.get_by_test_id("meeting-title")).to_have_text(DEMO_TITLE)
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đã lên lịch")
    expect(page.get_by_test_id("agenda-item")).to_have_count(4)
    # A secretary runs the meeting but does not rewrite the prepared agenda or cancel it.
    expect(page.get_by_role("button", name="Xóa")).to_have_count(0)
    expect(page.get_by_role("button", name="Hủy cuộc họp")).to_have_count(0)

    page.get_by_role("button", name="Bắt đầu cuộc họp").click()
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đang họp")
    expect(page.get_by_role("status")).to_have_text(re.compile("Cuộc họp đã bắt đầu"))
    expect(page.get_by_role("button", name="Tạm dừng")).to_be_visible()

    # Closing asks first; "Quay lại" leaves the meeting running.
    page.get_by_role("button", name="Kết thúc cuộc họp").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Kết thúc cuộc họp?")
    dialog.get_by_role("button", name="Quay lại").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đang họp")

    page.reload()
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đang họp")
    assert call_api(page, "GET", f"/api/meetings/{server.meeting_id}")["state"] == "in_progress"


def test_office_prepares_a_meeting(page: Page, server: Server) -> None:
    sign_in(page, server, "vanphong")
    page.get_by_role("link", name="Tạo cuộc họp").click()
    page.get_by_label("Tên cuộc họp").fill("Họp Thường trực Tỉnh ủy tháng 12")
    page.get_by_label("Thời gian bắt đầu").fill("2026-12-21T14:00")
    page.get_by_label("Thời gian kết thúc (dự kiến)").fill("2026-12-21T16:30")
    page.get_by_label("Địa điểm").fill("Phòng họp số 2")
    page.get_by_role("button", name="Tạo cuộc họp").click()

    expect(page.get_by_test_id("meeting-title")).to_have_text("Họp Thường trực Tỉnh ủy tháng 12")
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đang chuẩn bị")
    expect(page.get_by_test_id("meeting-time")).to_have_text(
        re.compile(r"^14:00 – 16:30, Thứ Hai, 21/12/2026$")
    )
    expect(page.get_by_text("Chưa có nội dung họp nào")).to_be_visible()

    new = page.get_by_test_id("agenda-new-form")
    for title, presenter, minutes in [
        ("Báo cáo tình hình kinh tế - xã hội năm 2026", "Đồng chí Trịnh Thị Mai", "30"),
        ("Công tác cán bộ", "", ""),
    ]:
        new.get_by_label("Nội dung").fill(title)
        new.get_by_label("Người trình bày").fill(presenter)
        new.get_by_label("Thời lượng (phút)").fill(minutes)
        new.get_by_role("button", name="Thêm nội dung").click()
        expect(page.get_by_test_id("agenda-item").last.locator(".agenda-title").first).to_have_text(title)
    # The form is ready for the next item.
    expect(new.get_by_label("Nội dung")).to_be_focused()
    expect(new.get_by_label("Nội dung")).to_have_value("")

    first = page.get_by_test_id("agenda-item").first
    first.get_by_role("button", name="+ Thêm mục con").click()
    child_form = page.get_by_test_id("agenda-child-form")
    child_form.get_by_label("Mục con").fill("Dự thảo báo cáo chính trị")
    child_form.get_by_role("button", name="Thêm mục con").click()
    child = page.get_by_test_id("agenda-child")
    expect(child).to_have_count(1)
    expect(child).to_contain_text("1.1.")
    expect(child).to_contain_text("Dự thảo báo cáo chính trị")

    # Move the first item down: its sub-item goes with it.
    first.get_by_role(
        "button", name="Chuyển «Báo cáo tình hình kinh tế - xã hội năm 2026» xuống dưới"
    ).click()
    expect(page.get_by_test_id("agenda-item").first.locator(".agenda-title").first).to_have_text(
        "Công tác cán bộ"
    )
    assert agenda_titles(page) == ["Công tác cán bộ", "Báo cáo tình hình kinh tế - xã hội năm 2026"]
    expect(page.get_by_test_id("agenda-child")).to_contain_text("2.1.")
    page.reload()
    expect(page.get_by_test_id("agenda-item")).to_have_count(2)
    assert agenda_titles(page) == ["Công tác cán bộ", "Báo cáo tình hình kinh tế - xã hội năm 2026"]

    # Edit an item in place.
    page.get_by_test_id("agenda-item").first.get_by_role("button", name="Sửa").first.click()
    edit = page.get_by_test_id("agenda-edit-form")
    edit.get_by_label("Nội dung").fill("Công tác cán bộ (nội dung mật)")
    edit.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("agenda-item").first.locator(".agenda-title").first).to_have_text(
        "Công tác cán bộ (nội dung mật)"
    )

    # Participants: a user from the list as chair, and a guest typed by name.
    page.get_by_role("tab", name="Thành phần tham dự").click()
    form = page.get_by_test_id("participant-form")
    form.get_by_label("Chọn từ danh sách cán bộ").select_option(label="Nguyễn Văn Thành — Bí thư Tỉnh ủy")
    expect(form.get_by_label("Họ và tên")).to_be_hidden()
    form.get_by_label("Vai trò").select_option(label="Chủ trì")
    form.get_by_role("button", name="Thêm vào danh sách").click()
    expect(page.get_by_test_id("participant")).to_have_count(1)

    form.get_by_label("Họ và tên").fill("Trần Văn Khách")
    form.get_by_label("Chức vụ").fill("Giám đốc Sở Tài chính")
    form.get_by_label("Vai trò").select_option(label="Khách mời")
    expect(form.get_by_label("Có quyền biểu quyết")).to_be_disabled()
    expect(form.get_by_label("Có quyền biểu quyết")).not_to_be_checked()
    form.get_by_role("button", name="Thêm vào danh sách").click()
    expect(page.get_by_test_id("participant")).to_have_count(2)
    guest = page.get_by_test_id("participant").filter(has_text="Trần Văn Khách")
    expect(guest.get_by_label("Vai trò")).to_have_value("guest")
    expect(page.get_by_text("2 thành phần, 1 có quyền biểu quyết")).to_be_visible()
    # The user already added is no longer offered.
    expect(
        form.get_by_label("Chọn từ danh sách cán bộ").locator("option", has_text="Nguyễn Văn Thành")
    ).to_have_count(0)

    # Roll call: the chair present, the guest absent with a reason.
    page.get_by_role("tab", name="Điểm danh").click()
    chair = page.get_by_test_id("rollcall-row").filter(has_text="Nguyễn Văn Thành")
    chair.get_by_role("button", name="Có mặt", exact=True).click()
    expect(chair.get_by_role("button", name="Có mặt", exact=True)).to_have_attribute("aria-pressed", "true")
    row = page.get_by_test_id("rollcall-row").filter(has_text="Trần Văn Khách")
    row.get_by_role("button", name="Vắng mặt", exact=True).click()
    reason = row.get_by_label("Lý do vắng mặt của Trần Văn Khách")
    expect(reason).to_be_focused()
    reason.fill("Đi công tác tại Hà Nội")
    row.get_by_role("button", name="Ghi vắng mặt").click()
    expect(row.get_by_role("button", name="Vắng mặt", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(row.get_by_role("button", name="Có mặt", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(row).to_contain_text("Lý do: Đi công tác tại Hà Nội")
    summary = page.get_by_test_id("rollcall-summary")
    expect(summary).to_contain_text("Có mặt: 1")
    expect(summary).to_contain_text("Vắng mặt: 1")
    expect(summary).to_contain_text("Chưa điểm danh: 0")

    meeting_id = int(page.url.rsplit("/", 2)[-2])
    stored = {p["full_name"]: p for p in call_api(page, "GET", f"/api/meetings/{meeting_id}")["participants"]}
    assert stored["Trần Văn Khách"]["attendance"] == "absent"
    assert stored["Trần Văn Khách"]["absence_reason"] == "Đi công tác tại Hà Nội"
    assert stored["Trần Văn Khách"]["voting_member"] is False
    assert stored["Nguyễn Văn Thành"]["role"] == "chair"

    # Remove the guest (asks first).
    page.get_by_role("tab", name="Thành phần tham dự").click()
    page.get_by_role("button", name="Xóa Trần Văn Khách khỏi thành phần tham dự").click()
    page.get_by_test_id("dialog-confirm").click()
    expect(page.get_by_test_id("participant")).to_have_count(1)


def test_join_code_is_issued_reissued_and_revoked(page: Page, server: Server, watch: Watch) -> None:
    sign_in(page, server, "vanphong")
    created = call_api(
        page,
        "POST",
        "/api/meetings",
        {"title": "Họp giao ban Văn phòng", "starts_at": "2026-12-22T08:00:00+07:00"},
    )
    page.goto(f"{server.url}/console/#/meetings/{created['id']}/join")
    expect(page.get_by_test_id("join-code-none")).to_be_visible()

    page.get_by_role("button", name="Lên lịch họp").click()
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đã lên lịch")
    code = page.get_by_test_id("join-code")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4} [0-9A-Z]{4}$"))
    first = code.inner_text()
    expect(page.locator(".join-url")).to_have_text(f"{server.url}/tablet/#join={first.replace(' ', '')}")

    page.get_by_role("button", name="Cấp mã mới").click()
    page.get_by_test_id("dialog-confirm").click()
    expect(code).not_to_have_text(first)
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4} [0-9A-Z]{4}$"))

    page.get_by_role("button", name="Thu hồi mã").click()
    page.get_by_test_id("dialog-confirm").click()
    expect(page.get_by_test_id("join-code-none")).to_be_visible()
    assert call_api(page, "GET", f"/api/meetings/{created['id']}")["join_code"] is None


def test_join_qr_code_renders(page: Page, server: Server) -> None:
    sign_in(page, server, "vanphong")
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/join")
    qr = page.get_by_test_id("join-qr")
    expect(qr).to_be_attached()
    page.wait_for_function("() => document.querySelector('[data-testid=join-qr]').complete")
    assert qr.evaluate("img => img.naturalWidth") > 0
    expect(qr).to_be_visible()


def test_wrong_password_shows_the_servers_message(page: Page, server: Server) -> None:
    page.goto(server.url + "/console/")
    page.get_by_label("Tên đăng nhập").fill("thuky")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    banner = page.get_by_role("alert")
    expect(banner).to_have_text(re.compile("Tên đăng nhập hoặc mật khẩu không đúng."))
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("thuky")  # nothing to type again
    banner.get_by_role("button", name="Đóng thông báo").click()
    expect(banner).to_have_count(0)


def test_an_api_error_on_the_meeting_page_is_shown_in_the_banner(page: Page, server: Server) -> None:
    sign_in(page, server, "vanphong")
    page.goto(f"{server.url}/console/#/meetings/999999")
    expect(page.get_by_role("alert")).to_have_text(re.compile("Không tìm thấy cuộc họp."))


def test_switching_to_english_changes_labels_and_server_messages(page: Page, server: Server) -> None:
    page.goto(server.url + "/console/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page).to_have_title(re.compile("^Console"))
    page.get_by_label("Username").fill("thuky")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("Wrong username or password."))

    page.get_by_label("Password").fill("phonghop-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Meetings")).to_be_visible()
    page.reload()  # the choice is remembered
    expect(page.get_by_role("heading", name="Meetings")).to_be_visible()
    page.get_by_test_id("meeting-card").first.click()
    expect(page.get_by_role("tab", name="Roll call")).to_be_visible()
    expect(page.get_by_role("tab", name="Agenda")).to_be_visible()

    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_role("tab", name="Điểm danh")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_session_survives_reload_until_sign_out(page: Page, server: Server) -> None:
    sign_in(page, server, "bithu")
    page.reload()
    expect(page.get_by_role("heading", name="Danh sách cuộc họp")).to_be_visible()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()


def test_served_pages_have_no_inline_script_or_handler(server: Server) -> None:
    for path in ("/console/", "/tablet/"):
        with urllib.request.urlopen(server.url + path, timeout=5) as r:
            assert r.status == 200
            assert html_problems(r.read().decode("utf-8")) == []
