"""Fixtures of the hostile-input and fuzz tests: one seeded room on each database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from tests.conftest import make_settings
from tests.factories import seed_world
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
