"""Notifications and accounts over HTTP: each user reads and marks only their own, in
their language; administrators put users in units and give them an address."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.services.notifications import notify
from phonghop.storage.db import Database
from tests.factories import World, companion, login


@pytest.fixture
def base(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def signed_in(base: TestClient, username: str) -> TestClient:
    client = companion(base)
    login(client, username)
    return client


def _notify(settings: Settings, world: World, *names: str) -> None:
    async def run() -> None:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                notify(
                    uow,
                    body_id=world.body_id,
                    user_ids=[world.users[n] for n in names],
                    kind="task_before",
                    params={"text": "Báo cáo tiến độ giải ngân", "deadline": "01/12/2026"},
                    link="/console/#/tasks/3",
                )
        finally:
            await db.dispose()

    asyncio.run(run())


def test_each_user_reads_and_marks_only_their_own(base: TestClient, world: World, settings: Settings) -> None:
    _notify(settings, world, "member1", "chair")
    _notify(settings, world, "member1")
    member1 = signed_in(base, "member1")
    chair = signed_in(base, "chair")

    mine = member1.get("/api/notifications").json()
    assert mine["unread"] == 2
    assert [n["text"] for n in mine["notifications"]] == [
        "Nhiệm vụ sắp đến hạn (01/12/2026): Báo cáo tiến độ giải ngân"
    ] * 2
    chairs = chair.get("/api/notifications").json()
    assert chairs["unread"] == 1

    # Someone else's notification does not exist for member1, and nothing is marked.
    r = member1.post("/api/notifications/read", json={"ids": [chairs["notifications"][0]["id"]]})
    assert r.status_code == 404 and r.json()["error"]["code"] == "notification_not_found"
    assert chair.get("/api/notifications").json()["unread"] == 1

    first = mine["notifications"][0]["id"]
    assert member1.post("/api/notifications/read", json={"ids": [first]}).json() == {"marked": 1}
    after = member1.get("/api/notifications").json()
    assert after["unread"] == 1
    assert [n["id"] for n in member1.get("/api/notifications?unread=1").json()["notifications"]] != [first]
    assert member1.post("/api/notifications/read", json={}).json() == {"marked": 1}
    assert member1.get("/api/notifications").json()["unread"] == 0


def test_text_follows_the_readers_language(base: TestClient, world: World, settings: Settings) -> None:
    admin = signed_in(base, "admin")
    _notify(settings, world, "member1")
    member1 = signed_in(base, "member1")
    assert member1.get("/api/notifications").json()["notifications"][0]["text"].startswith("Nhiệm vụ")
    r = admin.patch(f"/api/users/{world.users['member1']}", json={"language": "en"})
    assert r.status_code == 200, r.text
    assert member1.get("/api/notifications").json()["notifications"][0]["text"] == (
        "Task due soon (01/12/2026): Báo cáo tiến độ giải ngân"
    )


def test_without_a_session_there_is_nothing(base: TestClient) -> None:
    r = base.get("/api/notifications")
    assert r.status_code == 401


def test_administrator_puts_users_in_units(base: TestClient, world: World) -> None:
    admin = signed_in(base, "admin")
    unit = admin.post("/api/units", json={"name": "Sở Tài chính"}).json()
    uid = world.users["member1"]

    r = admin.patch(f"/api/users/{uid}", json={"unit_id": unit["id"], "email": " ketoan@stc.example "})
    assert r.status_code == 200, r.text
    assert r.json()["unit_id"] == unit["id"] and r.json()["email"] == "ketoan@stc.example"
    listed = {u["id"]: u for u in admin.get("/api/users").json()["users"]}
    assert listed[uid]["unit_id"] == unit["id"]

    r = admin.patch(f"/api/users/{uid}", json={"unit_id": None})
    assert r.status_code == 200 and r.json()["unit_id"] is None

    bad: list[tuple[dict[str, Any], int, str]] = [
        ({"email": "không phải thư"}, 422, "email_invalid"),
        ({"unit_id": 99999}, 404, "unit_not_found"),
    ]
    for body, status, code in bad:
        r = admin.patch(f"/api/users/{uid}", json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code)

    created = admin.post(
        "/api/users",
        json={"username": "chuyenvien.stc", "full_name": "Chuyên viên Sở Tài chính", "unit_id": unit["id"]},
    )
    assert created.status_code == 201 and created.json()["unit_id"] == unit["id"]


def test_accounts_of_another_body_do_not_exist(base: TestClient, world: World) -> None:
    admin = signed_in(base, "admin")
    r = admin.patch(f"/api/users/{world.users['other_office']}", json={"title": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "user_not_found"
    office = signed_in(base, "office")
    r = office.patch(f"/api/users/{world.users['member1']}", json={"title": "x"})
    assert r.status_code == 403


def test_administrator_cannot_lock_themselves_out(base: TestClient, world: World) -> None:
    admin = signed_in(base, "admin")
    for body in ({"active": False}, {"role": "office"}):
        r = admin.patch(f"/api/users/{world.users['admin']}", json=body)
        assert r.status_code == 409 and r.json()["error"]["code"] == "cannot_demote_self"
    r = admin.patch(f"/api/users/{world.users['member2']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
