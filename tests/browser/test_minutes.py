"""The minutes on the console's run screen at 1440×900: the secretary types them beside the
agenda, they are saved by themselves, a reload shows them, a save refused by the network is
kept and sent again, another console's save is a conflict the secretary settles, and the
DOCX downloads with what was typed."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

import docx
from playwright.sync_api import Browser, Route, expect

from tests.browser.conftest import WIDE_LAPTOP, Server, Watch, call_api, open_context, sign_in

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
SAVED = re.compile(r"^Đã lưu \d\d:\d\d$")


def test_the_secretary_types_the_minutes_reloads_and_downloads_them(
    browser: Browser, watch: Watch, server: Server
) -> None:
    watch.allow("net::ERR_FAILED")  # the saves the test makes fail on purpose
    ctx = open_context(browser, watch, WIDE_LAPTOP)
    page = ctx.new_page()
    sign_in(page, server, "thuky")
    page.goto(f"{server.url}/console/#/meetings/{server.meeting_id}/run")
    expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
    expect(page.get_by_test_id("presenter-document")).to_be_visible()
    with_presenter = page.evaluate("() => document.documentElement.scrollHeight")

    page.get_by_role("tab", name="Biên bản").click()
    panel = page.get_by_test_id("minutes-panel")
    expect(panel).to_be_visible()
    expect(page.locator(".run-presenter")).to_be_hidden()
    # Pre-filled from the meeting: the opening names the chair and the secretary.
    opening = panel.get_by_test_id("minutes-opening")
    expect(opening).to_have_value(re.compile(r"^Thời gian: bắt đầu lúc .*\nChủ trì: đồng chí ", re.S))
    expect(page.get_by_test_id("minutes-status")).to_have_text("Chưa lưu lần nào")
    # Beside the agenda, and the run screen no longer than with the presenter.
    agenda, minutes = (page.locator(c).bounding_box() for c in (".run-agenda", ".run-minutes"))
    assert agenda and minutes and agenda["x"] + agenda["width"] <= minutes["x"]
    assert page.evaluate("() => document.documentElement.scrollHeight") <= with_presenter
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "console-run-minutes-1440.png"))

    record = panel.locator("textarea[data-key$=':record']").first
    record.fill("Đồng chí Trần Quốc Hưng đề nghị bổ sung số liệu giải ngân.")
    expect(page.get_by_test_id("minutes-status")).to_have_text(SAVED)

    page.reload()
    expect(page.get_by_test_id("minutes-panel")).to_be_visible()  # the tab chosen stays
    record = page.locator("[data-testid=minutes-panel] textarea[data-key$=':record']").first
    expect(record).to_have_value("Đồng chí Trần Quốc Hưng đề nghị bổ sung số liệu giải ngân.")
    expect(page.get_by_test_id("minutes-status")).to_have_text(SAVED)

    # The network drops while typing: nothing is lost, not even through a reload.
    def drop_saves(route: Route) -> None:
        if route.request.method == "PUT":
            route.abort()
        else:
            route.continue_()

    page.route("**/api/meetings/*/minutes", drop_saves)
    conclusion = page.locator("[data-testid=minutes-panel] textarea[data-key$=':conclusion']").first
    conclusion.fill("Thống nhất thông qua.\nGiao Sở Tài chính hoàn thiện hồ sơ.")
    expect(page.get_by_test_id("minutes-status")).to_contain_text("Chưa lưu — mất kết nối")
    page.reload()
    conclusion = page.locator("[data-testid=minutes-panel] textarea[data-key$=':conclusion']").first
    expect(conclusion).to_have_value("Thống nhất thông qua.\nGiao Sở Tài chính hoàn thiện hồ sơ.")
    expect(page.get_by_test_id("minutes-status")).to_contain_text("Chưa lưu — mất kết nối")
    page.unroute("**/api/meetings/*/minutes", drop_saves)
    expect(page.get_by_test_id("minutes-status")).to_have_text(SAVED, timeout=20_000)

    # Another console saves in between: the secretary is told, and keeps their text.
    minutes_url = f"/api/meetings/{server.meeting_id}/minutes"
    version = call_api(page, "GET", minutes_url)["version"]
    call_api(page, "PUT", minutes_url, {"version": version, "sections": {"closing": "Bản của chủ trì."}})
    conclusion.fill("Thống nhất thông qua Tờ trình.")
    expect(page.get_by_test_id("minutes-status")).to_contain_text("Biên bản vừa được")
    page.get_by_role("button", name="Ghi đè bằng nội dung của tôi").click()
    expect(page.get_by_test_id("minutes-status")).to_have_text(SAVED)
    sections = {s["key"]: s["text"] for s in call_api(page, "GET", minutes_url)["sections"]}
    assert conclusion.get_attribute("data-key") in sections
    assert sections[conclusion.get_attribute("data-key") or ""] == "Thống nhất thông qua Tờ trình."
    assert sections["closing"] == "Bản của chủ trì."

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải DOCX").click()
    assert download.value.suggested_filename.startswith(f"bien-ban-{server.meeting_id}-")
    document = docx.Document(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BIÊN BẢN" in text
    assert "Đồng chí Trần Quốc Hưng đề nghị bổ sung số liệu giải ngân." in text
    assert "Kết luận: Thống nhất thông qua Tờ trình." in text
    ctx.close()
    assert watch.unexpected() == []
