"""A vote end to end: the secretary creates and opens a poll for the current item, two
tablets vote (one of them offline when it taps: its ballot goes once it is back, with the
same key, and "recorded" appears only after the server's result), the live count, the
close, and the result chart on the console, the tablets and the room display."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.browser.conftest import (
    TABLET,
    WIDE_LAPTOP,
    Server,
    Watch,
    call_api,
    join_tablet,
    open_context,
    sign_in,
)

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
OFFLINE_ERRORS = [r"net::ERR_INTERNET_DISCONNECTED", r"net::ERR_FAILED", r"WebSocket connection to .* failed"]
PHONE: ViewportSize = {"width": 390, "height": 844}
ITEM = "Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027"


@pytest.fixture
def devices(browser: Browser, watch: Watch) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        ctx.close()
    assert watch.unexpected() == []


def device(browser: Browser, watch: Watch, devices: list[BrowserContext], viewport: ViewportSize) -> Page:
    ctx = open_context(browser, watch, viewport)
    devices.append(ctx)
    return ctx.new_page()


def test_a_vote_from_creation_to_the_result_on_every_screen(
    browser: Browser, watch: Watch, server: Server, devices: list[BrowserContext]
) -> None:
    for pattern in OFFLINE_ERRORS:
        watch.allow(pattern)
    console = device(browser, watch, devices, WIDE_LAPTOP)
    sign_in(console, server, "thuky")
    call_api(console, "POST", f"/api/meetings/{server.meeting_id}/actions/start")
    console.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
    expect(console.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    expect(console.get_by_test_id("run-polls")).to_contain_text("Chưa có biểu quyết nào.")
    console.get_by_role("button", name=f"Mở nội dung «{ITEM}»").click()
    expect(console.get_by_test_id("run-current-item")).to_contain_text(ITEM)

    hung = device(browser, watch, devices, TABLET)
    join_tablet(hung, server, "Trần Quốc Hưng")
    nguyet = device(browser, watch, devices, PHONE)  # a delegate votes on her phone
    join_tablet(nguyet, server, "Võ Thị Minh Nguyệt")
    room = console.context.new_page()
    room.goto(f"{server.url}/room/#/meetings/{server.meeting_id}")
    expect(room.get_by_test_id("room-stage")).to_be_visible()

    people = {
        p["full_name"]: p["id"]
        for p in call_api(console, "GET", f"/api/meetings/{server.meeting_id}")["participants"]
    }
    attendance = f"/api/meetings/{server.meeting_id}/participants/{{}}/attendance"
    call_api(console, "PUT", attendance.format(people["Trần Quốc Hưng"]), {"attendance": "present"})

    # The form starts from the current item, a show of hands, the Party's majority rule.
    form = console.get_by_test_id("poll-form")
    expect(form.get_by_label("Nội dung biểu quyết")).to_have_value(ITEM)
    expect(form.get_by_label("Hình thức")).to_have_value("open")
    expect(form.get_by_label("Điều kiện thông qua")).to_have_value("more_than_half_of_members")
    form.get_by_label("Nội dung biểu quyết").fill("")
    form.get_by_role("button", name="Tạo biểu quyết").click()
    expect(console.get_by_role("alert")).to_contain_text("Hãy nhập nội dung biểu quyết.")
    form.get_by_label("Nội dung biểu quyết").fill("Thông qua Tờ trình kế hoạch năm 2027")
    form.get_by_role("button", name="Tạo biểu quyết").click()
    poll = console.get_by_test_id("poll").filter(has_text="Thông qua Tờ trình kế hoạch năm 2027")
    expect(poll).to_have_attribute("data-state", "draft")
    expect(hung.get_by_test_id("vote-panel")).to_be_hidden()  # a draft is the controllers' business

    poll.get_by_test_id("poll-open").click()
    expect(poll).to_have_attribute("data-state", "open")
    expect(poll.get_by_test_id("poll-count")).to_have_text(re.compile(r"^Đã biểu quyết: 0/\d+$"))
    # Only members marked present vote (the default rule): she is told why, until the roll call.
    expect(nguyet.get_by_test_id("vote-not-present")).to_contain_text("chưa được điểm danh có mặt")
    expect(nguyet.get_by_test_id("vote-panel").get_by_role("button")).to_have_count(0)
    call_api(console, "PUT", attendance.format(people["Võ Thị Minh Nguyệt"]), {"attendance": "present"})
    for tablet in (hung, nguyet):
        panel = tablet.get_by_test_id("vote-panel")
        expect(panel).to_contain_text("Thông qua Tờ trình kế hoạch năm 2027")
        expect(panel.get_by_role("button")).to_have_text(["Tán thành", "Không tán thành", "Không biểu quyết"])
    SCREENS.mkdir(parents=True, exist_ok=True)
    hung.screenshot(path=str(SCREENS / "tablet-vote-portrait.png"))

    # Offline when he taps: kept and "sending", never "recorded" before the server answers.
    hung.context.set_offline(True)
    expect(hung.get_by_test_id("connection-status")).not_to_have_text("Đã kết nối")
    hung.get_by_role("button", name="Tán thành", exact=True).click()
    expect(hung.get_by_test_id("vote-sending")).to_be_visible()
    expect(hung.get_by_test_id("vote-recorded")).to_have_count(0)
    hung.wait_for_timeout(500)
    expect(hung.get_by_test_id("vote-recorded")).to_have_count(0)
    hung.context.set_offline(False)
    expect(hung.get_by_test_id("vote-recorded")).to_contain_text("Máy chủ đã ghi nhận phiếu của đồng chí.")
    expect(hung.get_by_test_id("vote-recorded")).to_contain_text("Tán thành")

    nguyet.get_by_role("button", name="Không tán thành").click()
    expect(nguyet.get_by_test_id("vote-recorded")).to_be_visible()
    expect(
        nguyet.get_by_test_id("vote-panel").get_by_role("button", name="Tán thành", exact=True)
    ).to_have_count(0)
    # A reload keeps the confirmation (the server says who voted in the snapshot).
    nguyet.reload()
    expect(nguyet.get_by_test_id("vote-recorded")).to_be_visible()

    expect(poll.get_by_test_id("poll-count")).to_have_text(re.compile(r"^Đã biểu quyết: 2/\d+$"))
    expect(poll.locator(".poll-tally li").first).to_contain_text("1")  # named poll: live counts
    ballots = call_api(console, "GET", f"/api/meetings/{server.meeting_id}/polls")["polls"][0]
    assert ballots["ballots_cast"] == 2  # counted once, the resent ballot included

    poll.get_by_test_id("poll-close").click()
    dialog = console.get_by_role("dialog")
    expect(dialog).to_contain_text("Đã có 2/")
    dialog.get_by_role("button", name="Kết thúc biểu quyết").click()
    expect(poll).to_have_attribute("data-state", "closed")
    result = poll.get_by_test_id("poll-result")
    expect(result.locator("[data-option-id=approve] .result-figure strong")).to_have_text("1")
    expect(result.locator("[data-option-id=reject] .result-figure strong")).to_have_text("1")
    # Two ballots of more than a dozen members: not more than half of all members.
    expect(poll.get_by_test_id("poll-result-outcome")).to_have_text("Không được thông qua")
    for tablet in (hung, nguyet):
        expect(tablet.get_by_test_id("vote-result-outcome")).to_have_text("Không được thông qua")
    # Each meaning has its own colour and a mark beside its name; on the phone the bars
    # take the whole width under the names, not a 30 px sliver beside them.
    on_phone = nguyet.get_by_test_id("vote-result")
    rows = {r: on_phone.locator(f".result-row[data-role={r}]") for r in ("approve", "reject", "abstain")}
    expect(rows["approve"].locator(".result-mark")).to_have_text("✓")
    expect(rows["reject"].locator(".result-mark")).to_have_text("✕")
    expect(rows["abstain"].locator(".result-mark")).to_have_text("○")
    looks = {
        role: row.locator(".result-bar").evaluate("b => getComputedStyle(b).background")
        for role, row in rows.items()
    }
    assert len(set(looks.values())) == 3, looks
    track = rows["approve"].locator(".result-track").bounding_box()
    assert track is not None and track["width"] > 250, track
    nguyet.screenshot(path=str(SCREENS / "phone-vote-result.png"))
    expect(room.get_by_test_id("room-result")).to_contain_text("Thông qua Tờ trình kế hoạch năm 2027")
    expect(room.get_by_test_id("room-result-outcome")).to_have_text("Không được thông qua")
    console.screenshot(path=str(SCREENS / "console-run-poll-result.png"), full_page=True)
    hung.screenshot(path=str(SCREENS / "tablet-vote-result-portrait.png"))
    room.screenshot(path=str(SCREENS / "room-vote-result.png"))
    hung.get_by_role("button", name="Đóng").click()
    expect(hung.get_by_test_id("vote-panel")).to_be_hidden()


def test_a_secret_ballot_waits_in_the_box_as_being_recorded_until_the_close(
    browser: Browser, watch: Watch, server: Server, devices: list[BrowserContext]
) -> None:
    console = device(browser, watch, devices, WIDE_LAPTOP)
    sign_in(console, server, "thuky")
    if call_api(console, "GET", f"/api/meetings/{server.meeting_id}")["state"] != "in_progress":
        call_api(console, "POST", f"/api/meetings/{server.meeting_id}/actions/start")
    console.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
    expect(console.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    hung = device(browser, watch, devices, TABLET)
    join_tablet(hung, server, "Trần Quốc Hưng")
    people = {
        p["full_name"]: p["id"]
        for p in call_api(console, "GET", f"/api/meetings/{server.meeting_id}")["participants"]
    }
    attendance = f"/api/meetings/{server.meeting_id}/participants/{people['Trần Quốc Hưng']}/attendance"
    call_api(console, "PUT", attendance, {"attendance": "present"})

    form = console.get_by_test_id("poll-form")
    form.get_by_label("Nội dung biểu quyết").fill("Bầu Ban Kiểm tra")
    form.get_by_label("Hình thức").select_option("secret")
    form.get_by_role("button", name="Tạo biểu quyết").click()
    poll = console.get_by_test_id("poll").filter(has_text="Bầu Ban Kiểm tra")
    # Before opening, the console says what secrecy the office gets and what it depends on.
    expect(poll.get_by_test_id("poll-secrecy")).to_contain_text("ít hơn k người bỏ phiếu")
    poll.get_by_test_id("poll-open").click()
    expect(poll).to_have_attribute("data-state", "open")

    hung.get_by_role("button", name="Tán thành", exact=True).click()
    # Fewer than k voters: the ballot waits in the server's box, not yet acknowledged.
    expect(hung.get_by_test_id("vote-sending")).to_contain_text("Đang ghi nhận phiếu")
    expect(hung.get_by_test_id("vote-recorded")).to_have_count(0)
    expect(poll.get_by_test_id("poll-count")).to_have_text(re.compile(r"^Đã biểu quyết: 0/\d+$"))

    poll.get_by_test_id("poll-close").click()
    console.get_by_role("dialog").get_by_role("button", name="Kết thúc biểu quyết").click()
    expect(poll).to_have_attribute("data-state", "closed")
    expect(hung.get_by_test_id("vote-panel")).to_contain_text("Kết quả biểu quyết")
    polls = call_api(console, "GET", f"/api/meetings/{server.meeting_id}/polls")["polls"]
    [secret] = [p for p in polls if p["title"] == "Bầu Ban Kiểm tra"]
    assert secret["result"]["ballots_cast"] == 1
