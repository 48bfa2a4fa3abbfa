"""Annotations on the tablet viewer in a real browser: pen, highlighter, note, eraser and
undo; kept in IndexedDB while offline and sent with their client ids when the tablet is
back; private or shared (another delegate sees only the shared one)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import TABLET, Server, Watch, join_tablet, open_context

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
OFFLINE_ERRORS = [r"net::ERR_INTERNET_DISCONNECTED", r"net::ERR_FAILED", r"WebSocket connection to .* failed"]


@pytest.fixture
def devices(browser: Browser, watch: Watch) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        ctx.close()
    assert watch.unexpected() == []


def tablet(browser: Browser, watch: Watch, devices: list[BrowserContext], server: Server, name: str) -> Page:
    ctx = open_context(browser, watch, TABLET)
    devices.append(ctx)
    page = ctx.new_page()
    join_tablet(page, server, name)
    page.get_by_test_id("open-document").first.click()
    expect(page.get_by_test_id("viewer-page")).to_have_text(re.compile(r"^Trang 1/\d+$"))
    expect(page.get_by_test_id("annotation-layer")).to_be_attached()
    return page


def mine(page: Page, server: Server) -> list[dict[str, Any]]:
    """This tablet's annotations as the server holds them (tombstones included)."""
    response = page.request.get(f"{server.url}/api/meetings/{server.meeting_id}/annotations?since=0")
    assert response.ok, response.text()
    annotations: list[dict[str, Any]] = response.json()["annotations"]
    return annotations


def drag(page: Page, points: list[tuple[float, float]]) -> None:
    """Draw through `points`, given as fractions of the page on screen."""
    box = page.get_by_test_id("annotation-layer").bounding_box()
    assert box
    at = [(box["x"] + box["width"] * x, box["y"] + box["height"] * y) for x, y in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def tool(page: Page, name: str) -> None:
    page.get_by_test_id("annotate-bar").get_by_role("button", name=name, exact=True).click()


def test_annotate_offline_sync_undo_erase_and_share(
    browser: Browser, watch: Watch, server: Server, devices: list[BrowserContext]
) -> None:
    for pattern in OFFLINE_ERRORS:
        watch.allow(pattern)
    hung = tablet(browser, watch, devices, server, "Trần Quốc Hưng")
    layer = hung.get_by_test_id("annotation-layer")

    hung.get_by_test_id("annotate-toggle").click()
    expect(hung.get_by_test_id("annotate-bar")).to_be_visible()
    expect(
        hung.get_by_test_id("annotate-bar").get_by_role("button", name="Bút", exact=True)
    ).to_have_attribute("aria-pressed", "true")
    # A pen stroke: on screen at once, on the server after its result.
    drag(hung, [(0.2, 0.2), (0.3, 0.25), (0.4, 0.22), (0.5, 0.3)])
    expect(layer.locator("[data-kind=ink]")).to_have_count(1)
    expect(hung.get_by_test_id("viewer-page")).to_have_text(re.compile(r"^Trang 1/"))  # drawing is no swipe
    hung.wait_for_function("() => !document.querySelector('[data-testid=annotate-status]').textContent")
    stored = mine(hung, server)
    assert [a["kind"] for a in stored] == ["ink"]
    ink = stored[0]
    assert len(ink["data"]["strokes"][0]) >= 4 and all(len(p) == 3 for p in ink["data"]["strokes"][0])
    assert ink["shared"] is False and ink["page"] == 1

    # Offline: a highlight and a note are kept on the tablet, waiting, then sent once back.
    hung.context.set_offline(True)
    expect(hung.get_by_test_id("connection-status")).not_to_have_text("Đã kết nối")
    tool(hung, "Bút dạ quang")
    drag(hung, [(0.15, 0.5), (0.6, 0.51)])
    tool(hung, "Ghi chữ")
    box = layer.bounding_box()
    assert box
    hung.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.7)
    hung.get_by_test_id("note-text").fill("Đề nghị làm rõ nguồn vốn")
    hung.get_by_role("button", name="Lưu ghi chú").click()
    expect(layer.locator("[data-kind=highlight]")).to_have_count(1)
    expect(layer.locator("[data-kind=note]")).to_contain_text("Đề nghị làm rõ nguồn vốn")
    expect(hung.get_by_test_id("annotate-status")).to_have_text("2 ghi chú đang chờ gửi (đã lưu trên máy)")
    kept: int = hung.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open('phonghop-annotations');
            open.onsuccess = () => {
                const all = open.result.transaction('annotations').objectStore('annotations').getAll();
                all.onsuccess = () => resolve(all.result.filter((a) => a.pending).length);
            };
        })"""
    )
    assert kept == 2
    SCREENS.mkdir(parents=True, exist_ok=True)
    hung.screenshot(path=str(SCREENS / "tablet-annotate-offline-portrait.png"))
    hung.context.set_offline(False)
    expect(hung.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    expect(hung.get_by_test_id("annotate-status")).to_have_text("")
    assert sorted(a["kind"] for a in mine(hung, server)) == ["highlight", "ink", "note"]

    # Undo takes back the note (a tombstone on the server); the eraser removes the stroke.
    hung.get_by_test_id("annotate-undo").click()
    expect(layer.locator("[data-kind=note]")).to_have_count(0)
    tool(hung, "Tẩy")
    layer.locator("[data-kind=ink] line").first.dispatch_event(
        "pointerdown", {"pointerId": 1, "bubbles": True}
    )
    expect(layer.locator("[data-kind=ink]")).to_have_count(0)
    expect(hung.get_by_test_id("annotate-status")).to_have_text("")
    live = {a["kind"]: a["deleted"] for a in mine(hung, server)}
    assert live == {"ink": True, "highlight": False, "note": True}

    # Shared: another delegate sees the shared note, never the private highlight.
    hung.get_by_test_id("annotate-share").click()
    expect(hung.get_by_test_id("annotate-share")).to_have_text("Ghi chú mới: chia sẻ với đại biểu")
    tool(hung, "Ghi chữ")
    box = layer.bounding_box()  # the toolbar may have wrapped onto another line meanwhile
    assert box
    hung.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.85)
    hung.get_by_test_id("note-text").fill("Ý kiến chung của tổ")
    hung.get_by_role("button", name="Lưu ghi chú").click()
    expect(hung.get_by_test_id("annotate-status")).to_have_text("")
    hung.get_by_test_id("annotate-toggle").click()
    expect(hung.get_by_test_id("annotate-bar")).to_be_hidden()

    nguyet = tablet(browser, watch, devices, server, "Võ Thị Minh Nguyệt")
    others = nguyet.get_by_test_id("annotation-layer")
    expect(others.locator("[data-kind=note]")).to_contain_text("Ý kiến chung của tổ")
    expect(others.locator("[data-kind=highlight]")).to_have_count(0)
    nguyet.screenshot(path=str(SCREENS / "tablet-annotations-shared-portrait.png"))
