"""The tablet over HTTPS at a LAN-style name, as an office runs it: a certificate from
``phonghop tls init``, a browser that trusts that CA (an NSS database, as a tablet whose
owner installed the certificate), the service worker installed, and the app and the
prefetched pages still there without a network.

Localhost is a secure context even over plain HTTP, which hides what offices meet: here
the page is at ``https://phonghop.vp.lan:<port>``, mapped to 127.0.0.1 by Chromium's host
resolver rules, and the browser checks the certificate against the CA it was given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import TABLET, _free_port, launch_chromium, personal_code, wait_for_cached_pages
from tests.conftest import service_missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HOST = "phonghop.vp.lan"


@dataclass(frozen=True)
class LanServer:
    url: str
    join_code: str
    personal_codes: dict[str, str]
    ca: Path


@pytest.fixture(scope="module")
def lan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LanServer]:
    data = tmp_path_factory.mktemp("lan") / "data"
    env = {
        **os.environ,
        "PHONGHOP_DATA_DIR": str(data),
        "PHONGHOP_ARGON2_TIME_COST": "1",
        "PHONGHOP_ARGON2_MEMORY_KIB": "8192",
    }
    init = subprocess.run(
        [
            sys.executable,
            "-m",
            "phonghop",
            "tls",
            "init",
            "--name",
            HOST,
            "--organisation",
            "Văn phòng Tỉnh ủy",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr
    port = _free_port()
    log_path = data.parent / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [sys.executable, "-m", "phonghop", "--port", str(port), "demo"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ca = data / "tls" / "ca.crt"
    trust = ssl.create_default_context(cafile=str(ca))
    trust.check_hostname = False  # the name is the browser's to check; here we only wait
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(
                    f"https://127.0.0.1:{port}/healthz", context=trust, timeout=2
                ) as r:
                    assert json.load(r)["status"] == "ok"
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("phonghop demo did not start:\n" + log_path.read_text(errors="replace"))
                time.sleep(0.2)
        code = re.search(r"join code:\s+(\S+)", log_path.read_text(encoding="utf-8"))
        assert code
        printed = log_path.read_text(encoding="utf-8")
        codes = {
            m.group(2).strip(): m.group(1) for m in re.finditer(r"^    ([A-Z2-9]{8})  (.+)$", printed, re.M)
        }
        yield LanServer(url=f"https://{HOST}:{port}", join_code=code.group(1), ca=ca, personal_codes=codes)
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def trusting_browser(lan_server: LanServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium with a profile whose NSS database trusts the office's CA."""
    certutil = shutil.which("certutil")
    if certutil is None:
        service_missing("certutil", "apt-get install libnss3-tools")
        return
    home = tmp_path_factory.mktemp("home")
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "phonghop-ca", "-i", str(lan_server.ca)],
        check=True,
    )
    env: dict[str, str | float | bool] = {**os.environ, "HOME": str(home)}
    with launch_chromium(f"--host-resolver-rules=MAP {HOST} 127.0.0.1", env=env) as browser:
        yield browser


def test_the_tablet_installs_and_works_offline_over_https(
    trusting_browser: Browser, lan_server: LanServer
) -> None:
    from playwright.sync_api import expect

    context = trusting_browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(f"{lan_server.url}/tablet/#join={lan_server.join_code}")
        assert page.evaluate("() => window.isSecureContext") is True
        page.get_by_role("button", name=re.compile("Trần Quốc Hưng")).click()
        page.get_by_test_id("join-personal-code").fill(personal_code(lan_server, "Trần Quốc Hưng"))
        page.get_by_role("button", name="Vào cuộc họp: Trần Quốc Hưng").click()
        expect(page.get_by_test_id("connection-status")).to_have_text("Đã kết nối")
        # The service worker takes over, and the meeting's pages are prefetched into its cache.
        page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.ready")
        page.reload()
        page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=20_000)
        wait_for_cached_pages(page, lambda count: count > 0, timeout=60)
        cached: list[str] = page.evaluate(
            """async () => (await (await caches.open('phonghop-pages-v1')).keys()).map(r => r.url)"""
        )
        assert cached and all(url.startswith(lan_server.url + "/api/versions/") for url in cached)

        # No network: the app still opens, and the prefetched pages are still there.
        context.set_offline(True)
        page.reload()
        expect(page.get_by_test_id("connection-status")).to_contain_text("Mất kết nối")
        sizes: list[int] = page.evaluate(
            """async (urls) => Promise.all(urls.slice(0, 3).map(async (u) => {
                const r = await fetch(u);
                return r.ok ? (await r.blob()).size : -1;
            }))""",
            cached,
        )
        assert all(size > 1000 for size in sizes), sizes
    finally:
        context.close()
