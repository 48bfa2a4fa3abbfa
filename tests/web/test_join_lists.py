"""The join list served from memory: one build for a crowd, and its staleness bound."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from phonghop.config import Settings
from phonghop.errors import NotFound
from phonghop.services.roster import JoinLists
from phonghop.storage.db import Database
from tests.factories import login, prepared_meeting, seed_world


def test_a_crowd_of_tablets_costs_one_build_and_a_reissued_code_ends_within_the_ttl(
    client: TestClient, settings: Settings
) -> None:
    world = seed_world(settings)
    login(client, "office")
    meeting = prepared_meeting(client, world)
    code = meeting["join_code"]
    now = [1000.0]

    async def scenario() -> None:
        lists = JoinLists(ttl=10.0, clock=lambda: now[0])
        db = Database(settings.database_url)
        try:
            crowd = await asyncio.gather(*(lists.get(db, code) for _ in range(200)))
            assert lists.builds == 1 and len({e.etag for e in crowd}) == 1
            names = [p["full_name"] for p in meeting["participants"]]
            assert all(name.encode() in crowd[0].body for name in names)
            # Another instance reissues the code (no event reaches this one): the old code
            # is still served until the entry expires, then refused.
            client.post(f"/api/meetings/{meeting['id']}/join-code")
            now[0] += 9.0
            assert (await lists.get(db, code)).etag == crowd[0].etag
            now[0] += 2.0
            with pytest.raises(NotFound) as refused:
                await lists.get(db, code)
            assert refused.value.code == "join_code_invalid"
            assert lists.builds == 1
        finally:
            await db.dispose()

    asyncio.run(scenario())
