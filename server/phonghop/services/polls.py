"""Votes (biểu quyết): preparing polls, opening and closing them, casting ballots, results.

The rules (who may vote, what a ballot may choose, how the count decides) are in
:mod:`phonghop.domain.poll`; this module stores polls and ballots and appends the events.

How ballots are stored
======================

* **The voter roll** (``poll_voters``, primary key poll + participant) records who has
  voted, for both kinds of poll, with the client's ``ballot_key`` and nothing else: no
  choice, no time. Its primary key is the database's guarantee of one ballot per voter:
  two casts racing past the service's checks cannot both insert (``INSERT ... ON CONFLICT
  DO NOTHING``; the loser reads the winner's row and is answered from it).
* **An open (named) poll** (giơ tay) keeps each ballot with its voter (``poll_ballots``):
  a show of hands is on record, and a ballot may be replaced when the poll allows it.
* **A secret poll** (bỏ phiếu kín) keeps no ballot at all. The transaction that adds the
  voter to the roll adds the ballot to per-option counters (``poll_tallies``: ``UPDATE ...
  SET votes = votes + CASE WHEN option chosen THEN 1 ELSE 0 END``) and to the poll's
  ``ballots_cast`` and ``blank_ballots``. Only aggregates exist, so there is no row that
  links a participant to a choice, for the application or for an administrator reading
  the tables. The same transaction writes both, so a voter is never on the roll without
  their ballot counted, or the reverse.

What PostgreSQL would otherwise leak, and what is done about it:

* *Transaction ids* (``xmin``, readable by a plain ``SELECT``): every ballot updates
  **every** counter row of its poll (adding 0 to the options not chosen), so all counters
  carry the same ``xmin``, that of the latest ballot, whatever it chose. Inserting a voter
  and updating counters in one transaction links the voter to "a ballot", never to an
  option. When the poll closes (or is cancelled) the closing transaction rewrites every
  roll row and every counter row, so they all carry the closing transaction's id.
* *Physical order* (``ctid``) and *ids and times*: the roll has no serial id and no
  timestamp; counters are fixed rows, updated all together; their order says nothing.
* *Old row versions*: each update leaves the previous version of a counter row behind
  until it is vacuumed, and those versions, read with a superuser's ``pageinspect``, show
  what one transaction added. After a secret poll closes the server runs ``VACUUM`` on the
  roll and counter tables (on SQLite it checkpoints and truncates the write-ahead log).
* What remains, stated in ``docs/architecture.md``: write-ahead log segments, replicas
  and backups taken while the poll was open, statement logging with parameters
  (``log_statement = 'all'``), and someone watching the counters change while a known
  voter votes. The domain forbids changing a secret ballot (that would need the link), and
  per-option counts of a secret poll are shown only once it is closed.

Events
======

A ballot's transaction appends no event: with 1,600 delegates, one event per ballot would
be 1,600 frames for every ballot. The instance that accepted a ballot asks its
:class:`CountPublisher` to publish, at most every :data:`PUBLISH_INTERVAL` seconds per
poll, what has changed since: ``poll.ballot_counted`` (how many, to everyone),
``poll.voted`` (who, to those voters' devices and the controllers) and, for named polls,
``poll.ballots_recorded`` (the ballots, to the controllers). Closing a poll publishes what
is left before ``poll.closed``. A ballot is acknowledged only after its transaction
committed (the websocket sends results after the unit of work has committed).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import case, func, select, text, update
from sqlalchemy import insert as sa_insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from phonghop.domain import meeting as meeting_rules
from phonghop.domain.meeting import Attendance, MeetingState
from phonghop.domain.permissions import Actor, can_run_meeting, require_meeting_controller
from phonghop.domain.poll import (
    Eligibility,
    MajorityRule,
    OptionRole,
    PollKind,
    PollOption,
    PollResult,
    PollSpec,
    PollState,
    PollType,
    QuorumRule,
    Voter,
    check_can_cast,
    check_can_open,
    check_transition,
    tally,
    tally_counts,
    validate_choice,
)
from phonghop.domain.text import normalize
from phonghop.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PhonghopError,
)
from phonghop.events import AUDIENCE_ALL, AUDIENCE_CONTROLLERS, audience_of
from phonghop.services import meetings
from phonghop.services.events import append_event
from phonghop.storage.db import Database, UnitOfWork
from phonghop.storage.models import Meeting, Participant, Poll, PollBallot, PollTally, PollVoter, utcnow

log = logging.getLogger("phonghop.polls")

#: Seconds between two publications of a poll's counts by one app instance.
PUBLISH_INTERVAL = 0.2
MAX_OPTIONS = 100
MAX_POLLS_PER_MEETING = 500

_SPEC_FIELDS = (
    "kind",
    "type",
    "options",
    "max_choices",
    "min_choices",
    "eligibility",
    "majority",
    "quorum",
    "require_quorum_to_open",
    "allow_change",
    "keep_minority_opinion",
)


# -- the spec as JSON -------------------------------------------------------------------------


def spec_to_json(spec: PollSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind.value,
        "type": spec.type.value,
        "options": [
            {"id": o.id, "label": o.label, "role": o.role.value, "label_key": o.label_key}
            for o in spec.options
        ],
        "max_choices": spec.max_choices,
        "min_choices": spec.min_choices,
        "eligibility": spec.eligibility.value,
        "majority": spec.majority.value,
        "quorum": spec.quorum.value,
        "require_quorum_to_open": spec.require_quorum_to_open,
        "allow_change": spec.allow_change,
        "keep_minority_opinion": spec.keep_minority_opinion,
    }


def spec_from_json(data: Mapping[str, Any]) -> PollSpec:
    """A stored spec (options with their ids), or the office's input (options may lack ids:
    custom options get ``o1``, ``o2``..., candidates ``c1``, ``c2``...). Raises the domain's
    ``poll_*`` errors, or ``poll_invalid`` for a value that is not one of the settings."""
    try:
        poll_type = PollType(data.get("type", PollType.APPROVAL.value))
        prefix = "c" if poll_type is PollType.ELECTION else "o"
        options = tuple(
            PollOption(
                str(o.get("id") or f"{prefix}{i}"),
                str(o.get("label", "")),
                OptionRole(o.get("role") or OptionRole.CHOICE.value),
                o.get("label_key"),
            )
            for i, o in enumerate(data.get("options") or (), start=1)
        )
        return PollSpec(
            kind=PollKind(data["kind"]),
            type=poll_type,
            options=options,
            max_choices=int(data.get("max_choices", 1)),
            min_choices=data.get("min_choices"),
            eligibility=Eligibility(data.get("eligibility", Eligibility.PRESENT_VOTING_MEMBERS.value)),
            majority=MajorityRule(data.get("majority", MajorityRule.MORE_THAN_HALF_OF_MEMBERS.value)),
            quorum=QuorumRule(data.get("quorum", QuorumRule.NONE.value)),
            require_quorum_to_open=bool(data.get("require_quorum_to_open", False)),
            allow_change=bool(data.get("allow_change", False)),
            keep_minority_opinion=bool(data.get("keep_minority_opinion", False)),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidInput("poll_invalid", reason=type(exc).__name__) from None


def result_to_json(result: PollResult) -> dict[str, Any]:
    """The stored and broadcast form of a count; percentages as strings ("91.55")."""
    approval = result.spec.option_of_role(OptionRole.APPROVE) is not None
    return {
        "members_total": result.members_total,
        "present_total": result.present_total,
        "ballots_cast": result.ballots_cast,
        "valid_ballots": result.valid_ballots,
        "invalid_ballots": result.invalid_ballots,
        "blank_ballots": result.blank_ballots,
        "not_cast": result.not_cast,
        "base": result.spec.majority.base.value,
        "base_total": result.base_total,
        "quorum_met": result.quorum_met,
        "outcome": result.outcome.value,
        "passed": result.passed,
        "decided": list(result.decided),
        "tied": list(result.tied),
        "counts": [
            {
                "option_id": c.option.id,
                "votes": c.votes,
                "percent": str(c.percent),
                "meets_majority": c.meets_majority,
            }
            for c in result.counts
        ],
        "sentence_vi": result.sentence_vi() if approval else None,
    }


# -- input -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollFields:
    """A new poll, or the changes to a draft: what is None (or absent from ``spec``) stays."""

    title: str | None = None
    agenda_item_id: int | None = None
    spec: Mapping[str, Any] | None = None
    """The settings given, by their names in :func:`spec_to_json`."""


@dataclass(frozen=True)
class ClosedPollResult:
    """What :func:`closed_poll_results` gives per closed poll (for the conclusion notice)."""

    poll_id: int
    agenda_item_id: int | None
    title: str
    result: PollResult


# -- loading -----------------------------------------------------------------------------------


async def _load_poll(uow: UnitOfWork, meeting_id: int, poll_id: int, *, lock: bool = False) -> Poll:
    query = select(Poll).where(Poll.id == poll_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    poll = await uow.session.scalar(query)
    if poll is None or poll.meeting_id != meeting_id:
        raise NotFound("poll_not_found")
    return poll


async def _meeting_of(uow: UnitOfWork, poll_id: int) -> int:
    meeting_id = await uow.session.scalar(select(Poll.meeting_id).where(Poll.id == poll_id))
    if meeting_id is None:
        raise NotFound("poll_not_found")
    return meeting_id


def _visible(poll: Poll, actor: Actor) -> bool:
    """Drafts (and drafts cancelled before opening) are the controllers' business."""
    return can_run_meeting(actor) or poll.opened_at is not None


@dataclass(frozen=True)
class _Roll:
    """The meeting's voting members, as the counts need them."""

    members_total: int
    voting: int
    present: int

    def eligible(self, spec: PollSpec) -> int:
        return self.voting if spec.eligibility is Eligibility.VOTING_MEMBERS else self.present


async def _roll(uow: UnitOfWork, meeting: Meeting) -> _Roll:
    if "participants" not in sa_inspect(meeting).unloaded:  # loaded already (the snapshot)
        voters = [p for p in meeting.participants if p.voting_member]
        present_count = sum(1 for p in voters if Attendance(p.attendance).is_present)
        return _Roll(
            members_total=meeting.members_total or len(voters), voting=len(voters), present=present_count
        )
    present_states = [a.value for a in Attendance if a.is_present]
    voting, present = (
        await uow.session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((Participant.attendance.in_(present_states), 1), else_=0)), 0),
            ).where(Participant.meeting_id == meeting.id, Participant.voting_member.is_(True))
        )
    ).one()
    voting, present = int(voting), int(present)
    return _Roll(members_total=meeting.members_total or voting, voting=voting, present=present)


def _check_numbers(roll: _Roll) -> None:
    """Members present, or voting participants, beyond the body's membership: the count
    could not add up at close (the meeting's ``members_total`` is wrong)."""
    if roll.voting > roll.members_total:
        raise InvalidInput(
            "poll_counts_invalid",
            members_total=roll.members_total,
            present_total=roll.present,
            ballots_cast=roll.voting,
        )


# -- views -------------------------------------------------------------------------------------


def poll_view(poll: Poll, eligible: int) -> dict[str, Any]:
    """The poll as everyone who may see it sees it (the data of the ``poll.*`` events)."""
    spec = poll.spec
    return {
        "id": poll.id,
        "meeting_id": poll.meeting_id,
        "agenda_item_id": poll.agenda_item_id,
        "title": poll.title,
        "state": poll.state,
        **{name: spec[name] for name in _SPEC_FIELDS if name != "min_choices"},
        "min_choices": spec_from_json(spec).required_choices,
        "ballots_cast": poll.ballots_cast,
        "eligible": eligible,
        "opened_at": meetings.iso(poll.opened_at),
        "closed_at": meetings.iso(poll.closed_at),
        "result": poll.result,
    }


async def _actor_views(
    uow: UnitOfWork, actor: Actor, polls: Sequence[Poll], roll: _Roll
) -> list[dict[str, Any]]:
    """Each poll with what this actor may add: their own ballot (``me``), and for the
    controllers the ballots and counts of named polls."""
    ids = [p.id for p in polls]
    voted: dict[int, str] = {}
    mine: dict[int, list[str]] = {}
    if actor.participant_id is not None and ids:
        rows = await uow.session.execute(
            select(PollVoter.poll_id, PollVoter.ballot_key, PollBallot.choices)
            .outerjoin(
                PollBallot,
                (PollBallot.poll_id == PollVoter.poll_id)
                & (PollBallot.participant_id == PollVoter.participant_id),
            )
            .where(PollVoter.poll_id.in_(ids), PollVoter.participant_id == actor.participant_id)
        )
        for pid, key, choices in rows:
            voted[int(pid)] = key
            if choices is not None:
                mine[int(pid)] = list(choices)
    controller = can_run_meeting(actor)
    named_ids = [p.id for p in polls if p.spec["kind"] == PollKind.OPEN.value and p.opened_at is not None]
    ballots: dict[int, list[dict[str, Any]]] = {pid: [] for pid in named_ids}
    if controller and named_ids:
        every = await uow.session.execute(
            select(PollBallot.poll_id, PollBallot.participant_id, PollBallot.choices)
            .where(PollBallot.poll_id.in_(named_ids))
            .order_by(PollBallot.poll_id, PollBallot.participant_id)
        )
        for pid, participant_id, choices in every:
            ballots[int(pid)].append({"participant_id": participant_id, "choices": list(choices)})
    views = []
    for poll in polls:
        spec = spec_from_json(poll.spec)
        view = poll_view(poll, roll.eligible(spec))
        view["me"] = {
            "voted": poll.id in voted,
            "ballot_key": voted.get(poll.id),
            "choices": mine.get(poll.id),
        }
        if controller and poll.id in ballots:
            view["ballots"] = ballots[poll.id]
            view["counts"] = _counts_of(spec, ballots[poll.id])
        else:
            view["ballots"] = None
            view["counts"] = None
        views.append(view)
    return views


def _counts_of(spec: PollSpec, ballots: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = {o.id: 0 for o in spec.options}
    for ballot in ballots:
        for option_id in ballot["choices"]:
            if option_id in counts:
                counts[option_id] += 1
    return counts


async def list_polls(uow: UnitOfWork, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """The meeting's polls this actor may see, oldest first."""
    meeting, scoped = await meetings.scoped(uow, actor, meeting_id)
    return await _polls_for(uow, scoped, meeting)


async def _polls_for(uow: UnitOfWork, scoped: Actor, meeting: Meeting) -> list[dict[str, Any]]:
    rows = await uow.session.scalars(
        select(Poll)
        .where(Poll.meeting_id == meeting.id)
        .order_by(Poll.id)
        .execution_options(populate_existing=True)
    )
    polls = [p for p in rows if _visible(p, scoped)]
    if not polls:
        return []
    return await _actor_views(uow, scoped, polls, await _roll(uow, meeting))


async def snapshot_polls(uow: UnitOfWork, scoped: Actor, meeting: Meeting) -> list[dict[str, Any]]:
    """``live.polls`` of the snapshot; ``scoped`` is the actor in this meeting."""
    return await _polls_for(uow, scoped, meeting)


async def get_poll(uow: UnitOfWork, actor: Actor, poll_id: int) -> dict[str, Any]:
    meeting, scoped = await meetings.scoped(uow, actor, await _meeting_of(uow, poll_id))
    poll = await _load_poll(uow, meeting.id, poll_id)
    if not _visible(poll, scoped):
        raise NotFound("poll_not_found")
    return (await _actor_views(uow, scoped, [poll], await _roll(uow, meeting)))[0]


# -- preparing ---------------------------------------------------------------------------------


def _require_preparable(meeting: Meeting) -> None:
    if not meeting_rules.is_editable(MeetingState(meeting.state)):
        raise Conflict("meeting_not_editable", state=meeting.state)


async def _title(uow: UnitOfWork, meeting: Meeting, title: str | None, item_id: int | None) -> str:
    """The title given, else the agenda item's."""
    if title is not None and normalize(title):
        return normalize(title)[:500]
    if title is None and item_id is not None:
        return (await meetings.load_agenda_item(uow, meeting.id, item_id)).title
    raise InvalidInput("poll_title_required")


def _new_spec(data: Mapping[str, Any]) -> dict[str, Any]:
    options = data.get("options") or ()
    if len(options) > MAX_OPTIONS:
        raise InvalidInput("poll_options_too_many", maximum=MAX_OPTIONS)
    return spec_to_json(spec_from_json(data))


async def create_poll(uow: UnitOfWork, actor: Actor, meeting_id: int, fields: PollFields) -> Poll:
    """A draft poll, prepared by the office before the meeting or by the secretary or
    chair during it. Tablets learn of it when it is opened."""
    meeting, scoped = await meetings.scoped(uow, actor, meeting_id, lock=True)
    require_meeting_controller(scoped)
    _require_preparable(meeting)
    count = await uow.session.scalar(select(func.count()).where(Poll.meeting_id == meeting.id))
    if (count or 0) >= MAX_POLLS_PER_MEETING:
        raise Conflict("too_many_polls", max=MAX_POLLS_PER_MEETING)
    if fields.agenda_item_id is not None:
        await meetings.load_agenda_item(uow, meeting.id, fields.agenda_item_id)
    spec = _new_spec(fields.spec or {})
    now = utcnow()
    poll = Poll(
        meeting_id=meeting.id,
        agenda_item_id=fields.agenda_item_id,
        title=await _title(uow, meeting, fields.title, fields.agenda_item_id),
        spec=spec,
        state=PollState.DRAFT.value,
        ballots_cast=0,
        blank_ballots=0,
        created_by=scoped.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(poll)
    await uow.session.flush()
    roll = await _roll(uow, meeting)
    await append_event(
        uow,
        meeting.id,
        "poll.created",
        {"poll": poll_view(poll, roll.eligible(spec_from_json(spec)))},
        actor=scoped,
        audience=AUDIENCE_CONTROLLERS,
    )
    return poll


async def _draft_for_change(uow: UnitOfWork, actor: Actor, poll_id: int) -> tuple[Meeting, Actor, Poll]:
    meeting, scoped = await meetings.scoped(uow, actor, await _meeting_of(uow, poll_id), lock=True)
    require_meeting_controller(scoped)
    poll = await _load_poll(uow, meeting.id, poll_id, lock=True)
    if poll.state != PollState.DRAFT.value:
        raise Conflict("poll_not_editable", state=poll.state)
    return meeting, scoped, poll


async def update_poll(
    uow: UnitOfWork, actor: Actor, poll_id: int, fields: PollFields, *, clear_agenda_item: bool = False
) -> Poll:
    """Change a draft: its title, agenda item or settings (those given replace the old)."""
    meeting, scoped, poll = await _draft_for_change(uow, actor, poll_id)
    _require_preparable(meeting)
    if clear_agenda_item:
        poll.agenda_item_id = None
    elif fields.agenda_item_id is not None:
        await meetings.load_agenda_item(uow, meeting.id, fields.agenda_item_id)
        poll.agenda_item_id = fields.agenda_item_id
    if fields.title is not None:
        poll.title = await _title(uow, meeting, fields.title, None)
    if fields.spec:
        merged = {**poll.spec, **fields.spec}
        if "type" in fields.spec and "options" not in fields.spec:
            merged["options"] = []  # another type: its own options (or none for approval)
        poll.spec = _new_spec(merged)
    poll.updated_at = utcnow()
    await uow.session.flush()
    roll = await _roll(uow, meeting)
    await append_event(
        uow,
        meeting.id,
        "poll.updated",
        {"poll": poll_view(poll, roll.eligible(spec_from_json(poll.spec)))},
        actor=scoped,
        audience=AUDIENCE_CONTROLLERS,
    )
    return poll


async def delete_poll(uow: UnitOfWork, actor: Actor, poll_id: int) -> None:
    """Delete a draft (an opened poll is cancelled instead: it stays on record)."""
    meeting, scoped, poll = await _draft_for_change(uow, actor, poll_id)
    await uow.session.delete(poll)
    await append_event(
        uow, meeting.id, "poll.deleted", {"poll_id": poll_id}, actor=scoped, audience=AUDIENCE_CONTROLLERS
    )


# -- running -----------------------------------------------------------------------------------


async def _controller_lock(
    uow: UnitOfWork, actor: Actor, meeting_id: int, poll_id: int
) -> tuple[Meeting, Actor, Poll]:
    meeting, scoped = await meetings.scoped(uow, actor, meeting_id, lock=True)
    require_meeting_controller(scoped)
    return meeting, scoped, await _load_poll(uow, meeting.id, poll_id, lock=True)


async def open_poll(uow: UnitOfWork, actor: Actor, meeting_id: int, poll_id: int) -> dict[str, Any]:
    """Tablets show the ballot now. The meeting must be running; with
    ``require_quorum_to_open`` enough members must be marked present."""
    meeting, scoped, poll = await _controller_lock(uow, actor, meeting_id, poll_id)
    if not meeting_rules.is_live(MeetingState(meeting.state)):
        raise Conflict("meeting_not_running", state=meeting.state)
    spec = spec_from_json(poll.spec)
    roll = await _roll(uow, meeting)
    check_can_open(spec, PollState(poll.state), members_total=roll.members_total, present_total=roll.present)
    _check_numbers(roll)
    now = utcnow()
    poll.state = PollState.OPEN.value
    poll.opened_at = poll.updated_at = now
    if spec.kind is PollKind.SECRET:
        uow.session.add_all(PollTally(poll_id=poll.id, option_id=o.id, votes=0) for o in spec.options)
    await uow.session.flush()
    await append_event(
        uow, meeting.id, "poll.opened", {"poll": poll_view(poll, roll.eligible(spec))}, actor=scoped
    )
    return {"poll_id": poll.id, "state": poll.state}


async def close_poll(
    uow: UnitOfWork,
    actor: Actor,
    meeting_id: int,
    poll_id: int,
    *,
    before_count: Callable[[BallotContext], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Count the ballots (domain.poll.tally), store and broadcast the result.

    Ballots racing the close either committed before it (the close waits for them and
    counts them) or find the poll closed and are refused with ``poll_not_open``.
    ``before_count`` writes, under the close's locks, the ballots still waiting in this
    instance's secret-ballot box (``services.ballots.close_poll``).
    """
    meeting, scoped, poll = await _controller_lock(uow, actor, meeting_id, poll_id)
    check_transition(PollState(poll.state), PollState.CLOSED)
    if before_count is not None:
        await before_count(await ballot_context(uow, meeting.id, poll.id))
        await uow.session.refresh(poll)
    spec = spec_from_json(poll.spec)
    await _publish_pending(uow, meeting, poll, spec, count_event=False)
    roll = await _roll(uow, meeting)
    result = await _count(uow, poll, spec, members_total=roll.members_total, present_total=roll.present)
    now = utcnow()
    poll.state = PollState.CLOSED.value
    poll.closed_at = poll.updated_at = now
    poll.members_total, poll.present_total = roll.members_total, roll.present
    poll.result = result_to_json(result)
    await _seal(uow, poll, spec)
    await uow.session.flush()
    await append_event(
        uow, meeting.id, "poll.closed", {"poll": poll_view(poll, roll.eligible(spec))}, actor=scoped
    )
    return {"poll_id": poll.id, "state": poll.state, "result": poll.result}


async def cancel_poll(uow: UnitOfWork, actor: Actor, meeting_id: int, poll_id: int) -> dict[str, Any]:
    """Cancel a draft or an open poll: nothing is counted, ballots cast are kept unused."""
    meeting, scoped, poll = await _controller_lock(uow, actor, meeting_id, poll_id)
    check_transition(PollState(poll.state), PollState.CANCELLED)
    spec = spec_from_json(poll.spec)
    poll.state = PollState.CANCELLED.value
    poll.updated_at = utcnow()
    if poll.opened_at is not None:
        await _seal(uow, poll, spec)
    await uow.session.flush()
    roll = await _roll(uow, meeting)
    await append_event(
        uow,
        meeting.id,
        "poll.cancelled",
        {"poll": poll_view(poll, roll.eligible(spec))},
        actor=scoped,
        audience=AUDIENCE_ALL if poll.opened_at is not None else AUDIENCE_CONTROLLERS,
    )
    return {"poll_id": poll.id, "state": poll.state}


async def _count(
    uow: UnitOfWork, poll: Poll, spec: PollSpec, *, members_total: int, present_total: int
) -> PollResult:
    """The domain's count, from the named ballots or from a secret poll's counters."""
    if spec.kind is PollKind.OPEN:
        rows = await uow.session.scalars(select(PollBallot.choices).where(PollBallot.poll_id == poll.id))
        return tally(spec, (tuple(c) for c in rows), members_total=members_total, present_total=present_total)
    counters = await uow.session.execute(
        select(PollTally.option_id, PollTally.votes).where(PollTally.poll_id == poll.id)
    )
    return tally_counts(
        spec,
        {option_id: int(votes) for option_id, votes in counters},
        ballots_cast=poll.ballots_cast,
        blank_ballots=poll.blank_ballots,
        members_total=members_total,
        present_total=present_total,
    )


async def _seal(uow: UnitOfWork, poll: Poll, spec: PollSpec) -> None:
    """Secret poll, closing or cancelled: rewrite every roll and counter row in this
    transaction (they all get its transaction id), and clean old row versions after commit."""
    if spec.kind is not PollKind.SECRET:
        return
    await uow.session.execute(
        update(PollVoter).where(PollVoter.poll_id == poll.id).values(announced=True),
        execution_options={"synchronize_session": False},
    )
    await uow.session.execute(
        update(PollTally).where(PollTally.poll_id == poll.id).values(votes=PollTally.votes),
        execution_options={"synchronize_session": False},
    )
    uow.after_commit.append(partial(_purge_old_versions, uow.db))


async def _purge_old_versions(db: Database) -> None:
    """Best effort: drop the dead row versions that still hold a secret poll's history."""
    try:
        async with db.engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if db.is_sqlite:
                # Waits for readers of the old log; not long: the close is waiting too.
                await autocommit.execute(text("PRAGMA busy_timeout = 1000"))
                await autocommit.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            else:
                await autocommit.execute(text("VACUUM poll_voters, poll_tallies, polls"))
    except Exception:
        log.warning("could not purge old row versions of the poll tables", exc_info=True)


# -- ballots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastBallot:
    """One ballot as a tablet sent it: who, the idempotency key, the options tapped."""

    participant_id: int
    ballot_key: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class BallotContext:
    """What checking a ballot needs, read once per open poll and cached by the ballot queue
    (``services.ballots``): the poll's spec, the meeting's state and every participant's
    right to vote. The poll's state is re-checked under its row lock by every write."""

    meeting_id: int
    body_id: int
    poll_id: int
    opened: bool
    state: PollState
    spec: PollSpec
    meeting_state: str
    voters: Mapping[int, Voter]
    eligible: frozenset[int] = frozenset()
    """The participants who may vote in this poll now (the secret-ballot box uses it to
    know when every one of them has voted)."""


async def ballot_context(uow: UnitOfWork, meeting_id: int, poll_id: int) -> BallotContext:
    """Two reads: the poll with its meeting, and the meeting's participants."""
    found = (
        await uow.session.execute(
            select(Poll.opened_at, Poll.state, Poll.spec, Poll.meeting_id, Meeting.body_id, Meeting.state)
            .join(Meeting, Meeting.id == Poll.meeting_id)
            .where(Poll.id == poll_id)
        )
    ).first()
    if found is None or found[3] != meeting_id:
        raise NotFound("poll_not_found")
    opened_at, state, spec, _meeting_id, body_id, meeting_state = found
    rows = await uow.session.execute(
        select(Participant.id, Participant.voting_member, Participant.attendance).where(
            Participant.meeting_id == meeting_id
        )
    )
    voters = {
        int(pid): Voter(is_voting_member=bool(voting), is_present=Attendance(attendance).is_present)
        for pid, voting, attendance in rows
    }
    poll_spec = spec_from_json(spec)
    return BallotContext(
        meeting_id=meeting_id,
        body_id=int(body_id),
        poll_id=poll_id,
        opened=opened_at is not None,
        state=PollState(state),
        spec=poll_spec,
        meeting_state=str(meeting_state),
        voters=voters,
        eligible=frozenset(pid for pid, voter in voters.items() if _may_vote(poll_spec, voter)),
    )


async def roll_of(uow: UnitOfWork, poll_id: int) -> list[int]:
    """The participants on the poll's roll (who has voted)."""
    return [
        int(pid)
        for pid in await uow.session.scalars(
            select(PollVoter.participant_id).where(PollVoter.poll_id == poll_id)
        )
    ]


def _may_vote(spec: PollSpec, voter: Voter) -> bool:
    try:
        check_can_cast(spec, PollState.OPEN, voter, already_cast=False)
    except PhonghopError:
        return False
    return True


def check_ballot_actor(context: BallotContext, actor: Actor) -> int:
    """The voter's participant id, or the error a ballot from this actor gets at once."""
    if actor.body_id != context.body_id:
        raise NotFound("meeting_not_found")
    if actor.meeting_id is not None and actor.meeting_id != context.meeting_id:
        raise NotFound("meeting_not_found")
    if not context.opened and not can_run_meeting(actor):
        raise NotFound("poll_not_found")
    if actor.participant_id is None:
        raise PermissionDenied("poll_not_eligible", reason="not_voting_member")
    return actor.participant_id


class PollNotOpen(Exception):
    """A batch found the poll closed under its lock: the transaction is rolled back, and
    ``outcomes`` answers each ballot (the repeats of a stored ballot are acknowledged)."""

    def __init__(self, outcomes: dict[int, dict[str, Any] | PhonghopError]) -> None:
        super().__init__("poll_not_open")
        self.outcomes = outcomes


async def write_ballots(
    uow: UnitOfWork, context: BallotContext, ballots: Sequence[CastBallot], *, shuffle: bool = False
) -> dict[int, dict[str, Any] | PhonghopError]:
    """Write a batch of ballots (at most one per voter) in this unit of work: each voter's
    answer, by participant id (the acknowledgement, or the error of that ballot alone).

    Idempotent on ``ballot_key``: the key of the voter's stored ballot is acknowledged again
    (even after the poll closed) and never counted twice. Statements per batch, whatever
    its size: one read of the roll, one insert into it, one update of the poll row (its
    lock orders the batch against the close; the state is checked under it), and for a
    secret poll one update of the counters with the batch's summed counts, for a named poll
    one insert of the ballots. ``shuffle`` inserts the voters in a random order (secret
    ballots, see ``services.ballots``). Raises :class:`PollNotOpen` when the poll is no
    longer open and the batch had something to write.
    """
    spec = context.spec
    poll_id = context.poll_id
    secret = spec.kind is PollKind.SECRET
    named = not secret
    ids = [b.participant_id for b in ballots]
    stored: dict[int, tuple[str, list[str] | None]] = {}
    query = select(PollVoter.participant_id, PollVoter.ballot_key, PollBallot.choices).outerjoin(
        PollBallot,
        (PollBallot.poll_id == PollVoter.poll_id) & (PollBallot.participant_id == PollVoter.participant_id),
    )
    for pid, key, choices in await uow.session.execute(
        query.where(PollVoter.poll_id == poll_id, PollVoter.participant_id.in_(ids))
    ):
        stored[int(pid)] = (key, list(choices) if choices is not None else None)

    def ack(ballot: CastBallot, choices: list[str] | None) -> dict[str, Any]:
        return {
            "poll_id": poll_id,
            "ballot_key": ballot.ballot_key,
            "choices": (choices if choices is not None else []) if named else None,
        }

    outcomes: dict[int, dict[str, Any] | PhonghopError] = {}
    first: dict[int, tuple[CastBallot, tuple[str, ...]]] = {}
    changed: dict[int, tuple[CastBallot, tuple[str, ...]]] = {}
    live = meeting_rules.is_live(MeetingState(context.meeting_state))
    for ballot in ballots:
        pid = ballot.participant_id
        existing = stored.get(pid)
        if existing is not None and existing[0] == ballot.ballot_key:
            outcomes[pid] = ack(ballot, existing[1])
            continue
        try:
            voter = context.voters.get(pid, Voter(is_voting_member=False, is_present=False))
            check_can_cast(spec, context.state, voter, already_cast=existing is not None)
            if not live:
                raise Conflict("meeting_not_running", state=context.meeting_state)
            chosen = validate_choice(spec, ballot.choices)
        except PhonghopError as exc:
            outcomes[pid] = exc
            continue
        (changed if existing is not None else first)[pid] = (ballot, chosen)

    if first:
        rows = [
            {"poll_id": poll_id, "participant_id": pid, "ballot_key": b.ballot_key, "announced": False}
            for pid, (b, _c) in first.items()
        ]
        if shuffle:
            random.SystemRandom().shuffle(rows)
        insert = sqlite_insert if uow.db.is_sqlite else pg_insert
        # Core executemany on the session's connection: compiled once, sent as multi-row
        # INSERTs (insertmanyvalues), without the ORM's per-row bookkeeping.
        connection = await uow.session.connection()
        inserted = set(
            (
                await connection.execute(
                    insert(PollVoter)
                    .on_conflict_do_nothing(index_elements=["poll_id", "participant_id"])
                    .returning(PollVoter.participant_id),
                    rows,
                )
            ).scalars()
        )
        for pid in [pid for pid in first if pid not in inserted]:
            # Another cast of this voter committed between our read and our insert.
            ballot, chosen = first.pop(pid)
            key = await uow.session.scalar(
                select(PollVoter.ballot_key).where(
                    PollVoter.poll_id == poll_id, PollVoter.participant_id == pid
                )
            )
            if key == ballot.ballot_key:
                stored_choices = await uow.session.scalar(
                    select(PollBallot.choices).where(
                        PollBallot.poll_id == poll_id, PollBallot.participant_id == pid
                    )
                )
                outcomes[pid] = ack(ballot, list(stored_choices) if stored_choices is not None else None)
            elif spec.allow_change and named:
                changed[pid] = (ballot, chosen)
            else:
                outcomes[pid] = Conflict("ballot_already_cast")
    if not first and not changed:
        return outcomes

    # The poll row's lock orders the batch against the close; the state is checked under it.
    blanks = sum(1 for _b, chosen in first.values() if not chosen) if secret else 0
    locked = await uow.session.execute(
        update(Poll)
        .where(Poll.id == poll_id, Poll.state == PollState.OPEN.value)
        .values(ballots_cast=Poll.ballots_cast + len(first), blank_ballots=Poll.blank_ballots + blanks)
        .returning(Poll.id)
        .execution_options(synchronize_session=False)
    )
    if locked.first() is None:
        state = await uow.session.scalar(select(Poll.state).where(Poll.id == poll_id))
        refused = InvalidTransition("poll_not_open", state=state or PollState.CANCELLED.value)
        raise PollNotOpen({**outcomes, **{pid: refused for pid in [*first, *changed]}})

    if secret:
        counts: dict[str, int] = {}
        for _b, chosen in first.values():
            for option_id in chosen:
                counts[option_id] = counts.get(option_id, 0) + 1
        if counts:
            await uow.session.execute(
                update(PollTally)
                .where(PollTally.poll_id == poll_id)
                .values(
                    votes=PollTally.votes
                    + case(*((PollTally.option_id == o, n) for o, n in sorted(counts.items())), else_=0)
                )
                .execution_options(synchronize_session=False)
            )
    else:
        now = utcnow()
        if first:
            await uow.session.execute(
                sa_insert(PollBallot),
                [
                    {
                        "poll_id": poll_id,
                        "participant_id": pid,
                        "choices": list(chosen),
                        "ballot_key": b.ballot_key,
                        "cast_at": now,
                        "announced": False,
                    }
                    for pid, (b, chosen) in first.items()
                ],
            )
        for pid, (b, chosen) in changed.items():
            await uow.session.execute(
                update(PollBallot)
                .where(PollBallot.poll_id == poll_id, PollBallot.participant_id == pid)
                .values(choices=list(chosen), ballot_key=b.ballot_key, cast_at=now, announced=False)
                .execution_options(synchronize_session=False)
            )
            await uow.session.execute(
                update(PollVoter)
                .where(PollVoter.poll_id == poll_id, PollVoter.participant_id == pid)
                .values(ballot_key=b.ballot_key)
                .execution_options(synchronize_session=False)
            )
    for pid, (b, chosen) in [*first.items(), *changed.items()]:
        outcomes[pid] = {
            "poll_id": poll_id,
            "ballot_key": b.ballot_key,
            "choices": None if secret else list(chosen),
        }
    uow.after_commit.append(partial(_announce_soon, uow.db, context.meeting_id, poll_id))
    return outcomes


async def cast_ballot(
    uow: UnitOfWork, actor: Actor, meeting_id: int, poll_id: int, ballot_key: str, choices: Sequence[str]
) -> dict[str, Any]:
    """A delegate votes: a batch of one (the websocket batches through ``services.ballots``).
    Idempotent on ``ballot_key``: the key of the voter's ballot sent again is acknowledged
    again (even after the poll closed) and never counted twice.

    A second, different ballot is refused with ``ballot_already_cast`` unless the poll is
    named and allows change, in which case it replaces the first.
    """
    try:
        context = await ballot_context(uow, meeting_id, poll_id)
    except NotFound:
        await meetings.scoped(uow, actor, meeting_id)  # meeting_not_found, if that is the reason
        raise
    scoped = actor
    if actor.meeting_id is None:
        _meeting, scoped = await meetings.scoped(uow, actor, meeting_id)
    participant_id = check_ballot_actor(context, scoped)
    try:
        outcome = (
            await write_ballots(uow, context, [CastBallot(participant_id, ballot_key, tuple(choices))])
        )[participant_id]
    except PollNotOpen as exc:
        outcome = exc.outcomes[participant_id]
    if isinstance(outcome, PhonghopError):
        raise outcome
    return outcome


# -- publishing counts ---------------------------------------------------------------------------


async def publish_counts(uow: UnitOfWork, meeting_id: int, poll_id: int) -> bool:
    """Append what changed since the last publication of an open poll: the count, who
    voted, and (named polls) the ballots. False when there was nothing to say."""
    meeting = await uow.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    poll = await uow.session.scalar(
        select(Poll).where(Poll.id == poll_id).with_for_update().execution_options(populate_existing=True)
    )
    if meeting is None or poll is None or poll.state != PollState.OPEN.value:
        return False
    return await _publish_pending(uow, meeting, poll, spec_from_json(poll.spec), count_event=True)


async def _publish_pending(
    uow: UnitOfWork, meeting: Meeting, poll: Poll, spec: PollSpec, *, count_event: bool
) -> bool:
    voters = list(
        await uow.session.scalars(
            select(PollVoter.participant_id)
            .where(PollVoter.poll_id == poll.id, PollVoter.announced.is_(False))
            .order_by(PollVoter.participant_id)
        )
    )
    named = spec.kind is PollKind.OPEN
    fresh: list[dict[str, Any]] = []
    if named:
        rows = await uow.session.execute(
            select(PollBallot.participant_id, PollBallot.choices)
            .where(PollBallot.poll_id == poll.id, PollBallot.announced.is_(False))
            .order_by(PollBallot.participant_id)
        )
        fresh = [{"participant_id": pid, "choices": list(choices)} for pid, choices in rows]
    if not voters and not fresh:
        return False
    if count_event:
        roll = await _roll(uow, meeting)
        await append_event(
            uow,
            meeting.id,
            "poll.ballot_counted",
            {"poll_id": poll.id, "ballots_cast": poll.ballots_cast, "eligible": roll.eligible(spec)},
        )
    if voters:
        await append_event(
            uow,
            meeting.id,
            "poll.voted",
            {"poll_id": poll.id, "participant_ids": voters},
            audience=audience_of(voters),
        )
        await uow.session.execute(
            update(PollVoter)
            .where(PollVoter.poll_id == poll.id, PollVoter.participant_id.in_(voters))
            .values(announced=True)
            .execution_options(synchronize_session=False)
        )
    if fresh:
        every = await uow.session.scalars(select(PollBallot.choices).where(PollBallot.poll_id == poll.id))
        counts = _counts_of(spec, [{"choices": c} for c in every])
        await append_event(
            uow,
            meeting.id,
            "poll.ballots_recorded",
            {"poll_id": poll.id, "ballots": fresh, "counts": counts},
            audience=AUDIENCE_CONTROLLERS,
        )
        await uow.session.execute(
            update(PollBallot)
            .where(
                PollBallot.poll_id == poll.id,
                PollBallot.participant_id.in_([b["participant_id"] for b in fresh]),
            )
            .values(announced=True)
            .execution_options(synchronize_session=False)
        )
    return True


class CountPublisher:
    """Publishes the counts of the polls whose ballots this app instance accepted.

    After a ballot commits, :meth:`poke` makes sure the poll is published: at once when
    its last publication ended more than :data:`PUBLISH_INTERVAL` seconds ago, else that
    long after it, whatever the number of ballots in between. Other instances publish their own ballots; each
    publication says only what no earlier one said (``announced`` flags, under the poll's
    lock), so nothing is said twice. A publication that fails is retried a few times; a
    poll whose count was never published is put right by the next ballot or its close.
    """

    ATTEMPTS = 5

    def __init__(self, db: Database) -> None:
        self.db = db
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._last: dict[int, float] = {}

    async def drain(self) -> None:
        """Wait until every publication asked for so far is done (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def poke(self, meeting_id: int, poll_id: int) -> None:
        self._dirty.add(poll_id)
        if poll_id not in self._tasks:
            self._tasks[poll_id] = asyncio.get_running_loop().create_task(self._run(meeting_id, poll_id))

    async def _run(self, meeting_id: int, poll_id: int) -> None:
        failures = 0
        try:
            while poll_id in self._dirty:
                wait = self._last.get(poll_id, 0.0) + PUBLISH_INTERVAL - time.monotonic()
                await asyncio.sleep(max(wait, 0.0))
                self._dirty.discard(poll_id)
                try:
                    async with self.db.unit() as uow:
                        await publish_counts(uow, meeting_id, poll_id)
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("publishing the count of poll %s failed (%s)", poll_id, failures)
                    if failures < self.ATTEMPTS:
                        self._dirty.add(poll_id)
                finally:
                    self._last[poll_id] = time.monotonic()  # the interval counts from the end
        finally:
            del self._tasks[poll_id]
            if len(self._last) > 1000:
                self._last.clear()


_publishers: weakref.WeakKeyDictionary[Database, CountPublisher] = weakref.WeakKeyDictionary()


def count_publisher(db: Database) -> CountPublisher:
    """The publisher of this database's app instance."""
    publisher = _publishers.get(db)
    if publisher is None:
        publisher = _publishers[db] = CountPublisher(db)
    return publisher


async def _announce_soon(db: Database, meeting_id: int, poll_id: int) -> None:
    count_publisher(db).poke(meeting_id, poll_id)


# -- for the conclusion notice -------------------------------------------------------------------


async def closed_poll_results(uow: UnitOfWork, meeting_id: int) -> list[ClosedPollResult]:
    """Every closed poll of the meeting, oldest first, with its count as the domain's
    :class:`~phonghop.domain.poll.PollResult` (counted again from what is stored, with the
    members and attendance fixed when it closed). No permission check: the caller has one."""
    polls = await uow.session.scalars(
        select(Poll)
        .where(Poll.meeting_id == meeting_id, Poll.state == PollState.CLOSED.value)
        .order_by(Poll.id)
    )
    out = []
    for poll in polls:
        spec = spec_from_json(poll.spec)
        members_total = poll.members_total or 0
        result = await _count(
            uow, poll, spec, members_total=members_total, present_total=poll.present_total or 0
        )
        out.append(ClosedPollResult(poll.id, poll.agenda_item_id, poll.title, result))
    return out
