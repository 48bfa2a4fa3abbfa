"""Ballots by group commit and the secret-ballot box (docs/voting.md), on real SQLite and
PostgreSQL: batches, exactly-once, the box held until k voters, the close, and what the
write-ahead log shows of a secret poll."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import struct
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from phonghop.domain.permissions import Actor
from phonghop.errors import PhonghopError
from phonghop.services import ballots, polls
from phonghop.services.ballots import BallotQueue
from phonghop.storage.db import Database
from phonghop.storage.models import PollVoter
from tests.polls.conftest import Setup, build, tablet_cookies
from tests.realtime.cluster import Instance, LivePeer, instance_env

pytestmark = pytest.mark.anyio

K = 5


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("migrated_postgres_url")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    try:
        yield db
    finally:
        await polls.count_publisher(db).drain()
        await db.dispose()


def queue_of(db: Database) -> BallotQueue:
    return ballots.ballot_queue(db, K)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for ``condition`` (a generous deadline: the machine may be busy)."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


def waiting(queue: BallotQueue, poll_id: int) -> int:
    lane = queue._lanes.get(poll_id)
    return len(lane.waiting) if lane else 0


async def roll(db: Database, poll_id: int) -> int:
    async with db.unit(write=False) as uow:
        count = await uow.session.scalar(select(func.count()).where(PollVoter.poll_id == poll_id))
        return int(count or 0)


def cast(
    queue: BallotQueue, setup: Setup, actor: Actor, poll_id: int, choice: str, key: str | None = None
) -> asyncio.Task[dict[str, Any]]:
    return asyncio.create_task(
        queue.cast(actor, setup.meeting_id, poll_id, key or f"key-{actor.participant_id:06d}", [choice])
    )


@pytest.fixture
def commits(database: Database) -> Iterator[list[int]]:
    """One entry per committed write transaction of the database."""
    seen: list[int] = []

    def on_commit(conn: Any) -> None:
        seen.append(1)

    event.listen(database.sync_engine, "commit", on_commit)
    yield seen
    event.remove(database.sync_engine, "commit", on_commit)


async def test_ballots_sent_together_are_written_in_a_few_transactions_each_counted_once(
    database: Database, commits: list[int]
) -> None:
    setup = await build(database, delegates=60, bulk=True)
    poll_id = await setup.open_poll(eligibility="voting_members")
    queue = queue_of(database)
    before = len(commits)
    choices = ["approve", "reject", "abstain"]
    tasks = [cast(queue, setup, a, poll_id, choices[i % 3]) for i, a in enumerate(setup.voters)]
    retries = [cast(queue, setup, a, poll_id, choices[i % 3]) for i, a in enumerate(setup.voters[:20])]
    acks = await asyncio.gather(*tasks, *retries)
    assert all(a["poll_id"] == poll_id for a in acks)
    assert [a["choices"] for a in acks[:3]] == [["approve"], ["reject"], ["abstain"]]
    # 61 voters (and 20 repeats) in a handful of transactions, not 81
    assert len(commits) - before <= 10
    closed = await setup.close(poll_id)
    counts = {c["option_id"]: c["votes"] for c in closed["result"]["counts"]}
    assert closed["result"]["ballots_cast"] == 61
    assert counts == {"approve": 21, "reject": 20, "abstain": 20}


async def test_a_refused_ballot_in_a_batch_does_not_refuse_the_others(database: Database) -> None:
    setup = await build(database, delegates=4)
    poll_id = await setup.open_poll(eligibility="voting_members")
    queue = queue_of(database)
    good = [cast(queue, setup, a, poll_id, "approve") for a in setup.delegates[:3]]
    bad = cast(queue, setup, setup.delegates[3], poll_id, "no-such-option")
    assert all(a["choices"] == ["approve"] for a in await asyncio.gather(*good))
    with pytest.raises(PhonghopError) as refused:
        await bad
    assert refused.value.code == "ballot_choice_invalid"
    with pytest.raises(PhonghopError) as guest:
        await cast(queue, setup, setup.guest, poll_id, "approve")
    assert guest.value.code == "poll_not_eligible"


async def test_the_secret_box_keeps_k_ballots_back_so_the_close_writes_k_or_more(
    database: Database, commits: list[int]
) -> None:
    setup = await build(database, delegates=14)  # 15 voters with the chair
    poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
    queue = queue_of(database)
    voters = setup.voters
    first = [cast(queue, setup, a, poll_id, "approve") for a in voters[: 2 * K - 1]]
    again = cast(queue, setup, voters[0], poll_id, "approve")  # a retry while it waits
    await until(lambda: waiting(queue, poll_id) == 2 * K - 1, "2k - 1 voters in the box")
    assert not any(t.done() for t in [*first, again])
    assert await roll(database, poll_id) == 0  # k waiting are not enough: k must stay behind

    before = len(commits)
    tenth = cast(queue, setup, voters[2 * K - 1], poll_id, "reject")
    acks = await asyncio.gather(*first[:K], again)  # the k oldest, written together
    assert all(a["choices"] is None for a in acks)
    assert acks[0] == acks[K]  # the retry has the same acknowledgement
    await until(lambda: waiting(queue, poll_id) == K, "k voters kept back")
    assert await roll(database, poll_id) == K
    assert len(commits) - before == 1
    assert not any(t.done() for t in [*first[K:], tenth])

    # two more wait with them; the close takes the seven, never fewer than k
    late = [cast(queue, setup, a, poll_id, "abstain") for a in voters[2 * K : 2 * K + 2]]
    await until(lambda: waiting(queue, poll_id) == K + 2, "seven voters in the box")
    closed = await setup.close_via_queue(poll_id)
    assert all(a["ballot_key"].startswith("key-") for a in await asyncio.gather(*first, tenth, *late))
    counts = {c["option_id"]: c["votes"] for c in closed["result"]["counts"]}
    assert closed["result"]["ballots_cast"] == 2 * K + 2
    assert counts == {"approve": 2 * K - 1, "reject": 1, "abstain": 2}
    # after the close, the same key is acknowledged again; a new ballot is refused
    assert (await cast(queue, setup, voters[1], poll_id, "approve"))["ballot_key"] == acks[1]["ballot_key"]
    with pytest.raises(PhonghopError) as after:
        await cast(queue, setup, voters[2 * K + 2], poll_id, "approve")
    assert after.value.code == "poll_not_open"


async def test_the_box_writes_everything_once_every_voter_has_voted(database: Database) -> None:
    setup = await build(database, delegates=2 * K)  # 2k + 1 voters with the chair
    poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
    queue = queue_of(database)
    voters = setup.voters
    tasks = [cast(queue, setup, a, poll_id, "approve") for a in voters[:-1]]
    await until(lambda: waiting(queue, poll_id) == K and all(t.done() for t in tasks[:K]), "k written")
    assert not any(t.done() for t in tasks[K:])
    # the last voter: nobody is left to come, the box needs no one kept back
    tasks.append(cast(queue, setup, voters[-1], poll_id, "reject"))
    await asyncio.gather(*tasks)
    assert await roll(database, poll_id) == 2 * K + 1
    assert waiting(queue, poll_id) == 0


async def test_a_poll_with_fewer_than_k_voters_is_written_by_the_close_in_one_batch(
    database: Database,
) -> None:
    setup = await build(database, delegates=2)  # three voters with the chair
    poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
    queue = queue_of(database)
    tasks = [cast(queue, setup, a, poll_id, "approve") for a in setup.voters]
    await until(lambda: waiting(queue, poll_id) == 3, "the three voters in the box")
    assert await roll(database, poll_id) == 0  # all voted, yet below k: the close writes them
    closed = await setup.close_via_queue(poll_id)
    assert closed["result"]["ballots_cast"] == 3
    assert len(await asyncio.gather(*tasks)) == 3


async def test_a_different_second_ballot_of_a_waiting_secret_voter_is_refused(database: Database) -> None:
    setup = await build(database, delegates=K - 1)  # k voters: the last one's ballot writes the box
    poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
    queue = queue_of(database)
    voters = setup.voters
    tasks = [cast(queue, setup, a, poll_id, "approve") for a in voters[: K - 1]]
    other = cast(queue, setup, voters[0], poll_id, "reject", key="another-key")
    await until(lambda: waiting(queue, poll_id) == K - 1, "four voters in the box")
    tasks.append(cast(queue, setup, voters[K - 1], poll_id, "approve"))
    await asyncio.gather(*tasks)
    with pytest.raises(PhonghopError) as refused:
        await other
    assert refused.value.code == "ballot_already_cast"
    closed = await setup.close(poll_id)
    assert closed["result"]["ballots_cast"] == K


# -- what the write-ahead log shows ------------------------------------------------------------


async def secret_poll_through_the_box(setup: Setup, voters: int) -> int:
    """A secret poll where ``voters`` delegates vote one after another, each retried once."""
    poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
    queue = queue_of(setup.db)
    options = ["approve", "reject", "abstain"]
    tasks = []
    for i, actor in enumerate(setup.voters[:voters]):
        tasks.append(cast(queue, setup, actor, poll_id, options[i % 3]))
        tasks.append(cast(queue, setup, actor, poll_id, options[i % 3]))
        n = i + 1
        held = n if n < 2 * K else K + (n - 2 * K) % K  # k kept back once 2k have voted
        await until(lambda h=held: waiting(queue, poll_id) == h, "box")
    closed = await setup.close_via_queue(poll_id)
    assert closed["result"]["ballots_cast"] == voters
    assert all(a["poll_id"] == poll_id for a in await asyncio.gather(*tasks))
    return poll_id


#: 13 of the 15 voters vote: the box writes the 5 oldest when the 10th arrives, the close
#: writes the 8 left (without the keeping back, 5 + 5 and a close of 3).
WAL_VOTERS = 13
WAL_BATCHES = [K, WAL_VOTERS - K]


@pytest.mark.postgres
async def test_the_postgres_wal_shows_no_transaction_with_fewer_than_k_roll_rows(
    migrated_postgres_url: str,
) -> None:
    db = Database(migrated_postgres_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_walinspect"))
        setup = await build(db, delegates=14)
        async with db.engine.begin() as conn:
            start = (await conn.execute(text("SELECT pg_current_wal_insert_lsn()"))).scalar_one()
        await secret_poll_through_the_box(setup, WAL_VOTERS)
        async with db.engine.begin() as conn:
            end = (await conn.execute(text("SELECT pg_current_wal_flush_lsn()"))).scalar_one()
            roll_file = (await conn.execute(text("SELECT pg_relation_filenode('poll_voters')"))).scalar_one()
            tally_file = (
                await conn.execute(text("SELECT pg_relation_filenode('poll_tallies')"))
            ).scalar_one()
            records = (
                await conn.execute(
                    text(
                        "SELECT xid, record_type, block_ref FROM pg_get_wal_records_info(:start, :end)"
                        " WHERE resource_manager IN ('Heap', 'Heap2')"
                    ),
                    {"start": start, "end": end},
                )
            ).all()
    finally:
        await polls.count_publisher(db).drain()
        await db.dispose()

    def touches(block_ref: str | None, filenode: int) -> bool:
        return block_ref is not None and f"/{filenode} " in f"{block_ref} "

    inserted: Counter[int] = Counter()
    tally_xids: set[int] = set()
    for xid, record_type, block_ref in records:
        if touches(block_ref, roll_file) and record_type.split("+")[0] == "INSERT":
            inserted[int(xid)] += 1
        if touches(block_ref, tally_file) and "UPDATE" in record_type:
            tally_xids.add(int(xid))
    # one insert per voter, in two transactions: the batch of the k oldest and the close's
    assert sorted(inserted.values()) == sorted(WAL_BATCHES), inserted
    assert all(n >= K for n in inserted.values())
    # the counters change with k voters or more, and when the close rewrites them all
    assert len(tally_xids - set(inserted)) <= 1


def sqlite_wal_transactions(wal: bytes) -> list[list[tuple[int, bytes]]]:
    """The committed transactions of a SQLite WAL file: each a list of (page number, page)."""
    page_size = struct.unpack(">I", wal[8:12])[0]
    out: list[list[tuple[int, bytes]]] = []
    current: list[tuple[int, bytes]] = []
    offset = 32
    while offset + 24 + page_size <= len(wal):
        page_no, commit_size = struct.unpack(">II", wal[offset : offset + 8])
        current.append((page_no, wal[offset + 24 : offset + 24 + page_size]))
        offset += 24 + page_size
        if commit_size:
            out.append(current)
            current = []
    return out


def leaf_cells(page: bytes) -> int:
    """Rows on a b-tree leaf page (a table's, or a WITHOUT ROWID table's); 0 for others."""
    return struct.unpack(">H", page[3:5])[0] if page[0] in (0x0D, 0x0A) else 0


async def test_the_sqlite_wal_shows_no_transaction_with_fewer_than_k_roll_rows(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = Database(sqlite_url)
    try:
        setup = await build(db, delegates=14)
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            root = (
                await auto.execute(text("SELECT rootpage FROM sqlite_master WHERE name = 'poll_voters'"))
            ).scalar_one()
        path = sqlite_url.split("///", 1)[1]
        # A reader holding its snapshot keeps the close's checkpoint from emptying the log.
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM polls").fetchall()
            await secret_poll_through_the_box(setup, WAL_VOTERS)
            wal = Path(path + "-wal").read_bytes()
        finally:
            reader.close()
    finally:
        await polls.count_publisher(db).drain()
        await db.dispose()
    rows = 0
    grown = []
    for transaction in sqlite_wal_transactions(wal):
        pages = dict(transaction)
        if root in pages:
            now = leaf_cells(pages[root])
            if now != rows:
                grown.append(now - rows)
            rows = now
    # the batch of the k oldest, then the close with the 8 kept back: never fewer than k
    assert grown == WAL_BATCHES


# -- an instance killed with ballots in its box ------------------------------------------------


@pytest.mark.slow
async def test_an_instance_killed_with_ballots_in_its_box_acknowledged_none_and_the_resent_count_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = Database(sqlite_url)
    try:
        setup = await build(db, delegates=K - 1)  # k voters with the chair: all of them vote
        poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
        server = Instance(instance_env(sqlite_url, None, tmp_path / "data", "k" * 32), tmp_path, "one")
        await asyncio.to_thread(server.start)
        try:
            cookies = await tablet_cookies(setup, server.url, setup.voters[:K])
            peers = [LivePeer(c, setup.meeting_id) for c in cookies]
            for peer in peers[:3]:
                await peer.connect(server.url)
            keys = [f"kill-test-{i:04d}" for i in range(K)]
            sent = [
                asyncio.create_task(
                    peer.call("poll.cast_ballot", poll_id=poll_id, ballot_key=keys[i], choices=["approve"])
                )
                for i, peer in enumerate(peers[:3])
            ]
            for peer in peers[:3]:  # the server read the ballots: it answers what came after them
                assert (await peer.call("ping"))["ok"]
            assert not any(t.done() for t in sent)
            await asyncio.to_thread(server.kill)
            await asyncio.gather(*sent, return_exceptions=True)
            assert await roll(db, poll_id) == 0  # nothing stored, nothing acknowledged

            await asyncio.to_thread(server.start)
            for peer in peers:
                peer.ws = None
                await peer.connect(server.url)
            again = await asyncio.gather(
                *(
                    peer.call("poll.cast_ballot", poll_id=poll_id, ballot_key=keys[i], choices=["approve"])
                    for i, peer in enumerate(peers)
                )
            )
            assert all(a["ok"] for a in again), again
            for peer in peers:
                await peer.close()
        finally:
            await asyncio.to_thread(server.stop)
        closed = await setup.close(poll_id)
        assert closed["result"]["ballots_cast"] == K
    finally:
        await polls.count_publisher(db).drain()
        await db.dispose()


# -- a close with another instance that does not answer ----------------------------------------


@pytest.mark.redis
async def test_a_close_waits_a_bounded_time_for_an_instance_that_does_not_answer(
    sqlite_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from redis.asyncio import Redis

    from phonghop.realtime.bus import RedisBus, channel_for

    caplog.set_level(logging.WARNING, logger="phonghop.ballots")
    monkeypatch.setattr(ballots, "GATHER_TIMEOUT", 0.3)
    db = Database(sqlite_url)
    queue = queue_of(db)
    bus = RedisBus(redis_url, channel_for(sqlite_url))
    # A frozen instance: subscribed to the bus, never answering.
    frozen = Redis.from_url(redis_url)
    silent = frozen.pubsub()

    async def nothing() -> None:
        return None

    try:
        await bus.start(queue.on_event, nothing)
        queue.bus, bus.on_signal = bus, queue.on_signal
        await silent.subscribe(bus.channel)
        await until(lambda: bus.healthy, "the bus connected")
        for _ in range(300):
            if await bus.peers() == 1:
                break
            await asyncio.sleep(0.01)
        assert await bus.peers() == 1

        setup = await build(db, delegates=2 * K)
        poll_id = await setup.open_poll(kind="secret", eligibility="voting_members")
        tasks = [cast(queue, setup, a, poll_id, "approve") for a in setup.voters[:K]]
        await until(lambda: waiting(queue, poll_id) == K, "k voters in the box")
        with pytest.raises(PhonghopError) as refused:  # a delegate cannot make boxes write
            await queue.gather(setup.delegates[0], setup.meeting_id, poll_id)
        assert refused.value.code == "secretary_required"
        assert "other instances wrote their boxes" not in caplog.text

        await queue.gather(setup.secretary, setup.meeting_id, poll_id)
        assert f"closing poll {poll_id}: 0 of 1 other instances wrote their boxes in time" in caplog.text
        closed = await setup.close_via_queue(poll_id)  # the close goes on with this box
        assert closed["result"]["ballots_cast"] == K
        assert len(await asyncio.gather(*tasks)) == K

        # the frozen instance is gone (its connection closed): nobody is waited for
        await silent.aclose()
        await frozen.aclose()
        for _ in range(300):
            if await bus.peers() == 0:
                break
            await asyncio.sleep(0.01)
        caplog.clear()
        second = await setup.open_poll(kind="secret", eligibility="voting_members")
        await queue.gather(setup.secretary, setup.meeting_id, second)
        assert "other instances" not in caplog.text
    finally:
        await bus.stop()
        await polls.count_publisher(db).drain()
        await db.dispose()
