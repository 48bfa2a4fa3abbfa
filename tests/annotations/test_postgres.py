"""Annotations on the real PostgreSQL server: one annotation saved from many places at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.domain.permissions import Actor, MeetingRole
from phonghop.services.annotations import AnnotationFields, save_annotation
from phonghop.storage.db import Database
from phonghop.storage.models import Annotation, AnnotationClock
from tests.conftest import make_settings
from tests.factories import blank_pdf, seed_world, upload_document
from tests.realtime.helpers import Room

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_the_same_annotation_saved_at_once_is_one_row_with_the_newest_write(
    tmp_path: Path, migrated_postgres_url: str
) -> None:
    """Twelve saves of one client_id at once (a tablet replaying its queue on two
    connections, say), three different times among them: one row, the newest write, and
    the owner's revisions stay distinct."""
    settings = make_settings(tmp_path, migrated_postgres_url)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        room = Room(base, world)
        version = upload_document(room.office, room.id, blank_pdf(3), title="Tờ trình")["version"]["id"]
        owner = room.meeting["participants"][2]["id"]
        room.close()

    async def run() -> None:
        db = Database(migrated_postgres_url)
        actor = Actor(
            body_id=world.body_id, participant_id=owner, meeting_id=room.id, meeting_role=MeetingRole.DELEGATE
        )

        async def save(i: int) -> dict[str, object]:
            fields = AnnotationFields(
                client_id="same-client-1",
                document_version_id=version,
                page=1 + i % 3,
                kind="comment",
                data={"x": 0.5, "y": 0.5, "text": f"lần {i % 3}"},
                updated_at=T0 + timedelta(seconds=i % 3),
            )
            async with db.unit() as uow:
                return await save_annotation(uow, actor, room.id, fields)

        try:
            results = await asyncio.gather(*(save(i) for i in range(12)))
            async with db.unit(write=False) as uow:
                rows = list(await uow.session.scalars(select(Annotation).where(Annotation.owner_id == owner)))
                clock = await uow.session.scalar(
                    select(AnnotationClock.last_revision).where(AnnotationClock.participant_id == owner)
                )
                count = await uow.session.scalar(select(func.count()).select_from(Annotation))
        finally:
            await db.dispose()
        [row] = rows
        assert count == 1
        assert (row.page, row.data["text"], row.client_updated_at) == (3, "lần 2", T0 + timedelta(seconds=2))
        applied = [r for r in results if r["applied"]]
        assert 1 <= len(applied) <= 3  # the create, then only newer writes
        revisions = [r["annotation"]["revision"] for r in applied]  # type: ignore[index]
        assert len(set(revisions)) == len(revisions) and row.revision == max(revisions) <= (clock or 0)

    asyncio.run(run())
