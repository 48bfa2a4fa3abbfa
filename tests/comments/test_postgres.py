"""On real PostgreSQL, two app instances: two people of the drafting unit answer the same
comment at once (one answer row, the last one), and the unit closes the table while
another answer arrives (the answer is either in the closed table or refused, never stored
but missing from what the table keeps)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from phonghop.domain.permissions import Actor, UserRole
from phonghop.errors import Conflict
from phonghop.services import comments, opinions
from phonghop.services.accounts import Passwords, create_user
from phonghop.storage.db import Database
from phonghop.storage.models import (
    CommentAnswer,
    Document,
    DocumentPage,
    DocumentVersion,
    Meeting,
    Unit,
)
from tests.conftest import make_settings
from tests.factories import seed_world

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_concurrent_answers_and_closing_on_two_instances(tmp_path: Path, migrated_postgres_url: str) -> None:
    world = seed_world(make_settings(tmp_path / "data", migrated_postgres_url))
    office = Actor(body_id=world.body_id, user_id=world.users["office"], user_role=UserRole.OFFICE)

    def member(name: str) -> Actor:
        return Actor(body_id=world.body_id, user_id=world.users[name], user_role=UserRole.MEMBER)

    async def setup(db: Database) -> tuple[int, list[Actor], list[str]]:
        async with db.unit() as uow:
            unit = Unit(body_id=world.body_id, name="Sở Nội vụ", name_key="sở nội vụ")
            meeting = Meeting(body_id=world.body_id, title="Hội nghị", starts_at=NOW + timedelta(days=5))
            uow.session.add_all([unit, meeting])
            await uow.session.flush()
            doc = Document(meeting_id=meeting.id, title="Dự thảo Quy chế", unit_id=unit.id, access={})
            uow.session.add(doc)
            await uow.session.flush()
            version = DocumentVersion(
                document_id=doc.id, number=1, sha256="0" * 64, size=1, page_count=2, pages=[[595, 842]] * 2
            )
            uow.session.add(version)
            await uow.session.flush()
            uow.session.add_all(
                [
                    DocumentPage(version_id=version.id, page=1, text="QUY CHẾ\nĐiều 1. Phạm vi"),
                    DocumentPage(version_id=version.id, page=2, text="Điều 2. Trách nhiệm"),
                ]
            )
            drafters = []
            for name in ("noivu1", "noivu2"):
                user = await create_user(
                    uow,
                    Passwords(1, 8192),
                    body_id=world.body_id,
                    username=name,
                    full_name=name,
                    role=UserRole.MEMBER,
                    unit_id=unit.id,
                )
                drafters.append(
                    Actor(body_id=world.body_id, user_id=user.id, user_role=UserRole.MEMBER, unit_id=unit.id)
                )
            cid = await opinions.create(
                uow,
                office,
                NOW,
                title="Lấy ý kiến",
                question="Cho ý kiến.",
                deadline=NOW + timedelta(days=2),
                member_ids=[world.users["member1"], world.users["member2"]],
                document_id=doc.id,
            )
            document_id = doc.id
        keys = []
        for name, page in (("member1", 2), ("member2", 1)):
            async with db.unit() as uow:
                await opinions.answer(
                    uow, member(name), cid, NOW, choice="other", text=f"Ý kiến {name}", page=page
                )
            keys.append(f"o{cid}-{world.users[name]}")
        return document_id, drafters, keys

    async def answer(db: Database, who: Actor, document_id: int, key: str, text: str) -> str:
        try:
            async with db.unit() as uow:
                await comments.answer_comment(uow, who, document_id, key, NOW, kind="explained", text=text)
            return "answered"
        except Conflict as e:
            return e.code

    async def close(db: Database, who: Actor, document_id: int) -> dict[str, Any]:
        async with db.unit() as uow:
            return await comments.close_table(uow, who, document_id, NOW)

    async def run() -> tuple[list[str], list[Any], list[CommentAnswer], dict[str, Any], list[str]]:
        dbs = [Database(migrated_postgres_url), Database(migrated_postgres_url)]
        try:
            document_id, drafters, keys = await setup(dbs[0])
            first = await asyncio.gather(
                answer(dbs[0], drafters[0], document_id, keys[0], "Giải trình A"),
                answer(dbs[1], drafters[1], document_id, keys[0], "Giải trình B"),
            )
            second = await asyncio.gather(
                answer(dbs[0], drafters[0], document_id, keys[1], "Giải trình C"),
                close(dbs[1], drafters[1], document_id),
            )
            async with dbs[0].unit(write=False) as uow:
                rows = list(
                    await uow.session.scalars(
                        select(CommentAnswer).where(CommentAnswer.document_id == document_id)
                    )
                )
                table = await comments.comment_table(uow, office, document_id)
            return list(first), list(second), rows, table, keys
        finally:
            for db in dbs:
                await db.dispose()

    first, second, rows, table, (answered_twice, late) = asyncio.run(run())
    assert first == ["answered", "answered"]
    by_key = {r.comment_key: r for r in rows}
    kept = {c["key"]: c["answer"] for s in table["sections"] for c in s["comments"]}
    assert table["closed"] is True and set(kept) == {answered_twice, late}
    # Two answers at once: one row, the last one written, which the table shows.
    assert by_key[answered_twice].text in ("Giải trình A", "Giải trình B")
    assert kept[answered_twice]["text"] == by_key[answered_twice].text
    # The late answer: stored and kept by the closed table, or refused and absent from both.
    if second[0] == "answered":
        assert by_key[late].text == "Giải trình C" and kept[late]["text"] == "Giải trình C"
    else:
        assert second[0] == "comment_table_closed"
        assert late not in by_key and kept[late] is None
    # The sections come from the page text: page 2's comment under Điều 2, page 1's under Điều 1.
    assert [s["title"] for s in table["sections"]] == ["Điều 1. Phạm vi", "Điều 2. Trách nhiệm"]
