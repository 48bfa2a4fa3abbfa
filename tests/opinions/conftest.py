"""A running app with the seeded bodies and signed-in office staff (the notice service's
fixtures), and helpers to send a consultation and answer it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.config import Settings
from tests.conftest import make_settings
from tests.factories import World, companion, login
from tests.notices_service import conftest as notices_conftest

base = notices_conftest.base
office = notices_conftest.office
admin = notices_conftest.admin


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path / "data", sqlite_url, timezone="Asia/Ho_Chi_Minh")


def signed_in(base: TestClient, username: str) -> TestClient:
    client = companion(base)
    login(client, username)
    return client


@pytest.fixture
def member1(base: TestClient, world: World) -> TestClient:
    return signed_in(base, "member1")


@pytest.fixture
def chair(base: TestClient, world: World) -> TestClient:
    return signed_in(base, "chair")


def send(office: TestClient, world: World, **fields: Any) -> dict[str, Any]:
    """A consultation sent to the chair, member1 and member2, due in three days."""
    body = {
        "title": "Lấy ý kiến dự thảo Quy chế làm việc",
        "question": "Đề nghị các đồng chí cho ý kiến về dự thảo Quy chế làm việc nhiệm kỳ 2025-2030.",
        "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        "members": [world.users["chair"], world.users["member1"], world.users["member2"]],
        **fields,
    }
    r = office.post("/api/consultations", json=body)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result
