"""Invitations in a real browser: the office sends them and prints the giấy mời, the chair
confirms and the secretary names a substitute from their own console page, and the
office's confirmation table shows both without a reload; the office accepts the
substitute without the right to speak, which the participant list then shows."""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from pypdf import PdfReader

from tests.browser.conftest import Server, Watch, open_context, sign_in

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
CHAIR = "Nguyễn Văn Thành"
SECRETARY = "Phạm Minh Tuấn"
SUBSTITUTE = "Hồ Thị Thanh Vân"


def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"invitations-{name}.png"), full_page=True)


@pytest.fixture
def devices(browser: Browser, watch: Watch) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        ctx.close()
    assert watch.unexpected() == []


def open_page(browser: Browser, watch: Watch, devices: list[BrowserContext]) -> Page:
    ctx = open_context(browser, watch)
    devices.append(ctx)
    return ctx.new_page()


def line_of(page: Page, name: str) -> Locator:
    return page.get_by_test_id("invitation-line").filter(has_text=name)


def open_by_notification(page: Page, server: Server, username: str) -> None:
    """The invitation as the notification bell shows it, opened from there."""
    sign_in(page, server, username)
    page.locator("#notifications-menu summary").click()
    page.get_by_test_id("notification").filter(has_text="Giấy mời dự cuộc họp").click()
    expect(page).to_have_url(re.compile(rf"#/invitation/{server.meeting_id}$"))


def open_from_the_meeting(page: Page, server: Server, username: str) -> None:
    """The invitation opened from the meeting's page ("Giấy mời của tôi")."""
    sign_in(page, server, username)
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}")
    page.get_by_test_id("my-invitation-link").click()


def answer(page: Page, choice: str, **fields: str) -> None:
    form = page.get_by_test_id("invitation-answer")
    form.get_by_label(choice).check()
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name="Gửi trả lời").click()
    expect(page.get_by_role("status")).to_contain_text("Đã gửi trả lời giấy mời.")


def test_office_sends_members_answer_and_the_table_follows_live(
    browser: Browser, watch: Watch, devices: list[BrowserContext], server: Server
) -> None:
    mid = server.meeting_id
    office = open_page(browser, watch, devices)
    sign_in(office, server, "vanphong")
    office.goto(f"{server.url}/console/#/meetings/{mid}/invitations")
    expect(office.get_by_role("tab", name="Giấy mời")).to_have_attribute("aria-selected", "true")
    expect(office.get_by_test_id("invitation-line")).to_have_count(14)  # chair, secretary, 12 delegates
    expect(line_of(office, CHAIR).get_by_test_id("invitation-sent")).to_have_text("—")

    office.get_by_test_id("send-invitations").click()
    expect(office.get_by_role("status")).to_contain_text("Đã gửi giấy mời cho 14 người")
    expect(line_of(office, CHAIR).get_by_test_id("invitation-sent")).not_to_have_text("—")

    # the printable giấy mời: one page per participant, Vietnamese intact
    pdf = office.request.get(f"{server.url}/api/meetings/{mid}/invitations.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.body()))
    assert len(reader.pages) == 14
    texts = [unicodedata.normalize("NFC", " ".join((p.extract_text() or "").split())) for p in reader.pages]
    assert "GIẤY MỜI" in texts[0] and "ĐẢNG CỘNG SẢN VIỆT NAM" in texts[0] and "-GM/TU" in texts[0]
    assert f"Kính gửi: Đồng chí {SECRETARY}, Phó Chánh Văn phòng Tỉnh ủy" in texts[0]  # first in the list
    assert f"Kính gửi: Đồng chí {CHAIR}, Bí thư Tỉnh ủy" in texts[1]
    # the demo meeting starts soon (any time of day): the hour and minute in words
    assert re.search(r"vào lúc \d\d giờ \d\d phút, (thứ \w+|Chủ nhật), ngày \d\d/\d{1,2}/\d{4}", texts[0])

    # the chair confirms from their own page; the office's table follows without a reload
    chair = open_page(browser, watch, devices)
    open_from_the_meeting(chair, server, "bithu")
    answer(chair, "Tham dự")
    expect(line_of(office, CHAIR).get_by_test_id("invitation-state")).to_have_text("Tham dự")

    # the secretary names a substitute
    secretary = open_page(browser, watch, devices)
    open_by_notification(secretary, server, "thuky")
    answer(
        secretary,
        "Cử người dự thay",
        **{"Lý do": "Đi công tác Hà Nội", "Họ và tên người dự thay": SUBSTITUTE},
    )
    shot(secretary, "member-answer")
    row = line_of(office, SECRETARY)
    expect(row.get_by_test_id("invitation-state")).to_have_text("Cử người dự thay")
    decision = row.get_by_test_id("substitute-decision")
    expect(decision).to_be_visible()
    expect(decision.get_by_label("Biểu quyết")).to_be_disabled()  # the secretary has no vote
    shot(office, "pending-substitute")

    # the office accepts the substitute: documents yes, speaking no
    decision.get_by_label("Phát biểu").uncheck()
    decision.get_by_role("button", name="Chấp nhận", exact=True).click()
    expect(row.get_by_test_id("substitute-rights")).to_have_text("Quyền: Xem tài liệu")
    expect(office.get_by_test_id("invitation-line")).to_have_count(15)
    counts = "Chưa trả lời: 12 · Tham dự: 1 · Vắng: 0 · Cử người dự thay: 1"
    expect(office.get_by_test_id("invitation-counts")).to_have_text(counts)
    # the substitute's own line comes right after the secretary's (the original's place)
    added = office.get_by_test_id("invitation-line").nth(1)
    expect(added).to_contain_text(SUBSTITUTE)
    expect(added).to_contain_text(f"Dự thay cho {SECRETARY}")
    shot(office, "table")

    # a delegate without an account telephoned: the office records the absence for him
    delegate = "Trần Quốc Hưng"
    record = line_of(office, delegate).get_by_test_id("record-answer")
    record.locator("summary").click()
    form = record.get_by_test_id("invitation-answer")
    form.get_by_label("Báo vắng").check()
    form.get_by_label("Lý do").fill("Đi công tác nước ngoài")
    form.get_by_role("button", name="Gửi trả lời").click()
    expect(line_of(office, delegate).get_by_test_id("invitation-state")).to_have_text("Vắng")
    expect(line_of(office, delegate)).to_contain_text("Đi công tác nước ngoài")
    shot(office, "recorded")

    # the secretary's page now says the answer is settled
    secretary.reload()
    expect(secretary.get_by_test_id("invitation-answer")).to_have_count(0)
    expect(secretary.get_by_text(f"{SUBSTITUTE} (đã chấp nhận)")).to_be_visible()

    office.get_by_role("tab", name="Thành phần tham dự").click()
    person = office.get_by_test_id("participant").filter(has_text=SUBSTITUTE)
    expect(person.get_by_test_id("no-speak-right")).to_have_text("Không phát biểu")
    expect(person.get_by_test_id("no-read-right")).to_have_count(0)
    shot(office, "participants")
