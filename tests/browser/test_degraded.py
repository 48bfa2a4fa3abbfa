"""The secretary's console warns while the server runs degraded (its Redis bus is down),
and the meeting screens keep working."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, sign_in

pytestmark = pytest.mark.browser


def _closed_port() -> int:
    """A port nothing listens on: the server's Redis is down from the start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


SERVER_ENV = {"PHONGHOP_REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0"}


def test_console_warns_while_the_redis_bus_is_down(page: Page, server: Server) -> None:
    ready = page.request.get(server.url + "/readyz")
    assert ready.status == 200 and ready.json()["status"] == "degraded"  # still takes traffic

    sign_in(page, server, "thuky")
    warning = page.get_by_test_id("bus-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Máy chủ đang chạy ở chế độ hạn chế")
    page.get_by_role("button", name="English").click()
    expect(warning).to_contain_text("The server is running degraded")
    # the console itself works: the meeting list is there
    expect(page.get_by_role("heading", name="Meetings")).to_be_visible()
