"""The whole life of a meeting's paperwork in one real browser session, each step through
the screens the people involved use:

the office sends the invitations; the chair confirms and the secretary names a substitute,
whom the office accepts; the office collects a written opinion from the chair; the meeting
is held and its conclusion names a lead unit; the office drafts and issues the notice; the
unit's clerk finds the task, reports it done; the office accepts it and the dashboard shows
it done on time. Screenshots of each stage in /work/screens/journey-*.png.

(Each stage has its own, more detailed browser test: test_invitations, test_opinions,
test_notices, test_tasks. This one checks that they join up.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import Server, Watch, call_api, configure_notices, open_context, sign_in

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
CHAIR = "Nguyễn Văn Thành"
SECRETARY = "Phạm Minh Tuấn"
SUBSTITUTE = "Lê Văn Thay"
UNIT = "Ban Tổ chức Tỉnh ủy"  # the demo's unit; its clerk is "bantochuc"
TASK = "Rà soát, bổ sung quy hoạch cán bộ nhiệm kỳ 2025-2030"
FIRST_ITEM = "Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027"


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"journey-{name}.png"), full_page=True)


class People:
    """One browser context per person, signed in on first use, closed at the end."""

    def __init__(self, browser: Browser, watch: Watch, server: Server) -> None:
        self.browser, self.watch, self.server = browser, watch, server
        self.contexts: list[BrowserContext] = []
        self.pages: dict[str, Page] = {}

    def __call__(self, username: str) -> Page:
        if username not in self.pages:
            context = open_context(self.browser, self.watch)
            self.contexts.append(context)
            page = context.new_page()
            sign_in(page, self.server, username)
            self.pages[username] = page
        return self.pages[username]


@pytest.fixture
def people(browser: Browser, watch: Watch, server: Server) -> Iterator[People]:
    crowd = People(browser, watch, server)
    yield crowd
    for context in crowd.contexts:
        context.close()
    assert watch.unexpected() == []


def line_of(page: Page, name: str) -> Locator:
    return page.get_by_test_id("invitation-line").filter(has_text=name)


def answer_invitation(page: Page, choice: str, **fields: str) -> None:
    page.locator("#notifications-menu summary").click()
    page.get_by_test_id("notification").filter(has_text="Giấy mời dự cuộc họp").click()
    form = page.get_by_test_id("invitation-answer")
    form.get_by_label(choice).check()
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name="Gửi trả lời").click()
    expect(page.get_by_role("status")).to_contain_text("Đã gửi trả lời giấy mời.")


def test_invitation_to_followed_up_conclusion(server: Server, people: People) -> None:
    mid = server.meeting_id
    admin = people("quantri")
    configure_notices(admin)

    # 1. Invitations: sent by the office, answered by the chair and the secretary.
    office = people("vanphong")
    office.goto(f"{server.url}/console/#/meetings/{mid}/invitations")
    office.get_by_test_id("send-invitations").click()
    expect(office.get_by_role("status")).to_contain_text("Đã gửi giấy mời cho 14 người")
    answer_invitation(people("bithu"), "Tham dự")
    answer_invitation(
        people("thuky"),
        "Cử người dự thay",
        **{"Lý do": "Dự hội nghị tại Trung ương", "Họ và tên người dự thay": SUBSTITUTE},
    )
    expect(line_of(office, CHAIR).get_by_test_id("invitation-state")).to_have_text("Tham dự")
    decision = line_of(office, SECRETARY).get_by_test_id("substitute-decision")
    decision.get_by_role("button", name="Chấp nhận", exact=True).click()
    expect(
        office.get_by_test_id("invitation-line").filter(has_text=f"Dự thay cho {SECRETARY}")
    ).to_contain_text(SUBSTITUTE)
    shot(office, "invitations")

    # 2. A written opinion from the chair, collected before the meeting.
    office.get_by_role("link", name="Lấy ý kiến").click()
    office.get_by_test_id("consultation-new").click()
    form = office.get_by_test_id("consultation-form")
    form.get_by_label("Tiêu đề").fill("Lấy ý kiến về Tờ trình kế hoạch năm 2027")
    form.get_by_label("Nội dung xin ý kiến").fill("Đề nghị đồng chí cho ý kiến về Tờ trình trước phiên họp.")
    form.get_by_label("Cuộc họp (nếu có)").select_option(str(mid))
    form.get_by_label(f"{CHAIR} — Bí thư Tỉnh ủy").check()
    form.get_by_role("button", name="Gửi", exact=True).click()
    expect(office.get_by_test_id("consultation-tally")).to_contain_text("Đã trả lời 0/1")
    chair = people("bithu")
    chair.get_by_role("link", name="Lấy ý kiến").click()
    chair.get_by_test_id("consultation-card").first.click()
    chair.get_by_test_id("answer-form").get_by_test_id("choice-agree").check()
    chair.get_by_test_id("answer-form").get_by_role("button", name="Gửi ý kiến").click()
    expect(chair.get_by_test_id("my-answer")).to_contain_text("Đồng ý")
    office.reload()
    expect(office.get_by_test_id("consultation-tally")).to_contain_text("Đã trả lời 1/1")
    shot(office, "opinions")

    # 3. The meeting is held; its conclusion names the unit that leads the task.
    call_api(office, "POST", f"/api/meetings/{mid}/actions/start")
    office.goto(f"{server.url}/console/#/meetings/{mid}/conclusions")
    item = office.get_by_test_id("conclusion").filter(has_text=FIRST_ITEM)
    item.get_by_label("Tóm tắt kết luận").fill("Ban Thường vụ thống nhất với Tờ trình.")
    item.get_by_role("button", name="+ Thêm ý kết luận").click()
    point = item.get_by_test_id("conclusion-point")
    point.get_by_label("Nội dung kết luận").fill(TASK)
    point.get_by_label("Đơn vị chủ trì").fill(UNIT)
    deadline = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=20)
    point.get_by_label("Thời hạn").fill(deadline.isoformat())
    item.get_by_role("button", name="Lưu kết luận").click()
    expect(office.get_by_role("status")).to_contain_text("Đã lưu kết luận nội dung 1.")
    call_api(office, "POST", f"/api/meetings/{mid}/actions/close")

    # 4. The notice is drafted from the record and issued.
    office.reload()
    office.get_by_test_id("notice-draft-form").get_by_label("Về nội dung").fill("về kế hoạch năm 2027")
    office.get_by_test_id("notice-draft-form").get_by_role("button", name="Soạn thông báo").click()
    expect(office).to_have_url(re.compile(r"#/notices/\d+$"))
    office.get_by_test_id("notice-issue").click()
    office.get_by_role("dialog").get_by_role("button", name="Ban hành").click()
    expect(office.get_by_test_id("notice-state")).to_have_text("Đã ban hành")
    number = office.get_by_test_id("notice-number").inner_text()
    shot(office, "notice")

    # 5. The unit's clerk, told of the task when the notice was issued, reports it done.
    clerk = people("bantochuc")
    clerk.locator("#notifications-menu summary").click()
    told = clerk.get_by_test_id("notification").filter(has_text=f"Nhiệm vụ mới theo {number}")
    expect(told).to_contain_text(TASK)
    told.click()
    report = clerk.get_by_test_id("report-form")
    report.get_by_label("Nội dung báo cáo").fill("Đã rà soát xong, trình Ban Thường vụ danh sách bổ sung.")
    clerk.get_by_test_id("report-done").check()
    clerk.get_by_test_id("report-submit").click()
    expect(clerk.get_by_test_id("task-status")).to_have_text("Hoàn thành đúng hạn")
    shot(clerk, "unit-report")

    # 6. The office accepts; the dashboard shows the task done on time, under its notice.
    office.get_by_role("link", name="Theo dõi nhiệm vụ").click()
    office.get_by_test_id("task-row").get_by_role("link", name=TASK).click()
    office.get_by_test_id("task-accept").click()
    expect(office.get_by_test_id("task-awaiting")).to_have_count(0)
    office.get_by_role("link", name="Danh sách nhiệm vụ").click()
    expect(office.locator('[data-testid="task-card"][data-status="done_on_time"]')).to_contain_text("1")
    expect(office.get_by_test_id("task-unit-row").filter(has_text=UNIT)).to_be_visible()
    expect(office.get_by_test_id("task-row")).to_contain_text(number.replace("Số ", "").strip())
    shot(office, "dashboard")
