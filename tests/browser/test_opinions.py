"""Written opinions and the comment table in a real browser: the office sends a
consultation on a unit's draft, a member reads the draft and answers on an article, the
office sees the tally, the drafting unit answers the comment, and the table downloads as
DOCX and XLSX that python-docx and openpyxl read back."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from docx import Document as DocxDocument
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from phonghop.demo.documents import sample_documents
from tests.browser.conftest import (
    PASSWORD,
    TABLET,
    Server,
    Watch,
    call_api,
    join_tablet,
    open_context,
    sign_in,
)

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
DRAFT_TITLE = "Dự thảo Nghị quyết chuyển đổi số (bản góp ý)"
COMMENT = "Đề nghị tính mức hỗ trợ trạm phát sóng theo vùng khó khăn."
ANSWER = "Đã bổ sung mức hỗ trợ riêng cho xã đặc biệt khó khăn."
NOTE = "Làm rõ đối tượng hộ kinh doanh cá thể."


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"opinions-{name}.png"), full_page=True)


def unit_draft(page: Page, server: Server) -> int:
    """The administrator adds the science department and its clerk; the clerk submits the
    draft resolution for the third agenda item; the office approves and publishes it."""
    sign_in(page, server, "quantri")
    unit = call_api(page, "POST", "/api/units", {"name": "Sở Khoa học và Công nghệ"})
    call_api(
        page,
        "POST",
        "/api/users",
        {
            "username": "sokhcn",
            "full_name": "Trần Văn Khoa",
            "title": "Chuyên viên Sở Khoa học và Công nghệ",
            "role": "member",
            "password": PASSWORD,
            "unit_id": unit["id"],
        },
    )
    item = call_api(page, "GET", f"/api/meetings/{server.meeting_id}")["agenda"][2]["id"]
    pdf = next(d.pdf_bytes for d in sample_documents() if d.title.startswith("Dự thảo Nghị quyết"))
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, server, "sokhcn")
    csrf = page.request.get(server.url + "/api/session").json()["csrf_token"]
    r = page.request.post(
        f"{server.url}/api/preparation/meetings/{server.meeting_id}/drafts",
        params={"agenda_item_id": str(item), "title": DRAFT_TITLE},
        data=pdf,
        headers={"Content-Type": "application/pdf", "X-CSRF-Token": csrf},
    )
    assert r.status == 201, r.text()
    document_id: int = r.json()["id"]
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, server, "vanphong")
    call_api(page, "POST", f"/api/documents/{document_id}/approve", {})
    call_api(page, "POST", f"/api/documents/{document_id}/publish", {})
    return document_id


def test_a_consultation_on_a_draft_ends_in_the_comment_table(
    browser: Browser, server: Server, page: Page, watch: Watch
) -> None:
    document_id = unit_draft(page, server)

    # The office sends the consultation on the draft to a delegate and the chair.
    page.get_by_role("link", name="Lấy ý kiến").click()
    expect(page.get_by_role("heading", name="Lấy ý kiến")).to_be_visible()
    page.get_by_test_id("consultation-new").click()
    form = page.get_by_test_id("consultation-form")
    form.get_by_label("Tiêu đề").fill("Lấy ý kiến dự thảo Nghị quyết chuyển đổi số")
    form.get_by_label("Nội dung xin ý kiến").fill("Đề nghị các đồng chí cho ý kiến vào dự thảo Nghị quyết.")
    form.get_by_label("Cuộc họp (nếu có)").select_option(str(server.meeting_id))
    drafts = form.get_by_label("Dự thảo xin ý kiến")
    expect(drafts.locator("option", has_text=DRAFT_TITLE)).to_have_count(1)
    drafts.select_option(str(document_id))
    form.get_by_label("Trần Quốc Hưng — Phó Bí thư Thường trực Tỉnh ủy").check()
    form.get_by_label("Nguyễn Văn Thành — Bí thư Tỉnh ủy").check()
    shot(page, "office-create")
    form.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.get_by_test_id("consultation-tally")).to_contain_text("Đã trả lời 0/2")
    consultation_url = page.url

    # The chair (a member with an account) reads the draft's pages and answers on Điều 5, page 2.
    member_context = open_context(browser, watch)
    try:
        member = member_context.new_page()
        sign_in(member, server, "bithu")
        member.get_by_role("link", name="Lấy ý kiến").click()
        member.get_by_test_id("consultation-card").first.click()
        expect(member.get_by_test_id("draft-page")).to_be_visible()
        # Visible is not loaded: wait for the image to be complete (a condition, not a delay).
        expect(member.get_by_test_id("draft-page")).to_have_js_property("complete", True)
        assert member.get_by_test_id("draft-page").evaluate("img => img.naturalWidth") > 0
        answer = member.get_by_test_id("answer-form")
        answer.get_by_test_id("choice-other").check()
        answer.get_by_label("Nội dung góp ý").fill(COMMENT)
        answer.locator("select[name=page]").select_option("2")
        answer.get_by_label("Phần, chương, điều, khoản").fill("Điều 5, khoản 1")
        shot(member, "member-answer")
        answer.get_by_role("button", name="Gửi ý kiến").click()
        expect(member.get_by_test_id("my-answer")).to_contain_text("Ý kiến khác (Điều 5, khoản 1, trang 2)")
    finally:
        member_context.close()

    # The office sees the tally and who has not answered, then opens the comment table.
    assert page.url == consultation_url
    page.reload()
    expect(page.get_by_test_id("consultation-tally")).to_contain_text("Đã trả lời 1/2")
    expect(page.get_by_test_id("not-answered")).to_contain_text("Trần Quốc Hưng")
    shot(page, "office-tally")
    page.get_by_test_id("open-comments").click()
    section = page.get_by_test_id("comment-section")
    expect(section).to_have_count(1)
    expect(section.get_by_role("heading")).to_have_text("Điều 5. Hỗ trợ phát triển hạ tầng số và dữ liệu")
    expect(section.get_by_test_id("comment")).to_contain_text(COMMENT)
    expect(page.get_by_test_id("comment-answer-form")).to_have_count(0)  # the unit answers, not the office

    # The drafting unit answers the comment and downloads the table.
    clerk_context = open_context(browser, watch)
    try:
        clerk = clerk_context.new_page()
        sign_in(clerk, server, "sokhcn")
        clerk.get_by_role("link", name="Lấy ý kiến").click()
        clerk.get_by_test_id("comment-table-link").filter(has_text=DRAFT_TITLE).click()
        comment = clerk.get_by_test_id("comment").filter(has_text=COMMENT)
        expect(comment.get_by_test_id("comment-unanswered")).to_be_visible()
        comment.locator("select[name=kind]").select_option("accepted")
        comment.get_by_label("Nội dung tiếp thu, giải trình").fill(ANSWER)
        comment.get_by_role("button", name="Lưu").click()
        comment = clerk.get_by_test_id("comment").filter(has_text=COMMENT)
        expect(comment.get_by_test_id("comment-answer")).to_contain_text(f"Tiếp thu {ANSWER}")
        shot(clerk, "unit-answered")

        with clerk.expect_download() as info:
            clerk.get_by_test_id("comments-docx").click()
        docx_bytes = Path(info.value.path()).read_bytes()
        with clerk.expect_download() as info:
            clerk.get_by_test_id("comments-xlsx").click()
        xlsx_bytes = Path(info.value.path()).read_bytes()
    finally:
        clerk_context.close()

    doc = DocxDocument(io.BytesIO(docx_bytes))
    rows = [[cell.text for cell in row.cells] for row in doc.tables[0].rows]
    assert rows[0] == ["STT", "Nội dung dự thảo", "Ý kiến góp ý", "Người/đơn vị góp ý", "Tiếp thu/giải trình"]
    assert set(rows[1]) == {"Điều 5. Hỗ trợ phát triển hạ tầng số và dữ liệu"}
    assert rows[2][:3] == ["1", "Điều 5, khoản 1, trang 2", COMMENT]
    assert rows[2][3].startswith("Nguyễn Văn Thành") and rows[2][4] == f"Tiếp thu: {ANSWER}"
    sheet = load_workbook(io.BytesIO(xlsx_bytes)).active
    assert sheet is not None
    values: list[list[Any]] = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "STT")
    assert values[header + 2][:3] == [1, "Điều 5, khoản 1, trang 2", COMMENT]

    # During the meeting a delegate writes a note on the draft with "Gửi làm góp ý" on: it
    # goes into the table under the article above it, while the note stays private.
    tablet_context = open_context(browser, watch, TABLET)
    try:
        tablet = tablet_context.new_page()
        join_tablet(tablet, server, "Trần Quốc Hưng")
        tablet.get_by_test_id("open-document").filter(has_text=DRAFT_TITLE).click()
        expect(tablet.get_by_test_id("viewer-page")).to_have_text(re.compile(r"^Trang 1/3$"))
        tablet.get_by_test_id("annotate-toggle").click()
        tablet.get_by_test_id("annotate-feedback").click()
        expect(tablet.get_by_test_id("annotate-feedback")).to_have_attribute("aria-pressed", "true")
        tablet.get_by_test_id("annotate-bar").get_by_role("button", name="Ghi chữ", exact=True).click()
        layer = tablet.get_by_test_id("annotation-layer")
        box = layer.bounding_box()
        assert box
        tablet.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.85)
        tablet.get_by_test_id("note-text").fill(NOTE)
        tablet.get_by_role("button", name="Lưu ghi chú").click()
        expect(layer.locator("[data-kind=note]")).to_contain_text(NOTE)
        tablet.wait_for_function("() => !document.querySelector('[data-testid=annotate-status]').textContent")
        shot(tablet, "tablet-feedback")
    finally:
        tablet_context.close()
    page.reload()
    sections = page.get_by_test_id("comment-section")
    expect(sections).to_have_count(2)
    expect(sections.first.get_by_role("heading")).to_have_text(
        "Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng"
    )
    expect(sections.first.get_by_test_id("comment")).to_contain_text(NOTE)
    expect(sections.first.get_by_test_id("comment")).to_contain_text("Trần Quốc Hưng")
    shot(page, "office-table")
