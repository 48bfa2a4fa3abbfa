"""Meeting documents on the console, in a real browser: upload with progress and the
server's check, refused files explained, editing, a new version, the audit list, recall."""

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

from playwright.sync_api import Page, expect
from pypdf import PdfWriter

from tests.browser.conftest import Server, call_api, sign_in
from tests.factories import blank_pdf

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
# The upload label's texts as the MutationObserver below saw them, in order.
RECORD_STATES = """() => {
    window.__uploadStates = [];
    const seen = (el) => el.matches?.('[data-testid=upload-status] .upload-label');
    new MutationObserver((records) => {
        for (const r of records) {
            const el = r.target.nodeType === 3 ? r.target.parentElement : r.target;
            if (el && seen(el)) window.__uploadStates.push(el.textContent);
        }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(blank_pdf(1)))
    writer.encrypt(user_password="mật-khẩu", owner_password="chủ", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_file(name: str, data: bytes, mime: str = "application/pdf") -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def open_documents(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/documents")
    expect(page.get_by_role("tab", name="Tài liệu")).to_have_attribute("aria-selected", "true")


def document_card(page: Page, title: str) -> Any:
    return page.get_by_test_id("document").filter(
        has=page.get_by_test_id("document-title").get_by_text(title, exact=True)
    )


def test_office_uploads_edits_versions_audits_and_recalls_a_document(page: Page, server: Server) -> None:
    sign_in(page, server, "vanphong")
    open_documents(page, server)
    before = len(call_api(page, "GET", f"/api/meetings/{server.meeting_id}/documents")["documents"])
    expect(page.get_by_test_id("document")).to_have_count(before)
    expect(page.get_by_text(f"{before} tài liệu")).to_be_visible()
    form = page.get_by_test_id("upload-form")

    # Nothing chosen: said in the form, nothing sent.
    form.get_by_role("button", name="Tải lên").click()
    expect(form.get_by_test_id("upload-error")).to_contain_text("Hãy chọn tệp PDF cần tải lên.")

    # A Word file, a password-protected PDF and a damaged PDF are each refused with the reason.
    refused = [
        (
            pdf_file("bao-cao.docx", b"PK\x03\x04 not a pdf", "application/msword"),
            "document_not_pdf",
            "không phải là tài liệu PDF",
        ),
        (pdf_file("mat-khau.pdf", encrypted_pdf()), "pdf_encrypted", "đặt mật khẩu"),
        (
            pdf_file("hong.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"),
            "pdf_malformed",
            "bị hỏng",
        ),
    ]
    for upload, code, text in refused:
        form.get_by_test_id("upload-file").set_input_files(upload)
        form.get_by_role("button", name="Tải lên").click()
        error = form.get_by_test_id("upload-error")
        expect(error).to_have_attribute("data-code", code)
        expect(error).to_contain_text(text)
        expect(form.get_by_test_id("upload-status")).to_be_hidden()
    expect(form.get_by_test_id("upload-error")).to_contain_text("xuất lại PDF")  # the hint for a damaged file
    shot(page, "console-documents-refused")
    assert len(call_api(page, "GET", f"/api/meetings/{server.meeting_id}/documents")["documents"]) == before

    # A good PDF: the progress bar, then "checking", then the document in the list.
    page.evaluate(RECORD_STATES)
    form.get_by_test_id("upload-file").set_input_files(pdf_file("to-trinh-ngan-sach.pdf", blank_pdf(3)))
    form.get_by_label("Tên tài liệu").fill("Tờ trình dự toán ngân sách năm 2027")
    form.get_by_label("Thuộc nội dung").select_option(
        label="2. Báo cáo tình hình giải ngân vốn đầu tư công 11 tháng năm 2026"
    )
    form.get_by_role("button", name="Tải lên").click()
    card = document_card(page, "Tờ trình dự toán ngân sách năm 2027")
    expect(card).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "Đã thêm tài liệu «Tờ trình dự toán ngân sách năm 2027»"
    )
    states: list[str] = page.evaluate("() => window.__uploadStates")
    assert any(re.fullmatch(r"Đang tải lên… \d+%", s) for s in states), states
    assert states[-1] == "Đang kiểm tra tài liệu…", states
    expect(card).to_contain_text("2. Báo cáo tình hình giải ngân vốn đầu tư công")
    expect(card.get_by_test_id("document-version")).to_have_text("Phiên bản 1")
    expect(card).to_contain_text("3 trang")
    expect(card.get_by_test_id("document-access")).to_have_text("Mọi thành phần tham dự")
    expect(page.get_by_text(f"{before + 1} tài liệu")).to_be_visible()

    # Classified and for named participants only; a list with nobody in it is refused here.
    card.get_by_role("button", name="Sửa «Tờ trình dự toán ngân sách năm 2027»").click()
    edit = page.get_by_test_id("document-edit-form")
    edit.get_by_label("Độ mật").select_option(label="Mật")
    edit.get_by_label("Ai được xem").select_option(label="Những người được chọn")
    edit.get_by_role("button", name="Lưu").click()
    expect(edit.get_by_role("alert")).to_have_text("Hãy chọn ít nhất một người được xem tài liệu.")
    edit.get_by_test_id("access-people").get_by_label("Trần Quốc Hưng").check()
    edit.get_by_test_id("access-people").get_by_label("Đặng Văn Lực").check()
    edit.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("document-edit-form")).to_have_count(0)
    expect(card.get_by_test_id("document-access")).to_have_text("Chỉ: Trần Quốc Hưng, Đặng Văn Lực")
    expect(card.locator(".badge-secret")).to_have_text("Mật")
    docs = call_api(page, "GET", f"/api/meetings/{server.meeting_id}/documents")["documents"]
    stored = next(d for d in docs if d["title"] == "Tờ trình dự toán ngân sách năm 2027")
    assert stored["classification"] == "confidential"
    assert stored["access"]["mode"] == "named" and len(stored["access"]["participant_ids"]) == 2

    # A new version replaces the pages; the first one stays on the server.
    card.get_by_test_id("version-file").set_input_files(pdf_file("to-trinh-v2.pdf", blank_pdf(5)))
    expect(card.get_by_test_id("document-version")).to_have_text("Phiên bản 2")
    expect(card).to_contain_text("5 trang")
    stored = call_api(page, "GET", f"/api/documents/{stored['id']}")
    assert [v["number"] for v in stored["versions"]] == [1, 2]
    # Its pages are watermarked in advance for each reader, in the background; the card
    # follows the progress until every page of the new version is done.
    expect(card.get_by_test_id("document-premark")).to_have_text(
        re.compile(r"^Đã in dấu chìm trước cho người được xem: (\d+)/\1 trang\.$"), timeout=120_000
    )

    # A classified page leaves the server watermarked, and the audit list says so.
    served = page.request.get(f"{server.url}/api/versions/{stored['version']['id']}/pages/2?w=320")
    assert served.ok
    card.get_by_role("button", name="Nhật ký xem").click()
    audit = card.get_by_test_id("document-audit")
    expect(audit).to_contain_text("Tải lên")
    expect(audit).to_contain_text("Sửa thông tin")
    expect(audit).to_contain_text("Tải phiên bản mới")
    served_row = audit.locator("tr", has_text="Nhận trang (có dấu chìm)")
    expect(served_row).to_contain_text("Lê Thị Thu Hà")
    expect(served_row.locator("td").nth(3)).to_have_text("2")
    shot(page, "console-documents")

    # Recall asks first; then the document is marked and refused to tablets.
    card.get_by_role("button", name="Thu hồi «Tờ trình dự toán ngân sách năm 2027»").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("sẽ bị xóa khỏi mọi máy tính bảng")
    dialog.get_by_role("button", name="Thu hồi").click()
    expect(card.get_by_test_id("document-recalled")).to_have_text("Đã thu hồi")
    expect(card.get_by_role("button", name=re.compile("^Thu hồi"))).to_have_count(0)
    expect(card.get_by_role("button", name=re.compile("^Sửa"))).to_have_count(0)
    assert call_api(page, "GET", f"/api/documents/{stored['id']}")["recalled"] is True


def test_new_meeting_shows_a_helpful_empty_state(page: Page, server: Server) -> None:
    sign_in(page, server, "vanphong")
    meeting = call_api(
        page,
        "POST",
        "/api/meetings",
        {"title": "Họp giao ban Văn phòng", "starts_at": "2026-12-22T01:00:00Z"},
    )
    page.goto(f"{server.url}/console/#/meetings/{meeting['id']}/documents")
    empty = page.get_by_test_id("documents-empty")
    expect(empty).to_contain_text("Cuộc họp chưa có tài liệu nào")
    expect(empty).to_contain_text("Tải tệp PDF lên ở trên")
    expect(page.get_by_test_id("upload-form")).to_be_visible()
    page.set_viewport_size({"width": 800, "height": 1280})
    shot(page, "console-documents-empty-portrait")


def test_a_delegate_reads_the_list_but_cannot_upload(page: Page, server: Server) -> None:
    sign_in(page, server, "quantri")
    user = call_api(
        page,
        "POST",
        "/api/users",
        {
            "username": "daibieu_tailieu",
            "full_name": "Mai Văn Đông",
            "role": "member",
            "password": "doc-tai-lieu-1",
        },
    )
    call_api(
        page,
        "POST",
        f"/api/meetings/{server.meeting_id}/participants",
        {"user_id": user["id"], "role": "delegate"},
    )
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_label("Tên đăng nhập").fill("daibieu_tailieu")
    page.get_by_label("Mật khẩu").fill("doc-tai-lieu-1")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Danh sách cuộc họp").wait_for()
    open_documents(page, server)
    expect(page.get_by_test_id("document").first).to_be_visible()
    expect(page.get_by_test_id("upload-form")).to_have_count(0)
    expect(page.get_by_test_id("document-access")).to_have_count(0)  # the access list is the office's
    for name in ("^Thu hồi", "^Sửa", "Nhật ký xem"):
        expect(page.get_by_role("button", name=re.compile(name))).to_have_count(0)
