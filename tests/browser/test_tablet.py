"""The delegate's tablet, and how both screens fit a 10-inch tablet and a laptop."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, WebSocket, expect

from tests.browser.conftest import (
    DEMO_MEETING_TITLE,
    LAPTOP,
    TABLET,
    Server,
    Watch,
    open_context,
    personal_code,
    sign_in,
)

pytestmark = pytest.mark.browser

DEMO_AGENDA = [
    "Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027",
    "Báo cáo tình hình giải ngân vốn đầu tư công 11 tháng năm 2026",
    "Dự thảo Nghị quyết về chuyển đổi số tỉnh Sông Lam đến năm 2030",
    "Báo cáo công tác xây dựng Đảng năm 2026",
]


@pytest.fixture
def tablet(browser: Browser, watch: Watch) -> Iterator[BrowserContext]:
    """A 10-inch tablet in portrait, with its own cookies (one tablet, one delegate)."""
    ctx = open_context(browser, watch, TABLET)
    try:
        yield ctx
    finally:
        ctx.close()
    assert watch.unexpected() == []


def join(page: Page, server: Server, name: str) -> None:
    page.goto(f"{server.url}/tablet/#join={server.join_code}")
    page.get_by_role("button", name=re.compile(name)).click()
    page.get_by_test_id("join-personal-code").fill(personal_code(server, name))
    page.get_by_role("button", name=f"Vào cuộc họp: {name}").click()
    page.get_by_test_id("tablet-agenda").wait_for()


def test_delegate_joins_from_the_qr_link_and_sees_the_agenda(tablet: BrowserContext, server: Server) -> None:
    page = tablet.new_page()
    page.goto(f"{server.url}/tablet/#join={server.join_code}")
    expect(page.get_by_test_id("join-meeting-title")).to_have_text(
        re.compile("^Hội nghị Ban Thường vụ Tỉnh ủy")
    )
    expect(page.get_by_test_id("join-enter")).to_be_disabled()  # nobody picked yet
    page.get_by_role("button", name=re.compile("Trần Quốc Hưng")).click()
    page.get_by_test_id("join-personal-code").fill(personal_code(server, "Trần Quốc Hưng"))
    page.get_by_role("button", name="Vào cuộc họp: Trần Quốc Hưng").click()

    expect(page.get_by_test_id("meeting-title")).to_have_text(DEMO_MEETING_TITLE)
    expect(page.get_by_test_id("meeting-location")).to_have_text("Phòng họp số 1, Trụ sở Tỉnh ủy")
    expect(page.get_by_test_id("meeting-time")).to_have_text(
        # the demo meeting is today, starting soon, and ends the same day (tests/test_demo.py)
        # (Sunday is "Chủ Nhật", every other day "Thứ …")
        re.compile(r"^\d\d:\d\d – \d\d:\d\d, (Thứ .+|Chủ Nhật), \d\d/\d\d/\d{4}$")
    )
    expect(page.get_by_role("heading", name="Chương trình họp")).to_be_visible()
    items = page.get_by_test_id("tablet-agenda-item")
    expect(items).to_have_count(4)
    assert [t.strip() for t in items.locator(".agenda-title").all_inner_texts()] == DEMO_AGENDA
    expect(items.first).to_contain_text("Trình bày: Đồng chí Võ Thị Minh Nguyệt · 40 phút")
    expect(page.locator(".topbar-user")).to_have_text("Trần Quốc Hưng")
    assert page.url.endswith("/tablet/")  # the code is not left in the address

    page.reload()  # the tablet stays in the meeting
    expect(page.get_by_test_id("tablet-agenda-item")).to_have_count(4)


def test_delegate_types_the_code_and_searches_without_diacritics(
    tablet: BrowserContext, server: Server, watch: Watch
) -> None:
    page = tablet.new_page()
    page.goto(f"{server.url}/tablet/")
    code = page.get_by_label("Mã tham dự")
    code.fill("ZZZZ9999")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("Mã tham dự không đúng hoặc đã bị thu hồi."))

    # Lower case and a space in the middle, as people type what they hear.
    typed = server.join_code.lower()
    code.fill(f"{typed[:4]} {typed[4:]}")
    page.get_by_role("button", name="Tiếp tục").click()
    search = page.get_by_role("searchbox", name="Tìm theo họ tên hoặc chức vụ")
    search.fill("dang van luc")
    names = page.get_by_test_id("name-list").get_by_role("button")
    expect(names).to_have_count(1)
    expect(names).to_contain_text("Đặng Văn Lực")
    names.click()
    page.get_by_test_id("join-personal-code").fill(personal_code(server, "Đặng Văn Lực"))
    page.get_by_role("button", name="Vào cuộc họp: Đặng Văn Lực").click()
    expect(page.get_by_test_id("tablet-agenda-item")).to_have_count(4)


def test_delegate_leaves_the_meeting_on_this_tablet(tablet: BrowserContext, server: Server) -> None:
    page = tablet.new_page()
    join(page, server, "Hoàng Thị Lan")
    page.get_by_role("button", name="Rời cuộc họp").click()
    page.get_by_test_id("dialog-confirm").click()
    expect(page.get_by_role("heading", name="Tham dự cuộc họp")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Tham dự cuộc họp")).to_be_visible()


def test_tablet_in_english(tablet: BrowserContext, server: Server) -> None:
    page = tablet.new_page()
    join(page, server, "Ngô Thanh Sơn")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Agenda")).to_be_visible()
    expect(page.get_by_test_id("tablet-agenda-item").first).to_contain_text(
        "Presented by Đồng chí Võ Thị Minh Nguyệt · 40 min"
    )
    expect(page.get_by_role("button", name="Leave the meeting")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


SCREENS = [("laptop", LAPTOP), ("tablet", TABLET)]


def check_layout(page: Page) -> None:
    """Nothing sticks out sideways, and every control is at least 44 px high."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, .btn, .tab, input:not([type=checkbox]), select')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim() || e.name || e.tagName, e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)"""
    )
    assert small == []


@pytest.mark.parametrize(("screen", "viewport"), SCREENS)
def test_screens_fit_a_tablet_and_a_laptop(
    browser: Browser, watch: Watch, server: Server, tmp_path: Path, screen: str, viewport: ViewportSize
) -> None:
    """Also writes screenshots, to $PHONGHOP_SCREENSHOTS if set, for a person to look at."""
    shots = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    console = open_context(browser, watch, viewport)
    device = open_context(browser, watch, viewport)
    try:
        page = console.new_page()
        sign_in(page, server, "vanphong")
        for tab in ("agenda", "participants", "attendance", "join"):
            page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/{tab}")
            expect(page.locator(f'[role=tab][aria-selected=true][href$="/{tab}"]')).to_be_visible()
            page.wait_for_load_state("networkidle")
            check_layout(page)
            page.screenshot(path=str(shots / f"console-{tab}-{screen}.png"))

        page = device.new_page()
        page.goto(f"{server.url}/tablet/#join={server.join_code}")
        page.get_by_test_id("name-list").wait_for()
        check_layout(page)
        page.screenshot(path=str(shots / f"tablet-join-{screen}.png"))
        page.get_by_role("button", name=re.compile("Võ Thị Minh Nguyệt")).click()
        page.get_by_test_id("join-personal-code").fill(personal_code(server, "Võ Thị Minh Nguyệt"))
        page.get_by_test_id("join-enter").click()
        page.get_by_test_id("tablet-agenda").wait_for()
        check_layout(page)
        page.screenshot(path=str(shots / f"tablet-agenda-{screen}.png"))
    finally:
        console.close()
        device.close()
    assert watch.unexpected() == []


def test_tablet_keeps_the_log_epoch_and_a_restored_server_gets_it_a_snapshot(
    tablet: BrowserContext, server: Server
) -> None:
    """The tablet stores the log's epoch with its state and names it in ``hello``: a reload
    resumes by replay; a server whose epoch differs (as after a restore) sends a snapshot."""
    page = tablet.new_page()
    frames: list[tuple[str, dict[str, Any]]] = []

    def watch_socket(ws: WebSocket) -> None:
        ws.on("framesent", lambda payload: frames.append(("sent", json.loads(payload))))
        ws.on("framereceived", lambda payload: frames.append(("received", json.loads(payload))))

    def next_hello() -> tuple[dict[str, Any], dict[str, Any]]:
        start = len(frames)
        page.reload()
        expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
        hello = next(f for way, f in frames[start:] if way == "sent" and f.get("type") == "hello")
        result = next(f for way, f in frames[start:] if way == "received" and f.get("id") == hello["id"])
        return hello, result["result"]

    page.on("websocket", watch_socket)
    join(page, server, "Lý Thị Hồng Nhung")
    expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    epoch = next(f["epoch"] for way, f in frames if way == "received" and f.get("type") == "snapshot")

    hello, result = next_hello()
    assert hello["epoch"] == epoch and hello["protocol"] == 2 and hello["last_seq"] is not None
    assert result["mode"] == "replay" and result["epoch"] == epoch

    # Once, the stored state claims another epoch, as a tablet's does after the server's
    # database was restored from a backup: its seq means nothing there any more.
    key = f"phonghop.live.{server.meeting_id}"
    page.add_init_script(
        f"""(() => {{
          const kept = JSON.parse(sessionStorage.getItem({json.dumps(key)}) || "null");
          if (kept && !sessionStorage.getItem("test.rewound")) {{
            sessionStorage.setItem("test.rewound", "1");
            kept.epoch = "0123456789abcdef0123456789abcdef";
            sessionStorage.setItem({json.dumps(key)}, JSON.stringify(kept));
          }}
        }})();"""
    )
    hello, result = next_hello()
    assert hello["epoch"] == "0123456789abcdef0123456789abcdef" and hello["last_seq"] is not None
    assert result["mode"] == "snapshot" and result["epoch"] == epoch
    expect(page.get_by_test_id("tablet-agenda-item")).to_have_count(4)
    hello, result = next_hello()  # the snapshot's epoch was kept: replay again
    assert hello["epoch"] == epoch and result["mode"] == "replay"
