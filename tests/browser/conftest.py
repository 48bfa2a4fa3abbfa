"""A real phonghop server (``python -m phonghop demo``) driven by Debian's Chromium.

Playwright only drives the browser: it never downloads one. The browser is
``/usr/bin/chromium`` (Debian's ``chromium`` package) or ``PHONGHOP_CHROMIUM``.
Without Playwright or Chromium the tests are skipped, except in CI (``CI=true`` or
``PHONGHOP_REQUIRE_SERVICES=1``) where they fail.

Every page is served with the strict Content-Security-Policy the server will send
later, and a test fails when the page logs an error (a CSP violation, an exception,
a missing translation) that the test did not expect.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import service_missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize

CHROMIUM = os.environ.get("PHONGHOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # A page fulfilled by the CSP route below counts as coming from the public internet,
    # and Chromium's local network access checks then refuse its websocket to 127.0.0.1.
    # Served by phonghop itself (same origin, as in production) the check does not apply.
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests",
]
# img-src as the server's own policy (web/security.py): the tablet shows classified pages
# from object URLs, so that their bytes stay in memory.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; manifest-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
PASSWORD = "phonghop-demo"
#: The demo meeting's title names the month it is held in (today's, in the office's zone).
DEMO_MEETING_TITLE = re.compile(
    r"^Hội nghị Ban Thường vụ Tỉnh ủy \(phiên thường kỳ tháng (0[1-9]|1[0-2])/\d{4}\)$"
)
TABLET: ViewportSize = {"width": 800, "height": 1280}  # a 10-inch tablet in portrait
TABLET_LANDSCAPE: ViewportSize = {"width": 1280, "height": 800}
LAPTOP: ViewportSize = {"width": 1280, "height": 800}
WIDE_LAPTOP: ViewportSize = {"width": 1440, "height": 900}
# Chromium reports every 4xx/5xx answer to fetch() on the console; the app handles them.
EXPECTED_HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


@dataclass(frozen=True)
class Server:
    url: str
    join_code: str
    meeting_id: int
    data_dir: Path
    #: each delegate's personal code, as the demo prints them (name -> code)
    personal_codes: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``phonghop demo`` on a free port, with its own data directory, for one test module
    (whose ``SERVER_ENV``, if it has one, adds settings)."""
    data = tmp_path_factory.mktemp("server")
    env = {
        **os.environ,
        "PHONGHOP_DATA_DIR": str(data / "data"),
        "PHONGHOP_ARGON2_TIME_COST": "1",
        "PHONGHOP_ARGON2_MEMORY_KIB": "8192",
        # The reminder job would write notifications whenever the wall clock crosses a
        # reminder time (the demo meeting starts today, soon, so its invitation reminder
        # is due at once). Screens must not change with the time of day the suite runs
        # at: the browser tests that need a reminder write it themselves.
        "PHONGHOP_REMINDER_INTERVAL": "0",
        **getattr(request.module, "SERVER_ENV", {}),
    }
    port = _free_port()
    log_path = data / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [sys.executable, "-m", "phonghop", "--port", str(port), "demo"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # start-up under a loaded machine can take tens of seconds
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("phonghop demo did not start:\n" + log_path.read_text(errors="replace"))
                time.sleep(0.2)
        printed = log_path.read_text(encoding="utf-8")
        code = re.search(r"join code:\s+(\S+)", printed)
        meeting = re.search(r"meeting id:\s+(\d+)", printed)
        assert code and meeting, printed
        codes = {
            m.group(2).strip(): m.group(1) for m in re.finditer(r"^    ([A-Z2-9]{8})  (.+)$", printed, re.M)
        }
        yield Server(
            url=url,
            join_code=code.group(1),
            meeting_id=int(meeting.group(1)),
            data_dir=data / "data",
            personal_codes=codes,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@contextlib.contextmanager
def launch_chromium(*extra_args: str, env: dict[str, str | float | bool] | None = None) -> Iterator[Browser]:
    """Debian's Chromium through Playwright (never a downloaded build), with
    :data:`CHROMIUM_ARGS` and ``extra_args`` (and ``env`` for its process); missing
    Playwright or Chromium is reported by :func:`tests.conftest.service_missing` (a failure
    in CI)."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        service_missing("Playwright", "pip install playwright")
    # What a page shows is awaited up to 15 s, not Playwright's 5: CI runs the whole suite
    # on two cores, where a tablet under that load once took more than 5 s to show a vote
    # result (test_polls). A passing check returns as soon as it holds.
    expect.set_options(timeout=15_000)
    if not Path(CHROMIUM).exists():
        service_missing("Chromium", f"{CHROMIUM} not found: apt-get install chromium")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], env=env
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


@dataclass
class Watch:
    """What a page logged. ``allow(pattern)`` tolerates an error the test expects."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=lambda: [EXPECTED_HTTP_ERROR])

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


def _with_csp(route: Route) -> None:
    if route.request.resource_type != "document":
        route.continue_()
        return
    try:
        response = route.fetch()
    except Exception as exc:
        # Playwright's fetch reuses a kept-alive connection, which the server may be closing
        # at that very moment (idle for its keep-alive time): a browser would send the page
        # request again on a new connection, and so does this, once, for a page (a GET).
        if "ECONNRESET" not in str(exc) or route.request.method != "GET":
            raise
        response = route.fetch()
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


def open_context(
    browser: Browser, watch: Watch, viewport: ViewportSize = LAPTOP, *, touch: bool | None = None
) -> BrowserContext:
    """A fresh browser profile (own cookies, own localStorage) set up like a device in Hà Nội.
    ``touch`` defaults to true for the portrait tablet."""
    context = browser.new_context(
        viewport=viewport,
        screen=viewport,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        has_touch=viewport is TABLET if touch is None else touch,
    )
    context.set_default_timeout(10_000)
    context.route("**/*", _with_csp)

    def on_page(page: Page) -> None:
        page.on("console", lambda m: watch.errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))

    context.on("page", on_page)
    return context


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def context(browser: Browser, watch: Watch) -> Iterator[BrowserContext]:
    """A laptop-sized browser profile; the test fails if its pages logged an unexpected error."""
    ctx = open_context(browser, watch)
    try:
        yield ctx
    finally:
        ctx.close()
    assert watch.unexpected() == []


@pytest.fixture
def devices(browser: Browser, watch: Watch) -> Iterator[list[BrowserContext]]:
    """Browser profiles a test opens (``open_context``) and appends here: closed after it;
    the test fails if their pages logged an unexpected error."""
    opened: list[BrowserContext] = []
    yield opened
    for ctx in opened:
        ctx.close()
    assert watch.unexpected() == []


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, server: Server, username: str) -> None:
    page.goto(server.url + "/console/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Danh sách cuộc họp").wait_for()


def switch_user(page: Page, username: str) -> None:
    """Sign out of the console and in again as ``username``."""
    page.get_by_role("button", name="Đăng xuất").click()
    # The screen left behind may have password fields of its own (the admin page): wait
    # for the sign-in form before filling it.
    page.get_by_role("button", name="Đăng nhập", exact=True).wait_for()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("heading", name="Danh sách cuộc họp").wait_for()


#: What an administrator sets before the office can issue notices: the term and the signer.
NOTICE_SETTINGS = {
    "term_start": "2025-10-16",
    "signature": {
        "signer_title": "Bí thư",
        "signer_name": "Nguyễn Văn Thành",
        "authorities": [{"authority": "on_behalf", "of": "Ban Thường vụ"}],
    },
}


def configure_notices(page: Page) -> None:
    """The demo body's notice settings, set through the API by a signed-in administrator."""
    call_api(page, "PUT", "/api/notice-settings", NOTICE_SETTINGS)


def personal_code(server: Any, name: str) -> str:
    """The personal code the demo printed for the delegate whose name contains ``name``."""
    return next(code for full, code in server.personal_codes.items() if name in full)


def join_tablet(page: Page, server: Server, name: str) -> None:
    """Join the demo meeting on ``page`` as the delegate ``name``, as from the QR link, and
    wait until the tablet is connected."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/tablet/#join={server.join_code}")
    page.get_by_role("button", name=re.compile(name)).click()
    page.get_by_test_id("join-personal-code").fill(personal_code(server, name))
    page.get_by_role("button", name=f"Vào cuộc họp: {name}").click()
    expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối")


def call_api(page: Page, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """The JSON API with the page's cookie and CSRF token, to set up or check state."""
    base = page.url.split("/", 3)[:3]
    origin = "/".join(base)
    session = page.request.get(origin + "/api/session")
    assert session.ok, session.text()
    headers = {"X-CSRF-Token": session.json()["csrf_token"]}
    response = page.request.fetch(origin + path, method=method, data=body, headers=headers)
    assert response.ok, response.text()
    return response.json()


#: The tablet's cache of page images (client_web/tablet/pages.js PAGE_CACHE).
PAGE_CACHE = "phonghop-pages-v1"


def cached_pages(page: Page) -> int:
    """How many page images the tablet keeps in its cache."""
    count: int = page.evaluate(
        f"""async () => (await caches.has('{PAGE_CACHE}'))
            ? (await (await caches.open('{PAGE_CACHE}')).keys()).length : 0"""
    )
    return count


def wait_for_cached_pages(page: Page, wanted: Callable[[int], bool], timeout: float = 20.0) -> None:
    """Poll :func:`cached_pages` until ``wanted(count)``. Not ``page.wait_for_function``:
    it does not await an async predicate, whose promise is truthy at once."""
    deadline = time.monotonic() + timeout
    while not wanted(count := cached_pages(page)):
        assert time.monotonic() < deadline, f"{count} page images still cached"
        page.wait_for_timeout(100)
