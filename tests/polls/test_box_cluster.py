"""The secret-ballot box on two real instances over PostgreSQL and Redis (docs/voting.md):
each instance knows the voters held in the other's box, and a close on one instance writes
the other's box before the count instead of refusing it."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from phonghop.services import polls
from phonghop.storage.db import Database
from phonghop.storage.models import PollVoter
from tests.polls.conftest import Setup, build, tablet_cookies
from tests.realtime.cluster import Instance, LivePeer, instance_env

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

K = 5  # the default PHONGHOP_SECRET_BALLOT_BATCH of the instances


@dataclass
class Pair:
    db: Database
    setup: Setup
    a: Instance
    b: Instance
    tablets: dict[int, LivePeer]
    """By participant id: the chair and the first half of the delegates on A, the rest on B."""
    secretary: LivePeer


@pytest.fixture
async def pair(migrated_postgres_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Pair]:
    db = Database(migrated_postgres_url)
    secret = secrets.token_hex(16)
    a = Instance(instance_env(migrated_postgres_url, redis_url, tmp_path / "a", secret), tmp_path, "a")
    b = Instance(instance_env(migrated_postgres_url, redis_url, tmp_path / "b", secret), tmp_path, "b")
    peers: list[LivePeer] = []
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_walinspect"))
        setup = await build(db, delegates=14)  # 15 voters with the chair
        await asyncio.gather(asyncio.to_thread(a.start), asyncio.to_thread(b.start))
        voters = setup.voters
        cookies = await tablet_cookies(setup, a.url, [*voters, setup.secretary])
        tablets: dict[int, LivePeer] = {}
        for index, (actor, cookie) in enumerate(zip(voters, cookies, strict=False)):
            assert actor.participant_id is not None
            peer = tablets[actor.participant_id] = LivePeer(cookie, setup.meeting_id)
            peers.append(peer)
            await peer.connect(a.url if index < 8 else b.url)
        secretary = LivePeer(cookies[-1], setup.meeting_id)
        peers.append(secretary)
        await secretary.connect(a.url)
        yield Pair(db, setup, a, b, tablets, secretary)
    finally:
        for peer in peers:
            await peer.close()
        await asyncio.gather(asyncio.to_thread(a.stop), asyncio.to_thread(b.stop))
        await polls.count_publisher(db).drain()
        await db.dispose()


async def roll(db: Database, poll_id: int) -> int:
    async with db.unit(write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).where(PollVoter.poll_id == poll_id)) or 0)


async def send(
    peer: LivePeer, poll_id: int, choice: str, *, probe: bool = True
) -> asyncio.Task[dict[str, Any]]:
    """A ballot, sent; with ``probe``, returns once it waits in its instance's box: the
    voter sends it twice with two keys, one waits in the box and the other is refused at
    once because of it."""

    def one() -> asyncio.Task[dict[str, Any]]:
        return asyncio.create_task(
            peer.call("poll.cast_ballot", poll_id=poll_id, ballot_key=secrets.token_hex(8), choices=[choice])
        )

    if not probe:
        return one()
    pair = {one(), one()}
    done, pending = await asyncio.wait(pair, return_when=asyncio.FIRST_COMPLETED)
    refused = done.pop().result()
    assert refused["error"]["code"] == "ballot_already_cast", refused
    assert not done and len(pending) == 1
    return pending.pop()


async def test_a_close_on_one_instance_writes_the_box_of_the_other_before_the_count(pair: Pair) -> None:
    setup = pair.setup
    poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
    async with pair.db.engine.begin() as conn:
        start = (await conn.execute(text("SELECT pg_current_wal_insert_lsn()"))).scalar_one()
    ids = list(pair.tablets)
    on_a, on_b = ids[:5], ids[8:14]  # 11 of the 15 vote: 5 through A, 6 through B
    sent = [await send(pair.tablets[pid], poll_id, "approve") for pid in on_a]
    sent += [await send(pair.tablets[pid], poll_id, "reject") for pid in on_b]
    assert await roll(pair.db, poll_id) == 0  # both boxes keep them: fewer than 2k each
    assert not [task.result() for task in sent if task.done()]

    closed = await pair.secretary.call("poll.close", poll_id=poll_id)
    assert closed["ok"], closed
    result = closed["result"]["result"]
    assert result["ballots_cast"] == 11
    assert {c["option_id"]: c["votes"] for c in result["counts"]}["reject"] == 6
    answers = await asyncio.gather(*sent)
    assert all(answer["ok"] for answer in answers), answers

    async with pair.db.engine.begin() as conn:
        end = (await conn.execute(text("SELECT pg_current_wal_flush_lsn()"))).scalar_one()
        roll_file = (await conn.execute(text("SELECT pg_relation_filenode('poll_voters')"))).scalar_one()
        records = (
            await conn.execute(
                text(
                    "SELECT xid, block_ref FROM pg_get_wal_records_info(:start, :end)"
                    " WHERE resource_manager = 'Heap' AND record_type LIKE 'INSERT%'"
                ),
                {"start": start, "end": end},
            )
        ).all()
    inserted = Counter(int(xid) for xid, ref in records if ref and f"/{roll_file} " in f"{ref} ")
    # B's box in its own transaction, then A's in the close's: never fewer than k together
    assert sorted(inserted.values()) == [5, 6], inserted


async def test_boxes_on_two_instances_are_written_once_every_voter_has_voted(pair: Pair) -> None:
    setup = pair.setup
    poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
    ids = list(pair.tablets)
    # 8 through A, 6 through B: each box holds fewer than 2k, and one voter is missing
    sent = [await send(pair.tablets[pid], poll_id, "approve") for pid in ids[:14]]
    assert await roll(pair.db, poll_id) == 0
    # the last voter, on B: both instances know (from each other's boxes) nobody is left
    sent.append(await send(pair.tablets[ids[14]], poll_id, "approve", probe=False))
    answers = await asyncio.gather(*sent)
    assert all(answer["ok"] for answer in answers), answers
    assert await roll(pair.db, poll_id) == 15
