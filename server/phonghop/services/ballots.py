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
* **Secret polls**: ballots wait in an in-memory box, unacknowledged. The box writes only
  while at least ``k`` stay behind (with ``2k`` waiting it writes the oldest, keeping the
  ``k`` newest), so what the close finds and writes in the closing transaction
  (:func:`close_poll`) is ``k`` ballots or more, never a last voter alone; it writes all
  it holds once every voter who may vote is on the roll or in a box (this instance's or
  another's, told by ``ballots.held`` signals on the bus). A batch inserts its voters in a
  random order and adds its summed counts to the counters once: the write-ahead log shows
  which set of voters produced which set of choices, never one voter's choice. Before a
  close, :meth:`BallotQueue.gather` has every other instance write its box
  (``ballots.close`` / ``ballots.flushed``). A ballot in the box is acknowledged only
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
import secrets
import time
import weakref
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from phonghop.domain.permissions import Actor, require_meeting_controller
from phonghop.domain.poll import PollKind, PollState
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
#: Seconds a close waits for the other instances to write their boxes (docs/voting.md).
GATHER_TIMEOUT = 3.0

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


class Peers(Protocol):
    """The bus as the box needs it: messages to the other instances, never stored."""

    async def signal(self, message: dict[str, Any]) -> None: ...

    async def peers(self) -> int: ...


@dataclass
class _Gathering:
    """A close on this instance waiting for the other instances' boxes."""

    expected: int
    done: asyncio.Future[None]
    answered: set[str] = field(default_factory=set)


class BallotQueue:
    """The ballots of one app instance, by poll (see the module notes)."""

    def __init__(self, db: Database, secret_batch: int = DEFAULT_SECRET_BATCH) -> None:
        self.db = db
        self.secret_batch = max(1, secret_batch)
        #: The bus to the other instances (``services.ballots`` works without one).
        self.bus: Peers | None = None
        self._lanes: dict[int, _Lane] = {}
        self._contexts: dict[int, tuple[float, BallotContext]] = {}
        self._loading: dict[int, asyncio.Task[BallotContext]] = {}
        self._voted: dict[int, set[int]] = {}
        """Per open secret poll, the voters known to be on its roll (this instance's writes
        and every instance's ``poll.voted``)."""
        self._held_elsewhere: dict[int, dict[str, frozenset[int]]] = {}
        """Per poll, the voters held in each other instance's box (``ballots.held``)."""
        self._announced: dict[int, frozenset[int]] = {}
        self._gatherings: dict[str, _Gathering] = {}
        self._background: set[asyncio.Task[None]] = set()

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
            poll_id = int(poll.get("id", 0))
            for known in (self._voted, self._held_elsewhere, self._announced):
                known.pop(poll_id, None)
            lane = self._lanes.get(poll_id)
            if lane is not None:
                lane.closed = True
                with contextlib.suppress(RuntimeError):  # no running loop: nothing waits
                    self._start(lane)
        elif kind == "poll.voted":
            data = event.get("data") or {}
            poll_id = int(data.get("poll_id", 0))
            self._known_voted(poll_id).update(int(p) for p in data.get("participant_ids") or ())
            self._recheck(poll_id)

    def _known_voted(self, poll_id: int) -> set[int]:
        voted = self._voted.get(poll_id)
        if voted is None:
            if len(self._voted) > 1000:
                self._voted.clear()
            voted = self._voted[poll_id] = set()
        return voted

    def _recheck(self, poll_id: int) -> None:
        """Something this instance knows about the poll's voters changed: a box that waits
        may now hold the last of them."""
        lane = self._lanes.get(poll_id)
        cached = self._contexts.get(poll_id)
        if lane is not None and cached is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing waits
                self._wake(lane, cached[1])

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
                if context.spec.kind is PollKind.SECRET and context.state is PollState.OPEN:
                    # Who is on the roll already (written before this instance started).
                    self._known_voted(poll_id).update(await polls.roll_of(uow, poll_id))
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
        return self._batch_size(lane, context) > 0

    def _batch_size(self, lane: _Lane, context: BallotContext) -> int:
        """How many of the waiting ballots to write now (the oldest first).

        A secret box keeps ``k`` ballots back: it writes only while at least ``k`` stay
        behind, so whatever the close finds is ``k`` ballots or more, never a last voter
        alone. It writes everything once every voter who may vote is on the roll, in
        this box or in another instance's box (nobody is left to come) and k or more
        wait, or when the poll has closed. A poll with fewer than k voters waits for
        the close: a voter marked present late still joins that one batch."""
        waiting = len(lane.waiting)
        if not waiting:
            return 0
        if lane.closed or context.spec.kind is not PollKind.SECRET:
            return min(waiting, MAX_BATCH)
        k = self.secret_batch
        if k == 1:
            return min(waiting, MAX_BATCH)  # a batch of one is all k = 1 asks for
        if waiting >= 2 * k:
            return min(waiting - k, MAX_BATCH)
        if waiting >= k and self._everyone_in(lane, context):
            return waiting
        return 0

    def _everyone_in(self, lane: _Lane, context: BallotContext) -> bool:
        voted = self._voted.get(lane.poll_id, set())
        elsewhere = self._held_elsewhere.get(lane.poll_id, {})
        if len(voted) + len(lane.waiting) + sum(map(len, elsewhere.values())) < len(context.eligible):
            return False  # the quick answer, almost always, while a poll is under way
        missing = context.eligible - lane.waiting.keys() - voted
        for held in elsewhere.values():
            missing -= held
        return not missing

    def _wake(self, lane: _Lane, context: BallotContext) -> None:
        if lane.task is not None:
            return  # the batch being written looks again when it has committed
        if self._ready(lane, context):
            self._start(lane)
        else:
            self._announce(lane)

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
                size = self._batch_size(lane, context)
                if not size:
                    break
                batch = self._take(lane, size)
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
            if lane.task is None:
                self._announce(lane)

    def _announce(self, lane: _Lane) -> None:
        """Tell the other instances which voters this box holds, when that changed: with
        theirs, every instance knows when nobody is left to vote (``_everyone_in``)."""
        if self.bus is None:
            return
        held = frozenset() if lane.closed else frozenset(lane.waiting)
        if held == self._announced.get(lane.poll_id, frozenset()):
            return
        self._announced[lane.poll_id] = held
        self._signal({"type": "ballots.held", "poll_id": lane.poll_id, "voters": sorted(held)})

    def _signal(self, message: dict[str, Any]) -> None:
        if self.bus is not None:
            self._spawn(self.bus.signal(message))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background, holding its task until it ends."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

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
        if secret:
            self._known_voted(context.poll_id).update(
                pid for pid, outcome in outcomes.items() if not isinstance(outcome, PhonghopError)
            )
        _settle(batch, outcomes)

    def _fail(self, batch: list[_Waiting], error: PhonghopError) -> None:
        for waiting in batch:
            for future in waiting.futures:
                if not future.done():
                    future.set_result(error)

    # -- the other instances' boxes at the close ---------------------------------------------

    def on_signal(self, message: dict[str, Any], origin: str) -> None:
        """A message from another instance's box (``RedisBus``; see docs/voting.md)."""
        try:
            kind = message["type"]
            if kind == "ballots.held":
                poll_id = int(message["poll_id"])
                held = frozenset(int(p) for p in message["voters"])
                boxes = self._held_elsewhere.setdefault(poll_id, {})
                if held:
                    boxes[origin] = held
                else:
                    boxes.pop(origin, None)
                self._recheck(poll_id)
            elif kind == "ballots.close":
                poll_id, request = int(message["poll_id"]), str(message["request"])
                self._spawn(self._flush_for_close(poll_id, request))
            elif kind == "ballots.flushed":
                gathering = self._gatherings.get(str(message["request"]))
                if gathering is not None:
                    gathering.answered.add(origin)
                    if len(gathering.answered) >= gathering.expected and not gathering.done.done():
                        gathering.done.set_result(None)
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring a malformed ballot-box message")

    async def _flush_for_close(self, poll_id: int, request: str) -> None:
        """Another instance is closing the poll: write this box now (all of it, in one
        batch after the one being written), then say so."""
        try:
            lane = self._lanes.get(poll_id)
            while lane is not None and lane.task is not None:
                await asyncio.wait({lane.task})
                lane = self._lanes.get(poll_id)
            if lane is not None and lane.waiting:
                batch = self._take(lane, len(lane.waiting))
                context = await self._context(lane.meeting_id, poll_id)
                await self._write(context, batch)
                self._announce(lane)
        except Exception:
            log.exception("writing the box of poll %s for its close failed", poll_id)
        finally:
            if self.bus is not None:
                await self.bus.signal({"type": "ballots.flushed", "request": request})

    async def gather(self, actor: Actor, meeting_id: int, poll_id: int) -> None:
        """Before this instance closes a secret poll: every other instance writes the
        ballots waiting in its box, so the close counts them instead of refusing them.
        Waits for each instance subscribed to the bus, :data:`GATHER_TIMEOUT` seconds at
        most; an instance that does not answer in time has its box refused with
        ``poll_not_open`` after the close (those ballots were never acknowledged)."""
        if self.bus is None:
            return
        require_meeting_controller(actor)  # nobody else makes every box write early
        context = await self._context(meeting_id, poll_id)
        if context.spec.kind is not PollKind.SECRET or context.state is not PollState.OPEN:
            return
        try:
            expected = await self.bus.peers()
        except Exception:
            log.warning("the close of poll %s could not count the other instances", poll_id, exc_info=True)
            return
        if expected <= 0:
            return
        request = secrets.token_hex(8)
        gathering = self._gatherings[request] = _Gathering(
            expected, asyncio.get_running_loop().create_future()
        )
        try:
            await self.bus.signal({"type": "ballots.close", "poll_id": poll_id, "request": request})
            await asyncio.wait_for(asyncio.shield(gathering.done), GATHER_TIMEOUT)
        except TimeoutError:
            log.warning(
                "closing poll %s: %s of %s other instances wrote their boxes in time",
                poll_id,
                len(gathering.answered),
                expected,
            )
        finally:
            del self._gatherings[request]

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
