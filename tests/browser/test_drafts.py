"""Document preparation in a real browser: a unit's clerk sends a draft for an agenda item
from "Dự thảo của đơn vị"; the office returns it with a reason from the meeting's
documents tab; the clerk sees why and sends a corrected version; the office approves and
publishes it, and the clerk sees it published."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PASSWORD, Server, Watch, call_api, open_context, sign_in
from tests.factories import blank_pdf

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
ITEM = "2. Báo cáo tình hình giải ngân vốn đầu tư công 11 tháng năm 2026"
REASON = "Bổ sung số liệu giải ngân của tháng 11"


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"drafts-{name}.png"), full_page=True)


def pdf_file(name: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": data}


def make_unit_clerk(page: Page, server: Server) -> None:
    """The administrator adds the finance department and its clerk."""
    sign_in(page, server, "quantri")
    unit = call_api(page, "POST", "/api/units", {"name": "Sở Tài chính"})
    call_api(
        page,
        "POST",
        "/api/users",
        {
            "username": "sotaichinh",
            "full_name": "Nguyễn Thị Thu",
            "title": "Chuyên viên Sở Tài chính",
            "role": "member",
            "password": PASSWORD,
            "unit_id": unit["id"],
        },
    )


def item_row(page: Page) -> Any:
    return page.get_by_test_id("drafts-item").filter(has_text=ITEM)


def draft_card(page: Page) -> Any:
    return page.get_by_test_id("document").filter(has_text="Báo cáo giải ngân (dự thảo)")


def test_a_unit_drafts_and_the_office_returns_approves_and_publishes(
    browser: Browser, server: Server, page: Page, watch: Watch
) -> None:
    make_unit_clerk(page, server)
    clerk_context = open_context(browser, watch)
    try:
        clerk = clerk_context.new_page()
        sign_in(clerk, server, "sotaichinh")
        clerk.get_by_role("link", name="Dự thảo của đơn vị").click()
        expect(clerk.get_by_role("heading", name="Dự thảo của đơn vị")).to_be_visible()
        expect(clerk.get_by_test_id("drafts-unit")).to_have_text("Đơn vị: Sở Tài chính")
        row = item_row(clerk)
        expect(row).to_contain_text("Đơn vị chưa gửi dự thảo cho nội dung này.")

        # The clerk sends a draft for the second item.
        row.get_by_test_id("draft-file").set_input_files(
            pdf_file("Báo cáo giải ngân (dự thảo).pdf", blank_pdf(2))
        )
        expect(clerk.get_by_role("status")).to_contain_text("Đã gửi dự thảo «Báo cáo giải ngân (dự thảo)»")
        draft = item_row(clerk).get_by_test_id("draft")
        expect(draft.get_by_test_id("draft-state")).to_have_text("Chờ duyệt")
        shot(clerk, "unit-submitted")

        # The office sees it waiting in the meeting's documents and returns it with a reason.
        office_context = open_context(browser, watch)
        try:
            office = office_context.new_page()
            sign_in(office, server, "vanphong")
            office.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/documents")
            expect(office.get_by_test_id("drafts-waiting")).to_have_text("1 dự thảo chờ duyệt")
            card = draft_card(office)
            expect(card.get_by_test_id("review-state")).to_have_text("Chờ duyệt")
            expect(card).to_contain_text("Đơn vị soạn thảo: Sở Tài chính")
            card.get_by_role("button", name="Trả lại").click()
            dialog = office.get_by_role("dialog")
            dialog.get_by_test_id("dialog-confirm").click()  # no reason: refused in the dialog
            expect(dialog.get_by_role("alert")).to_have_text("Vui lòng nêu lý do để đơn vị chỉnh sửa.")
            dialog.get_by_label("Lý do trả lại").fill(REASON)
            dialog.get_by_test_id("dialog-confirm").click()
            expect(card.get_by_test_id("review-state")).to_have_text("Bị trả lại")
            expect(card.get_by_test_id("review-reason")).to_contain_text(REASON)
            shot(office, "office-returned")

            # The clerk is told why, and sends a corrected version.
            kinds = [n["kind"] for n in call_api(clerk, "GET", "/api/notifications")["notifications"]]
            assert kinds == ["draft_returned"]
            clerk.reload()
            draft = item_row(clerk).get_by_test_id("draft")
            expect(draft.get_by_test_id("draft-state")).to_have_text("Bị trả lại")
            expect(draft.get_by_test_id("draft-reason")).to_contain_text(REASON)
            shot(clerk, "unit-returned")
            draft.get_by_test_id("draft-version-file").set_input_files(
                pdf_file("bao-cao-v2.pdf", blank_pdf(3))
            )
            expect(clerk.get_by_role("status")).to_contain_text("Đã gửi bản mới")
            draft = item_row(clerk).get_by_test_id("draft")
            expect(draft.get_by_test_id("draft-state")).to_have_text("Chờ duyệt")
            expect(draft).to_contain_text("Phiên bản 2")

            # The office approves, then publishes: the delegates' tablets get it.
            office.reload()
            card = draft_card(office)
            expect(card.get_by_test_id("review-state")).to_have_text("Chờ duyệt")
            card.get_by_role("button", name="Duyệt", exact=True).click()
            expect(card.get_by_test_id("review-state")).to_have_text("Đã duyệt")
            card.get_by_role("button", name="Phát hành").click()
            office.get_by_role("dialog").get_by_test_id("dialog-confirm").click()
            expect(card.get_by_test_id("review-state")).to_have_text("Đã phát hành")
            expect(office.get_by_test_id("drafts-waiting")).to_have_count(0)
            shot(office, "office-published")
            listed = call_api(office, "GET", f"/api/meetings/{server.meeting_id}/documents")["documents"]
            assert "Báo cáo giải ngân (dự thảo)" in [d["title"] for d in listed]
        finally:
            office_context.close()

        clerk.reload()
        expect(item_row(clerk).get_by_test_id("draft-state")).to_have_text("Đã phát hành")
        shot(clerk, "unit-published")
    finally:
        clerk_context.close()
