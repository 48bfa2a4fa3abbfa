"""The screens at the sizes people use them, compared with reviewed references: a
delegate's phone (390×844) in the document viewer, with its annotation toolbar and a note
near the page's edge; the console at 1440×900 (a meeting, the run screen); a tablet at
1280×800 during the meeting and once it has ended; a vote's result on the phone, on the
console and on the room display at 1440; the notice editor's preview pane.

Each screen is checked by its layout (assertions on boxes) and by a screenshot compared
with ``tests/browser/references/<name>.png`` (``tests/browser/screenshots.py``: a small
per-channel tolerance for anti-aliasing, a small share of differing pixels). Dates, times
and the like come from the machine's clock (the demo meeting is today): they are masked,
and the meeting's title (which names the month) is set to a fixed one. A screen that
differs fails the test, which names the actual image and a diff image in the screenshots
folder (``PHONGHOP_SCREENSHOTS``, default /work/screens).

After a wanted change of the screens, re-review and update the references:

    PHONGHOP_UPDATE_SCREENS=1 scripts/test tests/browser/test_screens.py
    git status tests/browser/references   # then look at each rewritten image

(docs/testing.md, "Screens compared with references")."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.browser.conftest import (
    TABLET_LANDSCAPE,
    WIDE_LAPTOP,
    Server,
    Watch,
    call_api,
    join_tablet,
    open_context,
    sign_in,
    switch_user,
)
from tests.browser.screenshots import compare_screen, hold_width

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
#: The demo meeting's title names today's month: a fixed one keeps the screens steady.
TITLE = "Hội nghị Ban Thường vụ Tỉnh ủy (phiên thường kỳ)"
ITEM = "Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027"
POLL = "Thông qua Tờ trình kế hoạch năm 2027"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module", autouse=True)
def steady_title(browser: Browser, server: Server) -> None:
    ctx = browser.new_context()
    try:
        office = ctx.new_page()
        sign_in(office, server, "vanphong")
        call_api(office, "PATCH", f"/api/meetings/{server.meeting_id}", {"title": TITLE})
    finally:
        close(ctx)


@pytest.fixture
def phone(browser: Browser, watch: Watch, server: Server) -> Iterator[Page]:
    ctx: BrowserContext = open_context(browser, watch, PHONE)
    page = ctx.new_page()
    join_tablet(page, server, "Trần Quốc Hưng")
    yield page
    close(ctx)
    assert watch.unexpected() == []


def close(ctx: BrowserContext) -> None:
    """Close a browser profile once its CSP route (conftest) has answered what it was
    fetching: a document still loading (the notice's PDF preview, a tablet leaving its
    ended meeting) would otherwise fail the route's fulfil after the close."""
    ctx.unroute_all(behavior="wait")
    ctx.close()


def all_pages_fetched(tablet: Page) -> None:
    expect(tablet.get_by_test_id("prefetch-progress")).to_have_text(
        re.compile(r"Đã tải đủ \d+ trang tài liệu về máy\."), timeout=30_000
    )


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, locator
    return dict(found)


def images_loaded(page: Page) -> None:
    """Wait until every image in sight has been decoded (page images, thumbnails)."""
    page.wait_for_function(
        """() => [...document.images].every((i) => {
            const r = i.getBoundingClientRect();
            const inSight = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight;
            return !inSight || (i.complete && i.naturalWidth > 0);
        })"""
    )


def test_the_phone_viewer_is_laid_out_for_a_phone(phone: Page, server: Server) -> None:
    phone.get_by_test_id("open-document").first.click()
    expect(phone.get_by_test_id("viewer-page")).to_have_text(re.compile(r"^Trang 1/\d+$"))
    expect(phone.get_by_test_id("annotation-layer")).to_be_attached()

    # The title and the page number on a row of their own, readable; the buttons in one row.
    title, page_number = box(phone.get_by_test_id("viewer-title")), box(phone.get_by_test_id("viewer-page"))
    assert title["width"] > 200 and abs(title["y"] - page_number["y"]) < 12
    buttons = [
        box(phone.get_by_test_id(testid))
        for testid in ("viewer-back", "annotate-toggle", "viewer-thumbs-toggle")
    ]
    assert len({round(b["y"]) for b in buttons}) == 1, buttons
    assert all(b["y"] > title["y"] for b in buttons)
    assert all(b["height"] >= 44 for b in buttons)  # still a finger's target

    # The page-turn arrow sits in a bottom corner, not over the middle of the text.
    phone.get_by_test_id("viewer-next").click()
    expect(phone.get_by_test_id("viewer-page")).to_have_text(re.compile(r"^Trang 2/"))
    stage, prev = box(phone.get_by_test_id("viewer-stage")), box(phone.get_by_test_id("viewer-prev"))
    assert prev["y"] > stage["y"] + stage["height"] * 0.75 and prev["width"] <= 48
    images_loaded(phone)
    compare_screen(phone, "phone-viewer")

    # The annotation toolbar: one row, and its switches say what they switch.
    phone.get_by_test_id("annotate-toggle").click()
    bar = phone.get_by_test_id("annotate-bar")
    expect(bar).to_be_visible()
    assert box(bar)["height"] < 70
    expect(phone.get_by_test_id("annotate-share")).to_have_text("Ghi chú mới: riêng tư")
    expect(phone.get_by_test_id("annotate-feedback")).to_have_text("Góp ý cho đơn vị soạn thảo: không gửi")

    # A long note tapped near the right edge stays inside the page.
    bar.get_by_role("button", name="Ghi chữ", exact=True).click()
    layer = phone.get_by_test_id("annotation-layer")
    page_box = box(layer)
    phone.mouse.click(page_box["x"] + page_box["width"] * 0.92, page_box["y"] + page_box["height"] * 0.4)
    phone.get_by_test_id("note-text").fill(
        "Đề nghị Sở Tài chính làm rõ nguồn vốn đối ứng của các dự án chuyển tiếp trong năm 2027"
    )
    phone.get_by_role("button", name="Lưu ghi chú").click()
    note = layer.locator("[data-kind=note]")
    expect(note).to_contain_text("Đề nghị")
    drawn = box(note.locator("rect"))
    assert drawn["x"] >= page_box["x"] - 1
    assert drawn["x"] + drawn["width"] <= page_box["x"] + page_box["width"] + 1
    for span in note.locator("tspan").all():
        text = box(span)
        assert text["x"] + text["width"] <= page_box["x"] + page_box["width"] + 1, text
    compare_screen(phone, "phone-viewer-annotating")


def test_the_console_fits_a_wide_laptop(browser: Browser, watch: Watch, server: Server) -> None:
    ctx = open_context(browser, watch, WIDE_LAPTOP)
    page = ctx.new_page()
    # The office has the most links in the header: still one row, "Đăng xuất" included.
    sign_in(page, server, "vanphong")
    actions = page.locator(".topbar-actions > :visible")
    tops = {round(box(a)["y"]) for a in actions.all()}
    assert len(tops) == 1, tops
    expect(page.get_by_role("button", name="Đăng xuất", exact=True)).to_be_visible()
    # Every tab of a meeting whole, none cut off at the edge.
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}")
    tabs = page.locator(".tabs")
    expect(tabs.get_by_role("tab", name="Thông tin cuộc họp")).to_be_visible()
    assert tabs.evaluate("t => t.scrollWidth <= t.clientWidth")
    # The header, the meeting's head and its tabs (the agenda below is other tests' business);
    # the date and time masked, at a fixed width so that the place after them stays put.
    hold_width(page.get_by_test_id("meeting-time"), "22em")
    compare_screen(
        page,
        "console-meeting-1440",
        clip={"x": 0, "y": 0, "width": 1440, "height": 420},
        mask=[page.get_by_test_id("meeting-time")],
    )

    # Dates are typed day first, whatever the browser's language.
    page.goto(f"{server.url}/console/#/statistics")
    start = page.get_by_label("Từ ngày", exact=True)
    expect(start).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
    start.fill("01/02/2020")
    page.get_by_label("Đến ngày", exact=True).fill("31/12/2020")
    page.get_by_role("button", name="Xem thống kê").click()
    expect(page).to_have_url(re.compile(r"#/statistics\?from=2020-02-01&to=2020-12-31$"))
    page.reload()  # the period as the page shows it after a load, day first
    expect(start).to_have_value("01/02/2020")
    start.fill("31/02/2020")  # no such day: said, not sent
    page.get_by_role("button", name="Xem thống kê").click()
    expect(page.get_by_role("alert")).to_contain_text("Ngày không hợp lệ")

    # The run screen: the roll call in sight at once, the poll form's choices whole.
    switch_user(page, "thuky")
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
    expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    rollcall = page.locator(".run-rollcall")
    expect(rollcall).to_contain_text("Phạm Minh Tuấn")
    assert box(rollcall)["y"] < 900
    for name in ("poll_kind", "poll_majority"):
        select = page.locator(f"select[name={name}]")
        assert select.evaluate("s => s.clientWidth") >= 280
    # The columns side by side, none over another.
    columns = [box(page.locator(c)) for c in (".run-agenda", ".run-main", ".run-side")]
    for left, right in itertools.pairwise(columns):
        assert left["x"] + left["width"] <= right["x"] + 1, columns
    # The tablets' page counts come a moment after the connection (before: "no tablet has
    # reported its page yet"): the screen as it stays.
    expect(page.get_by_test_id("viewer-summary")).to_contain_text("máy tính bảng đang ở trang này")
    images_loaded(page)
    compare_screen(page, "console-run-1440")  # what the secretary sees at once
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 2000, height
    close(ctx)
    assert watch.unexpected() == []


def test_a_vote_and_the_end_of_the_meeting_on_tablet_phone_and_console(
    browser: Browser, watch: Watch, server: Server
) -> None:
    opened: list[BrowserContext] = []

    def device(viewport: ViewportSize, *, touch: bool = False) -> Page:
        opened.append(open_context(browser, watch, viewport, touch=touch))
        return opened[-1].new_page()

    try:
        console = device(WIDE_LAPTOP)
        sign_in(console, server, "thuky")
        call_api(console, "POST", f"/api/meetings/{server.meeting_id}/actions/start")
        console.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
        expect(console.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
        console.get_by_role("button", name=f"Mở nội dung «{ITEM}»").click()
        expect(console.get_by_test_id("run-current-item")).to_contain_text(ITEM)

        # A 10-inch tablet held in landscape, the meeting under way, every page on the tablet.
        tablet = device(TABLET_LANDSCAPE, touch=True)
        join_tablet(tablet, server, "Trần Quốc Hưng")
        all_pages_fetched(tablet)
        expect(tablet.get_by_test_id("tablet-current-item")).to_contain_text(ITEM)
        images_loaded(tablet)
        compare_screen(tablet, "tablet-meeting-1280", mask=[tablet.get_by_test_id("meeting-time")])

        phone = device(PHONE, touch=True)
        join_tablet(phone, server, "Võ Thị Minh Nguyệt")
        all_pages_fetched(phone)  # its home, under the result, as it stays
        room = console.context.new_page()
        # The room's clock shows nine o'clock (its browser's time only; today's date, never a
        # fixed day): the screen does not change with the time the suite runs at.
        room.clock.set_fixed_time(datetime.combine(datetime.now(HANOI).date(), time(9), HANOI))
        room.goto(f"{server.url}/room/#/meetings/{server.meeting_id}")
        expect(room.get_by_test_id("room-stage")).to_be_visible()

        # A show of hands: one for, one against; the result on every screen.
        people = {
            p["full_name"]: p["id"]
            for p in call_api(console, "GET", f"/api/meetings/{server.meeting_id}")["participants"]
        }
        for name in ("Trần Quốc Hưng", "Võ Thị Minh Nguyệt"):
            call_api(
                console,
                "PUT",
                f"/api/meetings/{server.meeting_id}/participants/{people[name]}/attendance",
                {"attendance": "present"},
            )
        form = console.get_by_test_id("poll-form")
        form.get_by_label("Nội dung biểu quyết").fill(POLL)
        form.get_by_role("button", name="Tạo biểu quyết").click()
        poll = console.get_by_test_id("poll").filter(has_text=POLL)
        poll.get_by_test_id("poll-open").click()
        expect(poll).to_have_attribute("data-state", "open")
        tablet.get_by_role("button", name="Tán thành", exact=True).click()
        expect(tablet.get_by_test_id("vote-recorded")).to_be_visible()
        phone.get_by_role("button", name="Không tán thành").click()
        expect(phone.get_by_test_id("vote-recorded")).to_be_visible()
        expect(poll.get_by_test_id("poll-count")).to_have_text(re.compile(r"^Đã biểu quyết: 2/\d+$"))
        poll.get_by_test_id("poll-close").click()
        console.get_by_role("dialog").get_by_role("button", name="Kết thúc biểu quyết").click()
        expect(poll).to_have_attribute("data-state", "closed")
        expect(phone.get_by_test_id("vote-result-outcome")).to_have_text("Không được thông qua")
        expect(room.get_by_test_id("room-result-outcome")).to_have_text("Không được thông qua")
        compare_screen(phone, "phone-vote-result")
        compare_screen(poll, "console-vote-result-1440")
        compare_screen(room, "room-vote-result-1440")

        # The meeting ends with the result still open on the tablet: it says the meeting has
        # ended, with no result over it and nothing left to follow or request.
        expect(tablet.get_by_test_id("vote-panel")).to_be_visible()
        console.get_by_role("button", name="Kết thúc cuộc họp").click()
        console.get_by_role("dialog").get_by_role("button", name="Kết thúc cuộc họp").click()
        expect(tablet.get_by_test_id("meeting-ended")).to_contain_text("Cuộc họp đã kết thúc.")
        expect(tablet.get_by_test_id("follow-state")).to_have_count(0)
        expect(tablet.get_by_test_id("vote-panel")).to_be_hidden()
        compare_screen(tablet, "tablet-meeting-ended-1280", mask=[tablet.get_by_test_id("meeting-time")])
    finally:
        for ctx in opened:
            close(ctx)
    assert watch.unexpected() == []


def test_the_notice_preview_is_a_readable_pane(browser: Browser, watch: Watch, server: Server) -> None:
    ctx = open_context(browser, watch, WIDE_LAPTOP)
    page = ctx.new_page()
    sign_in(page, server, "vanphong")
    meeting = server.meeting_id
    if call_api(page, "GET", f"/api/meetings/{meeting}")["state"] != "closed":
        for action in ("start", "end", "close"):
            state = call_api(page, "GET", f"/api/meetings/{meeting}")["state"]
            if (action, state) in (("start", "scheduled"), ("end", "in_progress"), ("close", "ended")):
                call_api(page, "POST", f"/api/meetings/{meeting}/actions/{action}")
    draft = call_api(page, "POST", f"/api/meetings/{meeting}/notices", {})
    page.goto(f"{server.url}/console/#/notices/{draft['id']}")
    preview = page.get_by_test_id("notice-preview")
    expect(preview).to_have_attribute("src", re.compile(rf"/api/notices/{draft['id']}/pdf"))
    pane = box(preview)
    assert pane["width"] >= 600 and pane["height"] >= 700, pane
    # The pane and its place beside the editor; the PDF inside is Chromium's viewer,
    # drawn when it likes: masked (the notice's own layout is tests/notices' business).
    # The summary and the opening paragraph name the meeting's date: masked too.
    editor = page.get_by_test_id("notice-editor")
    dated = [editor.get_by_label("Trích yếu"), editor.get_by_label("Đoạn mở đầu")]
    compare_screen(page, "notice-preview-1440", mask=[preview, *dated])
    close(ctx)
    assert watch.unexpected() == []
