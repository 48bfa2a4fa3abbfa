"""Units and accounts in the administration screen of a real browser, and the
notification bell: an administrator adds a unit, puts an account in it and gives it an
e-mail address; the bell shows its empty state, then a notification, which opens its
link and counts as read."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import SERVICES_REQUIRED

if not SERVICES_REQUIRED:  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright", reason="pip install playwright")

from playwright.sync_api import Page, expect

from phonghop.services.notifications import notify
from phonghop.storage.db import Database
from tests.browser.conftest import Server, call_api, sign_in

pytestmark = pytest.mark.browser

SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")


def _notify(server: Server, username: str) -> None:
    """A reminder for ``username``, written into the demo's database as the job would."""

    async def run() -> None:
        db = Database(f"sqlite+aiosqlite:///{server.data_dir / 'phonghop.db'}")
        try:
            from sqlalchemy import select

            from phonghop.storage.models import User

            async with db.unit() as uow:
                user = await uow.session.scalar(select(User).where(User.username == username))
                assert user is not None
                notify(
                    uow,
                    body_id=user.body_id,
                    user_ids=[user.id],
                    kind="task_before",
                    params={"text": "Hoàn thiện Đề án chuyển đổi số", "deadline": "30/11/2026"},
                    link="#/notices",
                )
        finally:
            await db.dispose()

    # Playwright's sync API runs an event loop in this thread: use another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


def test_units_accounts_and_the_bell(page: Page, server: Server) -> None:
    sign_in(page, server, "quantri")
    page.get_by_role("link", name="Quản trị").click()
    units = page.get_by_test_id("units-section")
    expect(page.get_by_test_id("unit-row")).to_have_count(4)  # the demo's
    units.get_by_label("Tên đơn vị").fill("Ban Tổ chức tỉnh ủy")
    units.get_by_role("button", name="Thêm đơn vị").click()
    expect(page.locator("#banner")).to_contain_text("đã có đơn vị mang tên này")  # written otherwise
    units.get_by_label("Tên đơn vị").fill("Sở Tài chính")
    units.get_by_label("Tên viết tắt").fill("STC")
    units.get_by_role("button", name="Thêm đơn vị").click()
    expect(page.get_by_text("Đã thêm đơn vị Sở Tài chính.")).to_be_visible()
    expect(page.get_by_test_id("unit-row")).to_have_count(5)

    row = page.get_by_test_id("user-row").filter(has_text="vanphong")
    row.get_by_test_id("user-unit").select_option(label="Sở Tài chính")
    expect(page.get_by_text("Đã lưu tài khoản")).to_be_visible()
    row = page.get_by_test_id("user-row").filter(has_text="vanphong")
    row.get_by_test_id("user-email").fill("không hợp lệ")
    row.get_by_role("button", name="Lưu").click()
    expect(page.locator("#banner")).to_contain_text("Địa chỉ thư điện tử không hợp lệ.")
    row.get_by_test_id("user-email").fill("ha.lt@tinhuy.gialai.gov.vn")
    row.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Đã lưu tài khoản")).to_be_visible()

    users = {u["username"]: u for u in call_api(page, "GET", "/api/users")["users"]}
    unit_id = next(
        u["id"] for u in call_api(page, "GET", "/api/units")["units"] if u["name"] == "Sở Tài chính"
    )
    assert users["vanphong"]["unit_id"] == unit_id
    assert users["vanphong"]["email"] == "ha.lt@tinhuy.gialai.gov.vn"

    bell = page.get_by_test_id("notifications-bell")
    bell.click()
    expect(page.get_by_text("Chưa có thông báo nào.")).to_be_visible()
    bell.click()

    _notify(server, "quantri")
    page.reload()
    bell = page.get_by_test_id("notifications-bell")
    expect(bell).to_contain_text("1")
    bell.click()
    item = page.get_by_test_id("notification")
    expect(item).to_contain_text("Nhiệm vụ sắp đến hạn (30/11/2026): Hoàn thiện Đề án chuyển đổi số")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "accounts-bell.png"), full_page=False)
    item.click()
    expect(page).to_have_url(f"{server.url}/console/#/notices")
    expect(page.locator(".bell-count")).to_be_hidden()
    assert call_api(page, "GET", "/api/notifications")["unread"] == 0
