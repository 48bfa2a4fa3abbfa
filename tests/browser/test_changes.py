"""Two consoles on one screen, kept up to date by the change signals of /ws/changes,
without a reload: the drafting unit's answer appears on the office's comment table; a new
task (a notice issued), a progress report and the office's changes reach the follow-up
dashboard (its filter and scroll position kept) and the task's page. A half-typed answer
or report on the other screen is kept, with an offer to reload."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Server, Watch, call_api, open_context, sign_in, switch_user
from tests.browser.test_opinions import unit_draft
from tests.browser.test_tasks import TASK, UNIT, card, issue_notice_with_a_task, prepare

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


def test_tasks_change_on_every_open_console(
    browser: Browser, server: Server, page: Page, watch: Watch
) -> None:
    prepare(page, server)  # the administrator adds the unit and its clerk
    switch_user(page, "vanphong")
    page.set_viewport_size({"width": 1280, "height": 480})  # short: the dashboard scrolls
    page.goto(f"{server.url}/console/#/tasks")
    expect(page.get_by_test_id("tasks-empty")).to_be_visible()
    clerk_context = open_context(browser, watch)
    try:
        clerk = clerk_context.new_page()
        sign_in(clerk, server, "sokhdt")
        clerk.goto(f"{server.url}/console/#/tasks")
        expect(clerk.get_by_test_id("tasks-empty")).to_be_visible()

        # A notice issued (through the API, as from a third console): its task appears on
        # the office's dashboard and on the lead unit's.
        issue_notice_with_a_task(page, server)
        expect(page.get_by_test_id("task-row")).to_have_count(1)
        expect(card(page, "not_started")).to_contain_text("1")
        expect(clerk.get_by_test_id("task-row")).to_have_count(1)
        task_id = int(clerk.get_by_test_id("task-row").get_attribute("data-task-id") or 0)

        # The office filters the list by unit and scrolls to its bottom.
        page.get_by_label("Lọc theo đơn vị").select_option(label=UNIT)
        expect(page).to_have_url(re.compile(r"#/tasks\?unit="))
        expect(page.get_by_test_id("task-count")).to_contain_text("1")
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        scrolled = page.evaluate("() => window.scrollY")
        assert scrolled > 100, scrolled

        # The clerk reports progress on the task's page: the office's dashboard follows,
        # with its filter and where it was scrolled to.
        clerk.get_by_test_id("task-row").get_by_role("link", name=TASK).click()
        clerk.get_by_test_id("report-form").get_by_label("Nội dung báo cáo").fill("Đã lấy ý kiến các sở.")
        clerk.get_by_test_id("report-submit").click()
        expect(clerk.get_by_test_id("task-status")).to_have_text("Đang thực hiện")
        expect(page.get_by_test_id("task-row").get_by_test_id("task-status")).to_have_text("Đang thực hiện")
        expect(card(page, "in_progress")).to_contain_text("1")
        expect(card(page, "not_started")).to_contain_text("0")
        expect(page).to_have_url(re.compile(r"#/tasks\?unit="))
        expect(page.get_by_label("Lọc theo đơn vị")).to_have_value(re.compile(r"^id:"))
        assert page.evaluate("() => window.scrollY") == scrolled

        # The office writes a note: the clerk's task page shows it.
        office_note = "Văn phòng đề nghị gửi báo cáo trước phiên họp tới."
        call_api(page, "POST", f"/api/tasks/{task_id}/updates", {"note": office_note})
        expect(clerk.get_by_test_id("task-history").locator('[data-kind="update"]')).to_contain_text(
            office_note
        )

        # A half-typed report is not wiped when the office marks the task done: a bar
        # offers the reload, which then shows the task done.
        report = clerk.get_by_test_id("report-form").get_by_label("Nội dung báo cáo")
        report.fill("Đang soạn dở")
        call_api(page, "POST", f"/api/tasks/{task_id}/updates", {"state": "done"})
        expect(clerk.get_by_test_id("changes-bar")).to_be_visible()
        expect(report).to_have_value("Đang soạn dở")
        expect(clerk.get_by_test_id("task-status")).to_have_text("Đang thực hiện")
        clerk.get_by_test_id("changes-bar").get_by_role("button").click()
        expect(clerk.get_by_test_id("task-status")).to_have_text("Hoàn thành đúng hạn")
        expect(clerk.get_by_test_id("report-form")).to_have_count(0)
        expect(card(page, "done_on_time")).to_contain_text("1")

        # The office's half-typed reason to send the task back is kept too; the clerk's
        # page, untouched now, shows the task reopened.
        page.goto(f"{server.url}/console/#/tasks/{task_id}")
        reason = page.get_by_test_id("reopen-reason")
        reason.fill("Thiếu số liệu quý IV")
        call_api(page, "POST", f"/api/tasks/{task_id}/reopen", {"reason": "Cần bổ sung số liệu"})
        expect(page.get_by_test_id("changes-bar")).to_be_visible()
        expect(reason).to_have_value("Thiếu số liệu quý IV")
        expect(clerk.get_by_test_id("task-status")).to_have_text("Đang thực hiện")
        expect(clerk.get_by_test_id("report-form")).to_be_visible()
    finally:
        clerk_context.close()
