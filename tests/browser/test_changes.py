"""Two consoles on one comment table: the drafting unit's answer appears on the office's
screen without a reload (the change signals of /ws/changes); a half-typed answer on the
other screen is kept, with an offer to reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, Watch, call_api, open_context, sign_in
from tests.browser.test_opinions import unit_draft

pytestmark = pytest.mark.browser

COMMENT = "Đề nghị làm rõ nguồn kinh phí."
ANSWER = "Đã bổ sung nguồn kinh phí tại Điều 7."


def test_an_answer_appears_on_the_other_console_without_reload(
    browser: Browser, server: Server, page: Page, watch: Watch
) -> None:
    document_id = unit_draft(page, server)  # the office ("vanphong") is signed in
    users = {u["username"]: u["id"] for u in call_api(page, "GET", "/api/users")["users"]}
    consultation = call_api(
        page,
        "POST",
        "/api/consultations",
        {
            "title": "Lấy ý kiến dự thảo",
            "question": "Đề nghị cho ý kiến.",
            "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            "members": [users["bithu"]],
            "document_id": document_id,
        },
    )
    member_context = open_context(browser, watch)
    clerk_context = open_context(browser, watch)
    try:
        member = member_context.new_page()
        sign_in(member, server, "bithu")
        call_api(
            member,
            "PUT",
            f"/api/consultations/{consultation['id']}/answer",
            {"choice": "other", "text": COMMENT},
        )

        page.goto(f"{server.url}/console/#/documents/{document_id}/comments")
        comment = page.get_by_test_id("comment").filter(has_text=COMMENT)
        expect(comment.get_by_test_id("comment-unanswered")).to_be_visible()

        clerk = clerk_context.new_page()
        sign_in(clerk, server, "sokhcn")
        clerk.goto(f"{server.url}/console/#/documents/{document_id}/comments")
        mine = clerk.get_by_test_id("comment").filter(has_text=COMMENT)
        mine.locator("select[name=kind]").select_option("explained")
        mine.get_by_label("Nội dung tiếp thu, giải trình").fill(ANSWER)
        mine.get_by_role("button", name="Lưu").click()
        expect(mine.get_by_test_id("comment-answer")).to_contain_text(ANSWER)

        # The office's console shows the answer, without a reload.
        expect(comment.get_by_test_id("comment-answer")).to_contain_text(ANSWER)

        # A half-typed answer is not wiped by another console's change: a bar offers the reload.
        mine = clerk.get_by_test_id("comment").filter(has_text=COMMENT)
        mine.get_by_label("Nội dung tiếp thu, giải trình").fill("Đang soạn dở")
        call_api(page, "POST", f"/api/documents/{document_id}/comments/close", {})
        expect(clerk.get_by_test_id("changes-bar")).to_be_visible()
        expect(mine.get_by_label("Nội dung tiếp thu, giải trình")).to_have_value("Đang soạn dở")
        clerk.get_by_test_id("changes-bar").get_by_role("button").click()
        expect(clerk.get_by_test_id("comments-closed")).to_be_visible()
    finally:
        member_context.close()
        clerk_context.close()
