"""Fixtures of the hostile-input and fuzz tests: one seeded room on each database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from tests.conftest import make_settings
from tests.factories import World, companion, login, prepared_meeting, seed_world
from tests.realtime.helpers import Room


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database, SQLite then PostgreSQL: every test that asks runs on both."""
    name = "sqlite_url" if request.param == "sqlite" else "migrated_postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def room(tmp_path: Path, database_url: str) -> Iterator[Room]:
    """The seeded world's meeting, served in-process on ``database_url``."""
    settings = make_settings(tmp_path / "data", database_url)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        r = Room(base, world)
        try:
            yield r
        finally:
            r.close()


@pytest.fixture
def office(client: TestClient) -> TestClient:
    """The office, signed in on ``client`` (a file's own client, with the world seeded)."""
    office = companion(client)
    login(office, "office")
    return office


@pytest.fixture
def meeting(office: TestClient, world: World) -> dict[str, Any]:
    """chair, secretary (both with accounts), member1..3 (delegates), scheduled."""
    return prepared_meeting(office, world)
