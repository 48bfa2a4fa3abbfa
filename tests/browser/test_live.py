"""The meeting live, end to end: the secretary's console, three delegates' tablets and the
room display, each in its own browser profile, against a real ``phonghop demo`` server.

One scenario runs the meeting in order (each step needs the state the one before left):
join and download the documents, start, open an item, present a document and turn pages,
a tablet browses on its own and taps to follow, the speaker queue, timer and
announcement, a tablet goes offline (and is even reloaded without network) while the
presenter turns pages and comes back on the presenter's page, the idle lock, the page-turn
time measured on the tablets, close and recall. Screenshots of the main screens are
written to $PHONGHOP_SCREENSHOTS (or a temporary folder).
"""

from __future__ import annotations

import json
import os
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.browser.conftest import (
    TABLET,
    TABLET_LANDSCAPE,
    WIDE_LAPTOP,
    Server,
    Watch,
    call_api,
    join_tablet,
    open_context,
    sign_in,
    wait_for_cached_pages,
)

pytestmark = pytest.mark.browser

DELEGATES = ["Trần Quốc Hưng", "Võ Thị Minh Nguyệt", "Đặng Văn Lực"]
# Offline emulation makes the browser log the requests it refuses; they are expected.
OFFLINE_ERRORS = [
    r"net::ERR_INTERNET_DISCONNECTED",
    r"net::ERR_FAILED",
    r"WebSocket connection to .* failed",
]
PAGE_TURNS = 12


@dataclass
class Screens:
    folder: Path

    def shot(self, page: Page, name: str, *, full_page: bool = False) -> None:
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=full_page)


@pytest.fixture
def screens(tmp_path: Path) -> Screens:
    folder = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return Screens(folder)


@pytest.fixture
def devices(browser: Browser, watch: Watch) -> Iterator[list[BrowserContext]]:
    """Contexts opened by a test, closed after it; the test fails on unexpected page errors."""
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        ctx.close()
    assert watch.unexpected() == []


def open_device(
    browser: Browser, watch: Watch, devices: list[BrowserContext], viewport: ViewportSize
) -> Page:
    ctx = open_context(browser, watch, viewport, touch=viewport in (TABLET, TABLET_LANDSCAPE))
    devices.append(ctx)
    return ctx.new_page()


def viewer_page(page: Page) -> Locator:
    return page.get_by_test_id("viewer-page")


def follow_state(page: Page) -> Locator:
    return page.locator("[data-testid=viewer] [data-testid=follow-state]")


def painted(page: Page) -> list[dict[str, float]]:
    marks: list[dict[str, float]] = page.evaluate(
        "() => performance.getEntriesByName('phonghop:page-painted').map(e => e.detail)"
    )
    return marks


def cached_page_urls(page: Page) -> list[str]:
    urls: list[str] = page.evaluate(
        """async () => {
            if (!(await caches.has('phonghop-pages-v1'))) return [];
            const cache = await caches.open('phonghop-pages-v1');
            return (await cache.keys()).map(r => r.url);
        }"""
    )
    return urls


def swipe(page: Page, direction: int) -> None:
    """A finger (here the mouse, as pointer events) drags the page sideways."""
    box = page.get_by_test_id("viewer-stage").bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    start = box["x"] + box["width"] * (0.8 if direction > 0 else 0.2)
    end = box["x"] + box["width"] * (0.2 if direction > 0 else 0.8)
    page.mouse.move(start, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(start + (end - start) * i / 8, y)
    page.mouse.up()


def test_a_whole_meeting_on_console_tablets_and_room(
    browser: Browser, watch: Watch, server: Server, devices: list[BrowserContext], screens: Screens
) -> None:
    # -- everyone arrives -----------------------------------------------------------------
    console = open_device(browser, watch, devices, WIDE_LAPTOP)
    sign_in(console, server, "thuky")
    console.get_by_role("link", name=re.compile("Hội nghị Ban Thường vụ Tỉnh ủy")).click()
    console.get_by_test_id("run-link").click()
    expect(console.get_by_test_id("run-page")).to_be_visible()
    expect(console.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    expect(console.get_by_test_id("run-item")).to_have_count(4)

    tablets = [open_device(browser, watch, devices, TABLET) for _ in DELEGATES]
    for tablet, name in zip(tablets, DELEGATES, strict=True):
        join_tablet(tablet, server, name)
    for tablet in tablets:
        # Every page of the meeting's documents is on the tablet before the meeting starts.
        expect(tablet.get_by_test_id("prefetch-progress")).to_have_text(
            re.compile(r"Đã tải đủ \d+ trang tài liệu về máy\."), timeout=30_000
        )
        expect(tablet.get_by_test_id("speak-request")).to_be_disabled()  # not started yet
    screens.shot(tablets[0], "tablet-agenda-portrait")
    expect(console.get_by_test_id("presence-count")).to_have_text("Đang kết nối: 4/14")  # + the secretary

    room = console.context.new_page()
    room.goto(f"{server.url}/room/#/meetings/{server.meeting_id}")
    expect(room.get_by_test_id("room-agenda")).to_be_visible()

    # -- start, open the first item, present its document ------------------------------------
    console.get_by_role("button", name="Bắt đầu cuộc họp").click()
    expect(console.get_by_role("status").filter(has_text="Cuộc họp đã bắt đầu")).to_be_visible()
    for tablet in tablets:
        expect(tablet.get_by_test_id("speak-request")).to_be_enabled()
    console.get_by_role("button", name=re.compile("^Mở nội dung «Tờ trình về kế hoạch")).click()
    expect(console.get_by_test_id("run-current-item")).to_have_text(
        "Đang thảo luận: 1. Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027"
    )
    for tablet in tablets:
        expect(tablet.get_by_test_id("tablet-current-item")).to_contain_text("1. Tờ trình về kế hoạch")
        expect(tablet.locator("[data-testid=tablet-agenda-item][aria-current=true]")).to_have_count(1)
    expect(room.get_by_test_id("room-current-item")).to_have_text(
        "1. Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027"
    )

    console.get_by_test_id("present-document").first.click()
    expect(console.get_by_test_id("presenter-page")).to_have_text("Trang 1/5")
    for tablet in tablets:
        expect(viewer_page(tablet)).to_have_text("Trang 1/5")
        expect(follow_state(tablet)).to_have_attribute("data-following", "true")
    for _ in range(2):
        console.get_by_test_id("presenter-next").click()
    expect(console.get_by_test_id("presenter-page")).to_have_text("Trang 3/5")
    for tablet in tablets:
        expect(viewer_page(tablet)).to_have_text("Trang 3/5")
    expect(room.get_by_test_id("room-page")).to_have_attribute("data-page", "3")
    expect(console.get_by_test_id("viewer-summary")).to_contain_text("3/3 máy tính bảng đang ở trang này")
    screens.shot(tablets[0], "tablet-viewer-portrait")
    screens.shot(console, "console-run-laptop")
    screens.shot(room, "room-presenter-laptop")

    # -- a delegate browses on their own, then taps to follow -------------------------------------
    hung, nguyet, luc = tablets
    swipe(hung, -1)  # back to page 2
    expect(viewer_page(hung)).to_have_text("Trang 2/5")
    expect(follow_state(hung)).to_have_attribute("data-following", "false")
    expect(follow_state(hung)).to_contain_text("Đang tự xem tài liệu")
    expect(console.get_by_test_id("viewer-summary")).to_contain_text("2/3 máy tính bảng đang ở trang này")
    expect(console.get_by_test_id("viewer-summary")).to_contain_text("2/3 đang theo dõi trình chiếu")
    console.get_by_test_id("presenter-next").click()
    for tablet in (nguyet, luc):
        expect(viewer_page(tablet)).to_have_text("Trang 4/5")
    expect(viewer_page(hung)).to_have_text("Trang 2/5")  # stays where the delegate is
    expect(follow_state(hung)).to_contain_text(
        "«Tờ trình về dự thảo Kế hoạch phát triển kinh tế - xã hội năm 2027», trang 4"
    )
    screens.shot(hung, "tablet-browsing-portrait")
    follow_state(hung).click()
    expect(viewer_page(hung)).to_have_text("Trang 4/5")
    expect(follow_state(hung)).to_have_attribute("data-following", "true")
    expect(console.get_by_test_id("viewer-summary")).to_contain_text("3/3 máy tính bảng đang ở trang này")

    # -- the same tablet turned to landscape: viewer with thumbnails, then the agenda --------------
    hung.set_viewport_size(TABLET_LANDSCAPE)
    screens.shot(hung, "tablet-viewer-landscape")
    hung.get_by_test_id("viewer-thumbs-toggle").click()
    hung.locator(".viewer-thumbs .thumb[data-page='2']").click()  # a thumbnail: browsing again
    expect(viewer_page(hung)).to_have_text("Trang 2/5")
    screens.shot(hung, "tablet-thumbnails-landscape")
    hung.get_by_test_id("viewer-back").click()
    expect(hung.get_by_test_id("tablet-agenda")).to_be_visible()
    screens.shot(hung, "tablet-agenda-landscape")
    hung.set_viewport_size(TABLET)
    hung.locator(".home-follow [data-testid=follow-state]").click()
    expect(viewer_page(hung)).to_have_text("Trang 4/5")
    expect(follow_state(hung)).to_have_attribute("data-following", "true")

    # -- speaker queue, timer, announcement -------------------------------------------------------
    nguyet.get_by_test_id("speak-request").click()
    expect(nguyet.get_by_test_id("speak-place")).to_have_text("Thứ tự phát biểu: 1/1")
    luc.get_by_test_id("speak-request").click()
    expect(luc.get_by_test_id("speak-place")).to_have_text("Thứ tự phát biểu: 2/2")
    queue = console.get_by_test_id("speaker-queue")
    expect(queue.locator("li")).to_have_text([re.compile("Võ Thị Minh Nguyệt"), re.compile("Đặng Văn Lực")])
    expect(room.get_by_test_id("room-queue").locator("li")).to_have_text(
        ["Võ Thị Minh Nguyệt", "Đặng Văn Lực"]
    )
    console.get_by_role("button", name="Mời Võ Thị Minh Nguyệt phát biểu").click()
    expect(nguyet.get_by_test_id("speak-state")).to_have_attribute("data-state", "speaking")
    expect(luc.get_by_test_id("speak-place")).to_have_text("Thứ tự phát biểu: 1/1")
    expect(console.get_by_test_id("speaking-now")).to_contain_text("Võ Thị Minh Nguyệt")
    expect(room.get_by_test_id("room-speaking")).to_contain_text("Võ Thị Minh Nguyệt")
    console.get_by_test_id("speaker-finish").click()
    expect(nguyet.get_by_test_id("speak-request")).to_be_visible()
    luc.get_by_test_id("speak-withdraw").click()
    expect(luc.get_by_test_id("speak-request")).to_be_visible()
    expect(console.get_by_text("Chưa có đại biểu đăng ký phát biểu.")).to_be_visible()

    timer = console.get_by_test_id("timer-form")
    timer.get_by_label("Số phút").fill("3")
    timer.get_by_role("button", name="Bắt đầu đếm").click()
    for tablet in tablets:
        expect(tablet.get_by_test_id("timer")).to_contain_text(re.compile(r"0[23]:\d\d"))
    expect(room.get_by_test_id("room-stage")).to_be_visible()
    form = console.get_by_test_id("announcement-form")
    form.get_by_label("Nội dung thông báo").fill("Giải lao 10 phút sau nội dung này")
    form.get_by_role("button", name="Gửi thông báo").click()
    for tablet in tablets:
        expect(tablet.get_by_test_id("announcement")).to_contain_text("Giải lao 10 phút sau nội dung này")
    # An empty announcement is not sent.
    form.get_by_role("button", name="Gửi thông báo").click()
    expect(console.get_by_role("alert")).to_have_text(re.compile("Cần nhập nội dung thông báo."))
    screens.shot(luc, "tablet-timer-announcement-portrait")
    screens.shot(room, "room-speakers-laptop")

    # -- a tablet goes offline, is even reloaded, and comes back on the presenter's page ---------
    for pattern in OFFLINE_ERRORS:
        watch.allow(pattern)
    assert any("/api/versions/" in url for url in cached_page_urls(luc))
    luc.context.set_offline(True)
    expect(luc.get_by_test_id("connection-status")).to_have_text(
        "Mất kết nối — ghi chú của đồng chí vẫn được giữ; đang kết nối lại…"
    )
    console.get_by_test_id("presenter-next").click()
    expect(viewer_page(nguyet)).to_have_text("Trang 5/5")
    expect(viewer_page(luc)).to_have_text("Trang 4/5")  # cut off: still on the old page
    # Reloaded without network: the service worker serves the app, the pages are cached.
    luc.reload()
    expect(luc.get_by_test_id("connection-status")).to_contain_text("Mất kết nối")
    expect(viewer_page(luc)).to_have_text("Trang 4/5")
    expect(luc.locator(".viewer-canvas img")).to_have_js_property("complete", True)
    assert luc.evaluate("() => document.querySelector('.viewer-canvas img').naturalWidth") > 0
    screens.shot(luc, "tablet-offline-portrait")
    # Meanwhile the presenter moves on to the second item's document.
    console.get_by_role("button", name=re.compile("^Mở nội dung «Báo cáo tình hình giải ngân")).click()
    console.get_by_test_id("run-item").nth(1).get_by_test_id("present-document").click()
    console.get_by_test_id("presenter-next").click()
    expect(console.get_by_test_id("presenter-page")).to_have_text("Trang 2/4")
    expect(viewer_page(nguyet)).to_have_text("Trang 2/4")
    luc.context.set_offline(False)
    expect(luc.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    expect(viewer_page(luc)).to_have_text("Trang 2/4")
    expect(luc.get_by_test_id("viewer-title")).to_have_text(
        re.compile("^Báo cáo tình hình thực hiện và giải ngân")
    )
    expect(follow_state(luc)).to_have_attribute("data-following", "true")

    # -- page-turn time: the secretary's click to the page painted on each tablet ----------------
    before = [len(painted(t)) for t in tablets]
    sent_before = len(console.evaluate("() => performance.getEntriesByName('phonghop:command-sent')"))
    current = 2
    for target in [3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2][:PAGE_TURNS]:
        console.get_by_test_id("presenter-next" if target > current else "presenter-prev").click()
        for tablet in tablets:
            expect(viewer_page(tablet)).to_have_text(f"Trang {target}/4")
        current = target
    sent = console.evaluate("() => performance.getEntriesByName('phonghop:command-sent').map(e => e.detail)")[
        sent_before:
    ]
    assert len(sent) == PAGE_TURNS
    delays: list[float] = []
    for tablet, skip in zip(tablets, before, strict=True):
        marks = painted(tablet)[skip:]
        for command in sent:
            shown = [
                m["at"] - command["at"]
                for m in marks
                if m["page"] == command["page"]
                and m["document_id"] == command["document_id"]
                and m["at"] >= command["at"]
            ]
            assert shown, f"page {command['page']} never painted"
            delays.append(min(shown))
    figures = {
        "turns": PAGE_TURNS,
        "tablets": len(tablets),
        "samples": len(delays),
        "median_ms": round(statistics.median(delays), 1),
        "p90_ms": round(sorted(delays)[int(len(delays) * 0.9) - 1], 1),
        "max_ms": round(max(delays), 1),
    }
    (screens.folder / "page-turn.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("page turn, console click -> painted on tablet:", figures)
    assert figures["median_ms"] < 1000  # a sanity bound, not a benchmark

    # -- idle lock: a tap and a confirmation open it, no password -------------------------------
    hung.evaluate("() => localStorage.setItem('phonghop.tablet.lock_seconds', '1')")
    hung.mouse.move(5, 5)
    hung.get_by_test_id("viewer-thumbs-toggle").click()  # activity: the lock starts counting
    expect(hung.get_by_test_id("lock-screen")).to_be_visible(timeout=5000)
    expect(hung.get_by_test_id("lock-screen")).to_contain_text("Máy tính bảng của Trần Quốc Hưng")
    screens.shot(hung, "tablet-locked-portrait")
    hung.evaluate("() => localStorage.setItem('phonghop.tablet.lock_seconds', '600')")
    hung.get_by_test_id("lock-open").click()
    dialog = hung.get_by_role("dialog", name="Mở khóa máy tính bảng?")
    expect(dialog).to_contain_text("Xác nhận đồng chí là Trần Quốc Hưng.")
    dialog.get_by_role("button", name="Mở khóa").click()
    expect(hung.get_by_test_id("lock-screen")).to_be_hidden()
    expect(viewer_page(hung)).to_be_visible()

    # -- the meeting closes; the documents are recalled and leave the tablets ---------------------
    console.get_by_role("button", name="Kết thúc cuộc họp").click()
    console.get_by_role("dialog").get_by_role("button", name="Kết thúc cuộc họp").click()
    for tablet in tablets:
        # A real ended state: no "following", no disabled request to speak, no result dialog.
        expect(tablet.get_by_test_id("meeting-ended")).to_contain_text("Cuộc họp đã kết thúc.")
        expect(tablet.get_by_test_id("follow-state")).to_have_count(0)
        expect(tablet.get_by_test_id("speak-state")).to_have_count(0)
        expect(tablet.locator(".live-bar .timer")).to_have_count(0)  # no countdown left running
        expect(tablet.get_by_test_id("vote-panel")).to_be_hidden()
    screens.shot(tablets[0], "tablet-meeting-ended")
    console.get_by_test_id("recall-all").click()
    console.get_by_role("dialog").get_by_role("button", name="Thu hồi toàn bộ tài liệu").click()
    expect(console.get_by_role("status").filter(has_text="Đã thu hồi 4 tài liệu.")).to_be_visible()
    for tablet in tablets:
        expect(tablet.get_by_test_id("viewer")).to_be_hidden()
        expect(tablet.get_by_test_id("open-document")).to_have_count(0)
    for tablet in tablets:
        wait_for_cached_pages(tablet, lambda count: count == 0)
    assert call_api(console, "GET", f"/api/meetings/{server.meeting_id}")["state"] == "closed"
