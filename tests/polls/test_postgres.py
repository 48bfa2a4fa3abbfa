"""Ballots on the real PostgreSQL server: races, 1,600 delegates at once, and what an
administrator reading the tables (system columns and old row versions included) can see."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select, text

from phonghop.errors import Conflict, PhonghopError
from phonghop.services import polls
from phonghop.storage.db import Database
from phonghop.storage.models import MeetingEvent, PollVoter
from tests.polls.conftest import Setup, build

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
async def pg(migrated_postgres_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_postgres_url)
    try:
        yield database
    finally:
        await polls.count_publisher(database).drain()
        await database.dispose()


async def sql(db: Database, query: str, **params: Any) -> list[Any]:
    async with db.engine.begin() as conn:
        result = await conn.execute(text(query), params)
        return list(result.all()) if result.returns_rows else []


async def wait_for_lock_waiters(db: Database, count: int) -> None:
    """Until ``count`` sessions of this database wait for a lock."""
    for _ in range(500):
        [(waiting,)] = await sql(
            db,
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} sessions never waited for a lock")


async def race(setup: Setup, poll_id: int, first_key: str, second_key: str) -> list[Any]:
    """Two casts of one voter, the second passing every check of the service while the
    first has inserted its roll row but not committed: the poll row is held by another
    transaction, so the first waits there, and the second waits on the first's row."""
    voter = setup.delegates[0]
    holder = await setup.db.engine.connect()
    try:
        transaction = await holder.begin()
        await holder.execute(text("SELECT id FROM polls WHERE id = :id FOR UPDATE"), {"id": poll_id})
        first = asyncio.create_task(setup.cast(voter, poll_id, ["approve"], key=first_key))
        await wait_for_lock_waiters(setup.db, 1)
        second = asyncio.create_task(setup.cast(voter, poll_id, ["reject"], key=second_key))
        await wait_for_lock_waiters(setup.db, 2)
        await transaction.commit()
    finally:
        await holder.close()
    return list(await asyncio.gather(first, second, return_exceptions=True))


async def test_the_database_refuses_a_second_ballot_when_the_service_check_is_raced(pg: Database) -> None:
    setup = await build(pg)
    poll_id = await setup.open_poll()
    first, second = await race(setup, poll_id, "device-one-key", "device-two-key")
    assert first == {"poll_id": poll_id, "ballot_key": "device-one-key", "choices": ["approve"]}
    assert isinstance(second, Conflict) and second.code == "ballot_already_cast"
    [(voters, cast)] = await sql(
        pg,
        "SELECT (SELECT count(*) FROM poll_voters WHERE poll_id = :id), ballots_cast"
        " FROM polls WHERE id = :id",
        id=poll_id,
    )
    assert (voters, cast) == (1, 1)


async def test_the_same_ballot_sent_twice_at_once_counts_once(pg: Database) -> None:
    setup = await build(pg)
    poll_id = await setup.open_poll(kind="secret")
    first, second = await race(setup, poll_id, "same-key-twice", "same-key-twice")
    assert first == second == {"poll_id": poll_id, "ballot_key": "same-key-twice", "choices": None}
    counters = dict(
        await sql(pg, "SELECT option_id, votes FROM poll_tallies WHERE poll_id = :id", id=poll_id)
    )
    assert counters == {"approve": 1, "reject": 0, "abstain": 0}


async def test_the_unique_key_itself_refuses_a_second_roll_row(pg: Database) -> None:
    setup = await build(pg)
    poll_id = await setup.open_poll()
    await setup.cast(setup.delegates[0], poll_id, ["approve"])
    with pytest.raises(Exception, match="pk_poll_voters"):
        await sql(
            pg,
            "INSERT INTO poll_voters (poll_id, participant_id, ballot_key, announced)"
            " VALUES (:p, :v, 'other-device', false)",
            p=poll_id,
            v=setup.delegates[0].participant_id,
        )


async def test_secret_ballots_cannot_be_traced_through_system_columns(pg: Database) -> None:
    """``xmin`` (the writing transaction) is readable by any SELECT: it must not tell which
    counter a voter's transaction incremented, and after the close nothing of the voting
    transactions remains, not even in dead row versions (read with pageinspect)."""
    setup = await build(pg)
    poll_id = await setup.open_poll(kind="secret")
    await polls.count_publisher(pg).drain()
    for voter, choice in zip(setup.voters, ["approve", "reject", "approve", "abstain"], strict=True):
        await setup.cast(voter, poll_id, [choice])
        xmins = await sql(pg, "SELECT DISTINCT xmin::text FROM poll_tallies WHERE poll_id = :id", id=poll_id)
        [(ballot_xmin,)] = await sql(pg, "SELECT xmin::text FROM polls WHERE id = :id", id=poll_id)
        # every counter carries the latest ballot's transaction, whatever it chose
        assert xmins == [(ballot_xmin,)], "every ballot rewrites every counter of its poll"

    await sql(pg, "CREATE EXTENSION IF NOT EXISTS pageinspect")

    async def versions(table: str) -> int:
        """Row versions physically present in the table's pages (live and dead)."""
        [(pages,)] = await sql(pg, f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int")
        total = 0
        for page in range(int(pages)):
            [(count,)] = await sql(
                pg,
                f"SELECT count(*) FROM heap_page_items(get_raw_page('{table}', {page}))"
                " WHERE t_data IS NOT NULL",
            )
            total += int(count)
        return total

    assert await versions("poll_tallies") > 3, "the voting left old versions (the test can see them)"
    await setup.close(poll_id)
    stamps = await sql(
        pg,
        "SELECT xmin::text FROM poll_voters WHERE poll_id = :id "
        "UNION SELECT xmin::text FROM poll_tallies WHERE poll_id = :id "
        "UNION SELECT xmin::text FROM polls WHERE id = :id",
        id=poll_id,
    )
    assert len(stamps) == 1, "the closing transaction rewrote the roll and the counters"
    assert await versions("poll_tallies") == 3  # the three counters, no old version
    assert await versions("poll_voters") == 4  # the four voters, no old version
    counters = dict(
        await sql(pg, "SELECT option_id, votes FROM poll_tallies WHERE poll_id = :id", id=poll_id)
    )
    assert counters == {"approve": 2, "reject": 1, "abstain": 1}


@pytest.mark.slow
async def test_1600_delegates_vote_at_once_and_every_ballot_is_counted_once(
    migrated_postgres_url: str,
) -> None:
    """Two app instances (two engines, each with its own publisher) take 1,600 ballots at
    once, a third of them sent twice, concurrently, as tablets retrying would."""
    instances = [Database(migrated_postgres_url), Database(migrated_postgres_url)]
    try:
        setup = await build(instances[0], delegates=1600, bulk=True, members_total=1601)
        poll_id = await setup.open_poll(
            kind="secret",
            type="election",
            max_choices=2,
            options=[{"label": f"Ứng cử viên {i}"} for i in range(1, 5)],
        )
        rng = random.Random(1600)
        picks = [rng.choice([["c1"], ["c1", "c2"], ["c3"], ["c2", "c4"], []]) for _ in setup.delegates]
        expected = Counter(option for pick in picks for option in pick)
        gate = asyncio.Semaphore(16)
        before = await setup.last_seq()

        async def vote(i: int, repeat: int) -> dict[str, Any]:
            db = instances[(i + repeat) % 2]
            async with gate, db.unit() as uow:
                return await polls.cast_ballot(
                    uow, setup.delegates[i], setup.meeting_id, poll_id, f"ballot-{i:05d}", picks[i]
                )

        jobs = [vote(i, 0) for i in range(1600)] + [vote(i, 1) for i in range(0, 1600, 3)]
        random.Random(7).shuffle(jobs)
        acks = await asyncio.gather(*jobs, return_exceptions=True)
        errors = [a for a in acks if isinstance(a, BaseException)]
        assert not errors, errors[:3]
        assert {a["ballot_key"] for a in acks if isinstance(a, dict)} == {
            f"ballot-{i:05d}" for i in range(1600)
        }
        for db in instances:
            await polls.count_publisher(db).drain()

        closed = await setup.close(poll_id)
        result = closed["result"]
        assert result["ballots_cast"] == 1600
        assert result["blank_ballots"] == sum(1 for p in picks if not p)
        assert {c["option_id"]: c["votes"] for c in result["counts"]} == {
            f"c{i}": expected[f"c{i}"] for i in range(1, 5)
        }
        async with instances[0].unit(write=False) as uow:
            assert await uow.session.scalar(select(func.count()).where(PollVoter.poll_id == poll_id)) == 1600
            events = list(
                await uow.session.scalars(
                    select(MeetingEvent)
                    .where(MeetingEvent.meeting_id == setup.meeting_id, MeetingEvent.seq > before)
                    .order_by(MeetingEvent.seq)
                )
            )
        announced = [pid for e in events if e.type == "poll.voted" for pid in e.data["participant_ids"]]
        assert sorted(announced) == sorted(d.participant_id for d in setup.delegates)  # type: ignore[type-var]
        counted = [e.data["ballots_cast"] for e in events if e.type == "poll.ballot_counted"]
        assert counted == sorted(counted) and len(counted) < 400  # published in batches, never backwards
        assert [e.seq for e in events] == list(range(before + 1, before + 1 + len(events)))
    finally:
        for db in instances:
            await polls.count_publisher(db).drain()
            await db.dispose()


async def test_a_ballot_racing_the_close_is_counted_or_refused(pg: Database) -> None:
    setup = await build(pg, delegates=30, bulk=True)
    poll_id = await setup.open_poll()

    async def cast(i: int) -> Any:
        try:
            return await setup.cast(setup.delegates[i], poll_id, ["approve"])
        except PhonghopError as exc:
            return exc.code

    tasks = [asyncio.create_task(cast(i)) for i in range(30)]
    await asyncio.sleep(0.01)
    closed = await setup.close(poll_id)
    outcomes = await asyncio.gather(*tasks)
    accepted = [o for o in outcomes if isinstance(o, dict)]
    assert all(o == "poll_not_open" for o in outcomes if not isinstance(o, dict))
    assert closed["result"]["ballots_cast"] == len(accepted)
    assert closed["result"]["counts"][0]["votes"] == len(accepted)
