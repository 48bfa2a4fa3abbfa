"""Shared fixtures: real SQLite per test, real PostgreSQL/Redis where a test asks.

PostgreSQL tests create their own database (``phonghop_t_<random>``) and drop it after,
so two runs never see each other's rows. When the server cannot be reached the test is
skipped with the reason on screen, except in CI (``CI=true``) or when
``PHONGHOP_REQUIRE_SERVICES=1``, where it fails: CI must never go green without them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.storage import migrate
from tests.factories import World, seed_world
from tests.realtime.helpers import Room

POSTGRES_ADMIN_URL = os.environ.get("PHONGHOP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PHONGHOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVICES_REQUIRED = (
    os.environ.get("CI", "").lower() == "true" or os.environ.get("PHONGHOP_REQUIRE_SERVICES") == "1"
)


def service_missing(what: str, why: str) -> None:
    message = f"{what} is not reachable ({why})"
    if SERVICES_REQUIRED:
        pytest.fail(message + " and CI requires the real-server tests", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    base = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret-" + secrets.token_hex(8),
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        # The reminder job runs only in the tests about it, which call it directly or
        # turn it on: elsewhere it would write rows at moments the test does not choose.
        reminder_interval=0,
    )
    return Settings(**{**base.__dict__, **overrides})


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'phonghop.db'}"
    asyncio.run(migrate.upgrade(url))
    return url


async def _pg_admin(sql: str) -> None:
    import asyncpg

    dsn = POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    yield from fresh_postgres_database()


def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database, yield its URL, drop it (fixtures needing two use it twice)."""
    name = "phonghop_t_" + secrets.token_hex(6)
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        service_missing("PostgreSQL", f"{type(exc).__name__}: {exc}")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def migrated_postgres_url(postgres_url: str) -> str:
    asyncio.run(migrate.upgrade(postgres_url))
    return postgres_url


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path / "data", sqlite_url)


@pytest.fixture
def world(settings: Settings) -> World:
    """The standard body, its users and their passwords (tests/factories.py), seeded on
    this test's database; a test directory may define its own."""
    return seed_world(settings)


@pytest.fixture
def room(settings: Settings, world: World) -> Iterator[Room]:
    """The seeded world's meeting, served in-process, with its peers closed afterwards
    (tests/web has its own, on both databases)."""
    with TestClient(create_app(settings)) as base:
        r = Room(base, world)
        try:
            yield r
        finally:
            r.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def redis_url() -> str:
    """The real Redis server (shared; phonghop namespaces its channel per database)."""
    from redis.asyncio import Redis

    async def ping() -> None:
        r = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        try:
            await r.ping()
        finally:
            await r.aclose()

    try:
        asyncio.run(ping())
    except Exception as exc:
        service_missing("Redis", f"{type(exc).__name__}: {exc}")
    return REDIS_URL
