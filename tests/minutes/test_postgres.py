"""Minutes saved from several consoles at the same moment on the real PostgreSQL server:
exactly one save of each version wins, the others are refused and change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.domain.permissions import Actor, UserRole
from phonghop.errors import Conflict
from phonghop.services.minutes import get_minutes, save_minutes
from phonghop.storage.db import Database
from tests.conftest import make_settings
from tests.factories import seed_world
from tests.realtime.helpers import Room

pytestmark = pytest.mark.postgres


def test_saves_racing_on_one_version_let_exactly_one_through(
    tmp_path: Path, migrated_postgres_url: str
) -> None:
    settings = make_settings(tmp_path, migrated_postgres_url)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        room = Room(base, world)
        meeting_id = room.id
        room.close()

    async def run() -> tuple[list[object], dict[str, str], int]:
        db = Database(migrated_postgres_url)
        secretary = Actor(body_id=world.body_id, user_id=world.users["secretary"], user_role=UserRole.MEMBER)
        office = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)

        async def save(i: int) -> object:
            try:
                async with db.unit() as uow:
                    actor = secretary if i % 2 else office
                    view = await save_minutes(uow, actor, meeting_id, 0, {"opening": f"Bản {i}"}, tz=UTC)
                    return view["version"]
            except Conflict as refused:
                return refused.code

        try:
            results = list(await asyncio.gather(*(save(i) for i in range(8))))
            async with db.unit(write=False) as uow:
                view = await get_minutes(uow, office, meeting_id, tz=UTC)
        finally:
            await db.dispose()
        return results, {s["key"]: s["text"] for s in view["sections"]}, view["version"]

    results, sections, version = asyncio.run(run())
    assert sorted(results, key=str) == [1] + ["minutes_stale"] * 7
    winner = results.index(1)
    assert version == 1 and sections["opening"] == f"Bản {winner}"
