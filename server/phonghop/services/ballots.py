"""Ballots by group commit, and the secret-ballot box (see docs/voting.md).

A congress's 1,600 delegates vote in the same second. One transaction per ballot costs
a commit (an fsync) and half a dozen statements each; here the ballots of one poll that
arrive together are checked in memory against a cached :class:`~phonghop.services.polls.
BallotContext` and written by :func:`~phonghop.services.polls.write_ballots` in one
transaction per batch. Each app instance batches the ballots its own tablets send; the
database's roll (primary key poll + voter) and the poll's row lock keep exactly-once and
the order against the close across instances, as for single ballots.

* **Named polls**: a batch is written as soon as the previous one of that poll has
  committed (ballots that arrive while a batch is being written form the next one), after
  :data:`BATCH_WINDOW` seconds of gathering.
* **Secret polls**: ballots wait in an in-memory box, unacknowledged, until at least
  ``k`` different voters are in it; the whole box is then written in one transaction that
  inserts the voters in a random order and adds the box's summed counts to the counters
  once. The write-ahead log then shows which set of voters produced which set of choices,
  never one voter's choice. What is still in the box when the poll closes is written in
  the closing transaction (:func:`close_poll`). A ballot in the box is acknowledged only
  after its batch commits: an instance that dies loses its box, and the tablets, never
  acknowledged, send those ballots again.

The cached contexts are dropped when an event that can change a right to vote passes
through the bus (``meeting.*``, ``participant.*``, ``attendance.*``, invitations'
substitutes, a poll's opening, closing or cancelling) and live :data:`CONTEXT_TTL` seconds
at most, which bounds how stale an eligibility check can be while the bus is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from phonghop.domain.permissions import Actor
from phonghop.domain.poll import PollKind
from phonghop.errors import Conflict, PhonghopError
from phonghop.services import polls
from phonghop.services.polls import BallotContext, CastBallot, PollNotOpen
from phonghop.storage.db import Database, UnitOfWork

log = logging.getLogger("phonghop.ballots")

#: Seconds a batch gathers ballots before it is written (a few ms: the commit dominates).
BATCH_WINDOW = 0.003
#: Ballots in one transaction at most.
MAX_BATCH = 2000
#: Seconds a cached poll context lives at most (bound on staleness while the bus is down).
CONTEXT_TTL = 5.0
#: Default of ``PHONGHOP_SECRET_BALLOT_BATCH``: secret ballots written together, at least.
DEFAULT_SECRET_BATCH = 5
#: Attempts at writing one batch (a PostgreSQL deadlock between two instances' batches
#: holding the same voter is retried; the roll makes the retry safe).
ATTEMPTS = 3

_DROPPING_EVENTS = ("meeting.", "participant.", "attendance.", "invitation.substitute_decided")
_DROPPING_POLL_EVENTS = {"poll.opened", "poll.closed", "poll.cancelled", "poll.updated", "poll.deleted"}

Outcome = dict[str, Any] | PhonghopError


@dataclass
class _Waiting:
    """One voter's ballot waiting to be written, and everyone waiting for its answer."""

    ballot: CastBallot
    futures: list[asyncio.Future[Outcome]] = field(default_factory=list)


@dataclass
class _Lane:
    """One poll's ballots on this instance."""

    meeting_id: int
    poll_id: int
    waiting: dict[int, _Waiting] = field(default_factory=dict)
    later: list[_Waiting] = field(default_factory=list)
    """A voter's second, different ballot while the first waits: written after it."""
    task: asyncio.Task[None] | None = None
    closed: bool = False
    """The poll closed (here or on another instance): what still waits is written at once
    (and refused with ``poll_not_open``, unless it repeats a stored ballot)."""


class BallotQueue:
    """The ballots of one app instance, by poll (see the module notes)."""

    def __init__(self, db: Database, secret_batch: int = DEFAULT_SECRET_BATCH) -> None:
        self.db = db
        self.secret_batch = max(1, secret_batch)
        self._lanes: dict[int, _Lane] = {}
        self._contexts: dict[int, tuple[float, BallotContext]] = {}
        self._loading: dict[int, asyncio.Task[BallotContext]] = {}

    # -- the cache ----------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        """Drop the contexts of the event's meeting when it may change who may vote."""
        kind = str(event.get("type", ""))
        if kind.startswith(_DROPPING_EVENTS) or kind in _DROPPING_POLL_EVENTS:
            meeting_id = int(event["meeting_id"])
            for poll_id in [k for k, (_t, c) in self._contexts.items() if c.meeting_id == meeting_id]:
                del self._contexts[poll_id]
        if kind in ("poll.closed", "poll.cancelled"):
            poll = (event.get("data") or {}).get("poll") or {}
            lane = self._lanes.get(int(poll.get("id", 0)))
            if lane is not None:
                lane.closed = True
                with contextlib.suppress(RuntimeError):  # no running loop: nothing waits
                    self._start(lane)

    async def _context(self, meeting_id: int, poll_id: int) -> BallotContext:
        """The poll's cached context; one read for all the ballots that miss it together."""
        cached = self._contexts.get(poll_id)
        if cached is not None and cached[0] > time.monotonic() and cached[1].meeting_id == meeting_id:
            return cached[1]
        loading = self._loading.get(poll_id)
        if loading is None:
            loading = self._loading[poll_id] = asyncio.get_running_loop().create_task(
                self._load(meeting_id, poll_id)
            )
        return await asyncio.shield(loading)

    async def _load(self, meeting_id: int, poll_id: int) -> BallotContext:
        try:
            async with self.db.unit(write=False) as uow:
                context = await polls.ballot_context(uow, meeting_id, poll_id)
        finally:
            del self._loading[poll_id]
        if len(self._contexts) > 1000:
            self._contexts.clear()
        self._contexts[poll_id] = (time.monotonic() + CONTEXT_TTL, context)
        return context

    # -- casting --------------------------------------------------------------------------

    async def cast(
        self, actor: Actor, meeting_id: int, poll_id: int, ballot_key: str, choices: Sequence[str]
    ) -> dict[str, Any]:
        """The acknowledgement of this ballot once its batch has committed (raises the
        ballot's error instead). The same ballot sent again while it waits shares its
        answer; it is written once."""
        context = await self._context(meeting_id, poll_id)
        participant_id = polls.check_ballot_actor(context, actor)
        ballot = CastBallot(participant_id, ballot_key, tuple(choices))
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        lane = self._lanes.get(poll_id)
        if lane is None:
            lane = self._lanes[poll_id] = _Lane(meeting_id, poll_id)
        waiting = lane.waiting.get(participant_id)
        if waiting is None:
            lane.waiting[participant_id] = _Waiting(ballot, [future])
        elif waiting.ballot == ballot:
            waiting.futures.append(future)
        elif context.spec.kind is PollKind.SECRET:
            # A secret ballot cannot be changed: the first one waits in the box.
            raise Conflict("ballot_already_cast")
        else:
            same = next((w for w in lane.later if w.ballot == ballot), None)
            if same is None:
                lane.later.append(_Waiting(ballot, [future]))
            else:
                same.futures.append(future)
        self._wake(lane, context)
        outcome = await asyncio.shield(future)
        if isinstance(outcome, PhonghopError):
            raise outcome
        return outcome

    def _ready(self, lane: _Lane, context: BallotContext) -> bool:
        if not lane.waiting:
            return False
        if lane.closed or context.spec.kind is not PollKind.SECRET:
            return True
        return len(lane.waiting) >= self.secret_batch

    def _wake(self, lane: _Lane, context: BallotContext) -> None:
        if self._ready(lane, context):
            self._start(lane)

    def _start(self, lane: _Lane) -> None:
        if lane.task is None and lane.waiting:
            lane.task = asyncio.get_running_loop().create_task(self._drain(lane))

    async def _drain(self, lane: _Lane) -> None:
        """Write the lane's batches one after another while it has one ready."""
        try:
            while True:
                await asyncio.sleep(BATCH_WINDOW)
                try:
                    context = await self._context(lane.meeting_id, lane.poll_id)
                except PhonghopError as exc:  # the poll was deleted
                    self._fail(self._take(lane, MAX_BATCH), exc)
                    continue
                if not self._ready(lane, context):
                    break
                batch = self._take(lane, MAX_BATCH)
                await self._write(context, batch)
        except Exception:
            log.exception("writing the ballots of poll %s failed", lane.poll_id)
        finally:
            lane.task = None
            if not lane.waiting and not lane.later:
                self._lanes.pop(lane.poll_id, None)
            elif lane.waiting:
                cached = self._contexts.get(lane.poll_id)
                if cached is not None:
                    self._wake(lane, cached[1])

    def _take(self, lane: _Lane, limit: int) -> list[_Waiting]:
        """The waiting ballots (at most ``limit``), one per voter; the voters' next ones
        move up."""
        batch = list(lane.waiting.values())[:limit]
        for waiting in batch:
            del lane.waiting[waiting.ballot.participant_id]
        for waiting in list(lane.later):
            if waiting.ballot.participant_id not in lane.waiting:
                lane.waiting[waiting.ballot.participant_id] = waiting
                lane.later.remove(waiting)
        return batch

    async def _write(self, context: BallotContext, batch: list[_Waiting]) -> None:
        secret = context.spec.kind is PollKind.SECRET
        ballots = [w.ballot for w in batch]
        outcomes: dict[int, Outcome] = {}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self.db.unit() as uow:
                    outcomes = await polls.write_ballots(uow, context, ballots, shuffle=secret)
                break
            except PollNotOpen as exc:
                outcomes = exc.outcomes
                self._contexts.pop(context.poll_id, None)
                break
            except SQLAlchemyError:
                if attempt == ATTEMPTS:
                    # Not acknowledged: the tablets send these ballots again.
                    log.exception("a batch of %s ballots could not be written", len(batch))
                    self._fail(batch, PhonghopError("internal_error"))
                    return
        _settle(batch, outcomes)

    def _fail(self, batch: list[_Waiting], error: PhonghopError) -> None:
        for waiting in batch:
            for future in waiting.futures:
                if not future.done():
                    future.set_result(error)

    # -- the close -------------------------------------------------------------------------

    def take_box(self, poll_id: int) -> list[_Waiting]:
        """Everything waiting for this poll on this instance (its close takes it)."""
        lane = self._lanes.get(poll_id)
        if lane is None:
            return []
        return self._take(lane, len(lane.waiting))

    def put_back(self, poll_id: int, meeting_id: int, batch: list[_Waiting]) -> None:
        """A close that failed gives its box back, in its order."""
        lane = self._lanes.get(poll_id)
        if lane is None:
            lane = self._lanes[poll_id] = _Lane(meeting_id, poll_id)
        for waiting in batch:
            if waiting.ballot.participant_id in lane.waiting:
                lane.later.append(waiting)
            else:
                lane.waiting[waiting.ballot.participant_id] = waiting

    async def stop(self) -> None:
        """Shutdown: the batches being written finish; what waits in a box is dropped
        unacknowledged (the tablets send it again to the next instance)."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _settle(batch: list[_Waiting], outcomes: dict[int, Outcome]) -> None:
    for waiting in batch:
        outcome = outcomes.get(waiting.ballot.participant_id, PhonghopError("internal_error"))
        for future in waiting.futures:
            if not future.done():
                future.set_result(outcome)


_queues: weakref.WeakKeyDictionary[Database, BallotQueue] = weakref.WeakKeyDictionary()


def ballot_queue(db: Database, secret_batch: int | None = None) -> BallotQueue:
    """This database's queue in this process (``secret_batch`` sets k when it is made)."""
    queue = _queues.get(db)
    if queue is None:
        queue = _queues[db] = BallotQueue(db, secret_batch or DEFAULT_SECRET_BATCH)
    return queue


async def close_poll(uow: UnitOfWork, actor: Actor, meeting_id: int, poll_id: int) -> dict[str, Any]:
    """Close a poll with whatever waits in this instance's box for it: those ballots are
    written in the closing transaction (after the close's locks, before the count) and
    acknowledged once it commits; if the close fails they go back to the box."""
    queue = ballot_queue(uow.db)
    box = queue.take_box(poll_id)
    if not box:
        return await polls.close_poll(uow, actor, meeting_id, poll_id)
    outcomes: dict[int, Outcome] = {}

    async def write_box(context: BallotContext) -> None:
        outcomes.update(
            await polls.write_ballots(
                uow,
                context,
                [w.ballot for w in box],
                shuffle=context.spec.kind is PollKind.SECRET,
            )
        )

    async def settle() -> None:
        _settle(box, outcomes)
        lane = queue._lanes.get(poll_id)
        if lane is not None:  # a voter's second ballot, sent while the first waited
            lane.closed = True
            queue._start(lane)

    try:
        result = await polls.close_poll(uow, actor, meeting_id, poll_id, before_count=write_box)
    except BaseException:
        queue.put_back(poll_id, meeting_id, box)
        raise
    uow.after_commit.insert(0, settle)
    return result
