"""A busy server answers page images 503 with Retry-After: the tablet waits and asks again."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Browser, BrowserContext, Route, expect

from tests.browser.conftest import TABLET, Server, Watch, join_tablet, open_context

pytestmark = pytest.mark.browser

BUSY = 5  # page requests answered "busy" before the server lets them through


@pytest.fixture
def tablet(browser: Browser, watch: Watch) -> Iterator[BrowserContext]:
    ctx = open_context(browser, watch, TABLET)
    try:
        yield ctx
    finally:
        ctx.close()
    assert watch.unexpected() == []


def test_the_tablet_retries_pages_the_busy_server_refused(
    tablet: BrowserContext, server: Server, watch: Watch
) -> None:
    # The overloaded server is played at the network edge: the first page requests get
    # what phonghop answers under overload, the rest reach the real server.
    watch.allow(r"status of 503")
    refused: list[str] = []

    def busy_at_first(route: Route) -> None:
        if len(refused) < BUSY:
            refused.append(route.request.url)
            body = {"error": {"code": "server_busy", "message": "…", "params": {"retry_after": 1}}}
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=json.dumps(body),
            )
        else:
            route.continue_()

    tablet.route(re.compile(r"/api/versions/\d+/pages/\d+"), busy_at_first)
    page = tablet.new_page()
    join_tablet(page, server, "Trần Quốc Hưng")
    progress = page.get_by_test_id("prefetch-progress")
    expect(progress).to_have_text(re.compile("^Đã tải đủ"), timeout=60_000)
    assert len(refused) == BUSY
