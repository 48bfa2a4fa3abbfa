"""Hardening: sign-in throttling and lockout, sign out everywhere, revoking a tablet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.services import throttle
from tests.factories import PASSWORD, World, companion, login


@pytest.fixture
def client(settings: Settings, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def attempt(client: TestClient, username: str, password: str) -> tuple[int, str]:
    r = client.post("/api/session", json={"username": username, "password": password})
    return r.status_code, r.json().get("error", {}).get("code", "")


def test_an_account_at_an_address_is_locked_after_repeated_failures(client: TestClient) -> None:
    for _ in range(throttle.ACCOUNT_AT_ADDRESS.failures - 1):
        assert attempt(client, "office", "sai-mat-khau-1") == (401, "login_failed")
    assert attempt(client, "office", "sai-mat-khau-1") == (401, "login_failed")  # the one that locks
    status, code = attempt(client, "office", PASSWORD)  # even the right password, from here
    assert (status, code) == (429, "login_locked")
    r = client.post("/api/session", json={"username": "office", "password": PASSWORD})
    assert r.json()["error"]["params"]["minutes"] == 1  # the first lock is short; the next ones double
    assert "1" in r.json()["error"]["message"]
    # another account is not affected
    assert attempt(client, "admin", PASSWORD)[0] == 200


def test_a_success_resets_the_count(client: TestClient) -> None:
    for _ in range(throttle.ACCOUNT_AT_ADDRESS.failures - 1):
        attempt(client, "office", "sai-mat-khau-1")
    assert attempt(client, "office", PASSWORD)[0] == 200
    fresh = companion(client)  # not a known device of the account
    for _ in range(throttle.ACCOUNT_AT_ADDRESS.failures - 1):
        attempt(fresh, "office", "sai-mat-khau-1")
    assert attempt(fresh, "office", PASSWORD)[0] == 200


def test_an_address_guessing_many_accounts_is_locked(client: TestClient) -> None:
    for i in range(throttle.ADDRESS.failures):
        assert attempt(client, f"khong-co-{i}", "sai-mat-khau-1")[0] == 401
    assert attempt(client, "admin", PASSWORD) == (429, "login_locked")


def test_sign_out_everywhere(client: TestClient) -> None:
    laptop, phone = companion(client), companion(client)
    login(laptop, "office")
    login(phone, "office")
    r = laptop.delete("/api/sessions")
    assert r.status_code == 200 and r.json() == {"ended": 2}
    assert phone.get("/api/session").json()["error"]["code"] == "session_expired"
    assert laptop.get("/api/session").status_code == 401
    assert attempt(laptop, "office", PASSWORD)[0] == 200  # signing in again works
