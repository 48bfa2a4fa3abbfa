"""The meeting API and the event log on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.domain.permissions import Actor, UserRole
from phonghop.services.events import append_event
from phonghop.storage.db import Database
from phonghop.storage.models import MeetingEvent
from tests.conftest import make_settings
from tests.factories import login, prepared_meeting, seed_world

pytestmark = pytest.mark.postgres


def test_meeting_flow_on_postgres(tmp_path: Path, migrated_postgres_url: str) -> None:
    settings = make_settings(tmp_path, migrated_postgres_url)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "office")
        meeting = prepared_meeting(client, world)
        assert client.post(f"/api/meetings/{meeting['id']}/actions/start").json()["state"] == "in_progress"
        assert client.get("/readyz").json()["checks"] == {"database": "ok"}


def test_concurrent_appends_from_two_instances_get_gapless_sequence(
    migrated_postgres_url: str, tmp_path: Path
) -> None:
    """Two engines (two app instances) append to one meeting at once: every event gets its
    own number, with no gap and no duplicate, and the published order is the seq order."""
    settings = make_settings(tmp_path, migrated_postgres_url)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "office")
        mid = prepared_meeting(client, world)["id"]

    async def run() -> list[int]:
        instances = [Database(migrated_postgres_url), Database(migrated_postgres_url)]
        published: list[int] = []

        async def publish(events: list[dict[str, object]]) -> None:
            published.extend(int(e["seq"]) for e in events)  # type: ignore[call-overload]

        for db in instances:
            db.publisher = publish
        actor = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)

        async def worker(db: Database, n: int) -> None:
            for i in range(n):
                async with db.unit() as uow:
                    await append_event(uow, mid, "announcement.made", {"text": f"{id(db)}-{i}"}, actor=actor)

        await asyncio.gather(*(worker(db, 40) for db in instances for _ in range(3)))
        async with instances[0].unit(write=False) as uow:
            seqs = list(
                await uow.session.scalars(
                    select(MeetingEvent.seq).where(MeetingEvent.meeting_id == mid).order_by(MeetingEvent.seq)
                )
            )
        for db in instances:
            await db.dispose()
        assert len(published) == 240
        return seqs

    seqs = asyncio.run(run())
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) >= 240
