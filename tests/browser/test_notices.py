"""After the meeting, in a real browser: conclusions per agenda item, drafting the notice,
the structured editor with the server's PDF preview, issuing, downloads, list and search."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Page, expect

from phonghop.notices.edxml import check_package
from tests.browser.conftest import Server, call_api, sign_in

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
FIRST_ITEM = "1. Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027"


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def preview_src(page: Page) -> str:
    src = page.get_by_test_id("notice-preview").get_attribute("src")
    assert src
    return src


def test_office_records_conclusions_drafts_edits_and_issues_the_notice(page: Page, server: Server) -> None:
    meeting = server.meeting_id
    # No administrator step: the demo comes with a term, a signer and a demo test certificate.
    sign_in(page, server, "vanphong")
    expect(page.get_by_role("link", name="Thông báo kết luận")).to_be_visible()

    # Before the meeting begins there is nothing to conclude.
    page.goto(f"{server.url}/console/#/meetings/{meeting}/conclusions")
    expect(page.get_by_text("Kết luận được ghi khi cuộc họp đã bắt đầu.")).to_be_visible()
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/start")
    page.reload()

    item = page.get_by_test_id("conclusion").filter(has_text=FIRST_ITEM)
    item.get_by_label("Tóm tắt kết luận").fill("Ban Thường vụ cơ bản thống nhất với Tờ trình.")
    item.get_by_role("button", name="+ Thêm ý kết luận").click()
    item.get_by_role("button", name="Lưu kết luận").click()
    expect(page.get_by_role("alert")).to_contain_text("Mỗi ý kết luận cần có nội dung.")  # an empty point
    point = item.get_by_test_id("conclusion-point")
    point.get_by_label("Nội dung kết luận").fill("Hoàn thiện hồ sơ theo ý kiến góp ý")
    point.get_by_label("Đơn vị chủ trì").fill("Sở Tài chính")
    point.get_by_label("Đơn vị phối hợp").fill("Sở Nội vụ; Sở Kế hoạch và Đầu tư")
    point.get_by_label("Thời hạn").fill("2026-12-15")
    item.get_by_role("button", name="Lưu kết luận").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu kết luận nội dung 1.")
    stored = call_api(page, "GET", f"/api/meetings/{meeting}/conclusions")["conclusions"][0]
    assert stored["summary"] == "Ban Thường vụ cơ bản thống nhất với Tờ trình."
    assert stored["points"] == [
        {
            "text": "Hoàn thiện hồ sơ theo ý kiến góp ý",
            "chu_tri": "Sở Tài chính",
            "phoi_hop": ["Sở Nội vụ", "Sở Kế hoạch và Đầu tư"],
            "deadline": "2026-12-15",
        }
    ]
    # Drafting waits for the close.
    expect(page.get_by_test_id("notice-draft-form")).to_have_count(0)
    call_api(page, "POST", f"/api/meetings/{meeting}/actions/close")
    page.reload()
    draft = page.get_by_test_id("notice-draft-form")
    draft.get_by_label("Về nội dung").fill("về kế hoạch phát triển kinh tế - xã hội năm 2027")
    shot(page, "console-conclusions")
    draft.get_by_role("button", name="Soạn thông báo").click()

    # The editor: the server's warnings, the structured fields and the PDF preview.
    expect(page).to_have_url(re.compile(r"#/notices/\d+$"))
    notice_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name="Dự thảo (chưa có số)")).to_be_visible()
    warnings = page.get_by_test_id("notice-warnings")
    expect(warnings.locator("[data-code=attendance_not_recorded]")).to_be_visible()
    editor = page.get_by_test_id("notice-editor")
    expect(editor.get_by_label("Trích yếu")).to_have_value(re.compile("kinh tế - xã hội năm 2027"))
    expect(editor.get_by_test_id("notice-point").first).to_contain_text("1.")
    expect(editor.get_by_label("Họ và tên người ký")).to_have_value("Nguyễn Văn Thành")
    first_src = preview_src(page)
    assert f"/api/notices/{notice_id}/pdf?v=" in first_src
    page.wait_for_function(
        "id => [...document.querySelectorAll('iframe')].some(f => f.src.includes(`/api/notices/${id}/pdf`))",
        arg=notice_id,
    )
    preview = page.request.get(first_src)
    assert preview.ok and preview.headers["content-type"] == "application/pdf"

    editor.get_by_label("Trích yếu").fill("kết luận của Ban Thường vụ Tỉnh ủy về kế hoạch năm 2027")
    editor.get_by_role("button", name="+ Thêm đoạn").click()
    editor.get_by_test_id("notice-point").last.get_by_label("Nội dung đoạn").fill(
        "Giao Văn phòng Tỉnh ủy theo dõi, đôn đốc thực hiện."
    )
    editor.get_by_label("Nơi nhận").fill("Ban Bí thư (để báo cáo)\nCác đồng chí Tỉnh ủy viên")
    editor.get_by_role("button", name="Lưu dự thảo").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu dự thảo")
    expect(page.get_by_test_id("notice-preview")).not_to_have_attribute("src", first_src)
    saved = call_api(page, "GET", f"/api/notices/{notice_id}")
    assert saved["summary"] == "kết luận của Ban Thường vụ Tỉnh ủy về kế hoạch năm 2027"
    assert saved["draft"]["points"][-1]["text"] == "Giao Văn phòng Tỉnh ủy theo dõi, đôn đốc thực hiện."
    assert saved["draft"]["recipients"] == ["Ban Bí thư (để báo cáo)", "Các đồng chí Tỉnh ủy viên"]
    shot(page, "console-notice-editor")

    # Issue: asked first, since the number is final; "Quay lại" leaves the draft alone.
    page.get_by_test_id("notice-issue").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Số đã cấp không thể thay đổi")
    dialog.get_by_role("button", name="Quay lại").click()
    assert call_api(page, "GET", f"/api/notices/{notice_id}")["state"] == "draft"
    page.get_by_test_id("notice-issue").click()
    page.get_by_role("dialog").get_by_role("button", name="Ban hành").click()
    number = page.get_by_test_id("notice-number")
    expect(number).to_have_text(re.compile(r"^Số \d+-TB/TU$"))
    expect(page.get_by_test_id("notice-state")).to_have_text("Đã ban hành")
    expect(page.get_by_test_id("notice-editor")).to_have_count(0)
    expect(page.get_by_text("Đã ký số")).to_be_visible()  # with the demo's test certificate
    issued = call_api(page, "GET", f"/api/notices/{notice_id}")
    assert issued["state"] == "issued" and issued["number_label"] == number.inner_text()
    assert issued["signed"]
    for kind, mime in [("pdf", "application/pdf"), ("docx", "officedocument.wordprocessingml")]:
        href = page.get_by_test_id(f"download-{kind}").get_attribute("href")
        assert href
        response = page.request.get(href)
        assert response.ok and mime in response.headers["content-type"]
        assert len(response.body()) == issued["files"][kind]["size"]
    # The package for the office's document system, with the signed PDF inside.
    response = page.request.get(page.get_by_test_id("download-edxml").get_attribute("href") or "")
    assert response.ok and response.headers["content-type"].startswith("application/xml")
    assert check_package(response.body()) == []
    assert b"<edXML:CodeNotation>TB/TU</edXML:CodeNotation>" in response.body()
    shot(page, "console-notice-issued")

    # The demo meeting is over: its page says how to start the demo again.
    page.goto(f"{server.url}/console/#/meetings/{meeting}")
    expect(page.get_by_test_id("demo-ended")).to_contain_text("scripts/demo --reset")

    # The list, and search without diacritics.
    page.get_by_role("link", name="Thông báo kết luận").click()
    expect(page.get_by_test_id("notice-row")).to_have_count(1)
    expect(page.get_by_test_id("notice-row")).to_contain_text(issued["number_label"])
    page.get_by_label("Tìm thông báo").fill("ke hoach nam 2027")
    page.get_by_role("button", name="Tìm").click()
    expect(page).to_have_url(re.compile(r"#/notices\?q=ke\+hoach"))
    expect(page.get_by_test_id("notice-row")).to_have_count(1)
    shot(page, "console-notices")
    page.get_by_label("Tìm thông báo").fill("quốc phòng an ninh")
    page.get_by_role("button", name="Tìm").click()
    expect(page.get_by_text("Không tìm thấy thông báo phù hợp")).to_be_visible()
    page.get_by_label("Tình trạng").select_option(label="Dự thảo")
    page.get_by_label("Tìm thông báo").fill("")
    page.get_by_role("button", name="Tìm").click()
    expect(page.get_by_test_id("notice-row")).to_have_count(0)


def test_a_secretary_sees_no_notices(page: Page, server: Server) -> None:
    sign_in(page, server, "thuky")
    expect(page.get_by_role("link", name="Thông báo kết luận")).to_be_hidden()
