"""services.polls on SQLite: every rule a user or a tablet can run into, and what is stored."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from phonghop.domain.meeting import Attendance, MeetingAction
from phonghop.domain.permissions import Actor
from phonghop.domain.poll import PollOutcome, PollSpec, PollType, tally
from phonghop.errors import PhonghopError
from phonghop.services import live, meetings, polls
from phonghop.services.polls import PollFields, spec_from_json
from phonghop.storage.models import Poll, PollBallot, PollTally, PollVoter
from tests.polls.conftest import Setup, build

pytestmark = pytest.mark.anyio

ELECTION = {
    "type": "election",
    "options": [{"label": "Nguyễn Văn A"}, {"label": "Trần Thị B"}, {"label": "Lê Văn C"}],
    "max_choices": 2,
}


class Raises:
    """``async with raises("code"):`` — a PhonghopError with this code, nothing else."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code, self.params = code, params

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        assert isinstance(exc, PhonghopError), f"expected {self.code}, got {exc!r}"
        assert exc.code == self.code, f"expected {self.code}, got {exc.code} {exc.params}"
        for key, value in self.params.items():
            assert exc.params.get(key) == value, exc.params
        return True


raises = Raises


async def rows(setup: Setup, model: Any, poll_id: int) -> list[Any]:
    async with setup.db.unit(write=False) as uow:
        return list(await uow.session.scalars(select(model).where(model.poll_id == poll_id)))


async def poll_row(setup: Setup, poll_id: int) -> Poll:
    async with setup.db.unit(write=False) as uow:
        poll = await uow.session.get(Poll, poll_id)
        assert poll is not None
        return poll


async def flush(setup: Setup) -> None:
    await polls.count_publisher(setup.db).drain()


# -- preparing ---------------------------------------------------------------------------------


async def test_office_prepares_a_draft_only_controllers_hear_of(setup: Setup) -> None:
    before = await setup.last_seq()
    fields = PollFields(agenda_item_id=setup.item_ids[0], spec={"kind": "open"})
    async with setup.db.unit() as uow:
        poll = await polls.create_poll(uow, setup.office, setup.meeting_id, fields)
    assert poll.state == "draft" and poll.title == "Tờ trình kế hoạch năm 2027"  # the item's title
    [event] = await setup.events(before)
    assert event.type == "poll.created" and event.audience == "controllers"
    assert [o["id"] for o in event.data["poll"]["options"]] == ["approve", "reject", "abstain"]
    async with setup.db.unit(write=False) as uow:
        assert await polls.list_polls(uow, setup.delegates[0], setup.meeting_id) == []
        [mine] = await polls.list_polls(uow, setup.secretary, setup.meeting_id)
    assert mine["state"] == "draft" and mine["eligible"] == 4
    async with setup.db.unit(write=False) as uow, raises("poll_not_found"):
        await polls.get_poll(uow, setup.delegates[0], poll.id)


async def test_who_may_prepare_and_what_is_refused(setup: Setup) -> None:
    async def create(actor: Actor, **kwargs: Any) -> Poll:
        spec = {"kind": "open", **kwargs.pop("spec", {})}
        async with setup.db.unit() as uow:
            return await polls.create_poll(
                uow,
                actor,
                setup.meeting_id,
                PollFields(spec=spec, title=kwargs.pop("title", "Biểu quyết"), **kwargs),
            )

    async with raises("secretary_required"):
        await create(setup.delegates[0])
    async with raises("meeting_not_found"):
        await create(setup.other_office)
    async with raises("poll_options_fixed"):
        await create(setup.office, spec={"options": [{"label": "Có"}, {"label": "Không"}]})
    async with raises("poll_options_missing", minimum=2):
        await create(setup.office, spec={"type": "custom", "options": [{"label": "Phương án duy nhất"}]})
    async with raises("poll_secret_change_not_allowed"):
        await create(setup.office, spec={"kind": "secret", "allow_change": True})
    async with raises("poll_max_choices_invalid"):
        await create(setup.office, spec={**ELECTION, "max_choices": 4})
    async with raises("poll_invalid"):
        await create(setup.office, spec={"majority": "unanimity"})
    async with raises("poll_title_required"):
        await create(setup.office, title="   ")
    async with raises("agenda_item_not_found"):
        await create(setup.office, agenda_item_id=9999)
    # the secretary and the chair prepare polls during the meeting too
    assert (await create(setup.secretary)).state == "draft"
    assert (await create(setup.chair, spec=ELECTION)).spec["options"][1]["id"] == "c2"


async def test_a_draft_changes_until_it_opens(setup: Setup) -> None:
    poll_id = await setup.poll()
    async with setup.db.unit() as uow:
        poll = await polls.update_poll(
            uow,
            setup.office,
            poll_id,
            PollFields(
                title="Thông qua Đề án",
                spec={"type": "custom", "options": [{"label": "Phương án 1"}, {"label": "Phương án 2"}]},
            ),
        )
    assert poll.title == "Thông qua Đề án"
    assert [o["id"] for o in poll.spec["options"]] == ["o1", "o2"]
    async with setup.db.unit() as uow:
        poll = await polls.update_poll(
            uow, setup.office, poll_id, PollFields(spec={"type": "approval_state"})
        )
    assert [o["id"] for o in poll.spec["options"]] == ["agree", "disagree", "blank"]
    async with setup.db.unit() as uow, raises("secretary_required"):
        await polls.update_poll(uow, setup.delegates[0], poll_id, PollFields(title="x"))
    async with setup.db.unit() as uow:
        await polls.open_poll(uow, setup.secretary, setup.meeting_id, poll_id)
    async with setup.db.unit() as uow, raises("poll_not_editable", state="open"):
        await polls.update_poll(uow, setup.office, poll_id, PollFields(title="x"))
    async with setup.db.unit() as uow, raises("poll_not_editable"):
        await polls.delete_poll(uow, setup.office, poll_id)

    draft = await setup.poll()
    before = await setup.last_seq()
    async with setup.db.unit() as uow:
        await polls.delete_poll(uow, setup.office, draft)
    [event] = await setup.events(before)
    assert (event.type, event.audience, event.data) == ("poll.deleted", "controllers", {"poll_id": draft})
    async with setup.db.unit(write=False) as uow, raises("poll_not_found"):
        await polls.get_poll(uow, setup.office, draft)


async def test_polls_are_prepared_before_the_meeting_and_opened_only_while_it_runs(db: Any) -> None:
    setup = await build(db, start=False, present=False)
    poll_id = await setup.poll()
    async with setup.db.unit() as uow, raises("meeting_not_running", state="scheduled"):
        await polls.open_poll(uow, setup.secretary, setup.meeting_id, poll_id)


# -- opening -----------------------------------------------------------------------------------


async def test_open_tells_everyone_and_checks_the_quorum(setup: Setup) -> None:
    poll_id = await setup.poll(quorum="two_thirds_of_members", require_quorum_to_open=True)
    for actor in setup.delegates[:2]:
        await setup.mark(actor, Attendance.ABSENT, "Đi công tác")  # 2 of 4 present
    async with setup.db.unit() as uow, raises("secretary_required"):
        await polls.open_poll(uow, setup.delegates[2], setup.meeting_id, poll_id)
    async with setup.db.unit() as uow, raises("poll_quorum_not_met", present=2, required=3):
        await polls.open_poll(uow, setup.secretary, setup.meeting_id, poll_id)
    await setup.mark(setup.delegates[0], Attendance.PRESENT_ONLINE)
    before = await setup.last_seq()
    async with setup.db.unit() as uow:
        assert await polls.open_poll(uow, setup.secretary, setup.meeting_id, poll_id) == {
            "poll_id": poll_id,
            "state": "open",
        }
    [event] = await setup.events(before)
    assert event.type == "poll.opened" and event.audience == "all"
    assert event.data["poll"]["eligible"] == 3 and event.data["poll"]["state"] == "open"
    async with setup.db.unit() as uow, raises("poll_transition_invalid", from_state="open", to_state="open"):
        await polls.open_poll(uow, setup.secretary, setup.meeting_id, poll_id)


async def test_open_refuses_more_voters_than_members(db: Any) -> None:
    setup = await build(db, members_total=3)  # chair + 3 delegates vote
    poll_id = await setup.poll()
    async with setup.db.unit() as uow, raises("poll_counts_invalid", members_total=3):
        await polls.open_poll(uow, setup.secretary, setup.meeting_id, poll_id)


# -- ballots -----------------------------------------------------------------------------------


async def test_a_ballot_is_acknowledged_and_a_retry_counts_once(setup: Setup) -> None:
    poll_id = await setup.open_poll()
    voter = setup.delegates[0]
    ack = await setup.cast(voter, poll_id, ["approve"], key="tablet-key-0001")
    assert ack == {"poll_id": poll_id, "ballot_key": "tablet-key-0001", "choices": ["approve"]}
    assert await setup.cast(voter, poll_id, ["approve"], key="tablet-key-0001") == ack
    # the same key is answered from what is stored, whatever the retry says
    assert await setup.cast(voter, poll_id, ["reject"], key="tablet-key-0001") == ack
    async with raises("ballot_already_cast"):
        await setup.cast(voter, poll_id, ["reject"], key="tablet-key-0002")
    assert (await poll_row(setup, poll_id)).ballots_cast == 1
    assert len(await rows(setup, PollVoter, poll_id)) == 1
    [ballot] = await rows(setup, PollBallot, poll_id)
    assert ballot.choices == ["approve"] and ballot.participant_id == voter.participant_id


async def test_a_named_poll_may_allow_changing_a_ballot(setup: Setup) -> None:
    poll_id = await setup.open_poll(allow_change=True)
    voter = setup.delegates[0]
    await setup.cast(voter, poll_id, ["approve"], key="first-ballot")
    ack = await setup.cast(voter, poll_id, ["reject"], key="second-ballot")
    assert ack["choices"] == ["reject"]
    assert (await poll_row(setup, poll_id)).ballots_cast == 1
    [ballot] = await rows(setup, PollBallot, poll_id)
    [roll] = await rows(setup, PollVoter, poll_id)
    assert (ballot.choices, ballot.ballot_key, roll.ballot_key) == (
        ["reject"],
        "second-ballot",
        "second-ballot",
    )
    result = await setup.close(poll_id)
    assert [c["votes"] for c in result["result"]["counts"]] == [0, 1, 0]


async def test_who_may_vote(setup: Setup) -> None:
    poll_id = await setup.open_poll()
    async with raises("poll_not_eligible", reason="not_voting_member"):
        await setup.cast(setup.guest, poll_id, ["approve"])
    async with raises("poll_not_eligible", reason="not_voting_member"):
        await setup.cast(setup.secretary, poll_id, ["approve"])  # the secretary has no vote here
    async with setup.db.unit() as uow, raises("poll_not_eligible", reason="not_voting_member"):
        await polls.cast_ballot(uow, setup.office, setup.meeting_id, poll_id, "office-key-1", ["approve"])
    await setup.mark(setup.delegates[0], Attendance.ABSENT, "Ốm")
    async with raises("poll_not_eligible", reason="not_present"):
        await setup.cast(setup.delegates[0], poll_id, ["approve"])
    # "voting members": present or not (taking part online, say)
    everyone = await setup.open_poll(eligibility="voting_members")
    assert (await setup.cast(setup.delegates[0], everyone, ["approve"]))["poll_id"] == everyone
    assert (await setup.cast(setup.chair, everyone, ["approve"]))["poll_id"] == everyone


async def test_ballots_must_be_valid_choices(setup: Setup) -> None:
    approval = await setup.open_poll()
    election = await setup.open_poll(kind="secret", **ELECTION)
    voter = setup.delegates[0]
    async with raises("ballot_choice_invalid", option_id="yes"):
        await setup.cast(voter, approval, ["yes"])
    async with raises("ballot_too_few_choices", minimum=1):
        await setup.cast(voter, approval, [])
    async with raises("ballot_too_many_choices", maximum=1):
        await setup.cast(voter, approval, ["approve", "reject"])
    async with raises("ballot_duplicate_choice"):
        await setup.cast(voter, election, ["c1", "c1"])
    async with raises("ballot_too_many_choices", maximum=2):
        await setup.cast(voter, election, ["c1", "c2", "c3"])
    assert await rows(setup, PollVoter, approval) == [] and await rows(setup, PollVoter, election) == []
    # crossing out every candidate is a valid (blank) ballot
    assert (await setup.cast(voter, election, []))["choices"] is None
    assert (await poll_row(setup, election)).blank_ballots == 1


async def test_ballots_after_close_or_on_other_polls_are_refused(setup: Setup) -> None:
    draft = await setup.poll()
    async with raises("poll_not_found"):  # a tablet cannot see a draft
        await setup.cast(setup.delegates[0], draft, ["approve"])
    async with raises("poll_not_open", state="draft"):  # the chair can, and may not vote in it
        await setup.cast(setup.chair, draft, ["approve"])
    poll_id = await setup.open_poll()
    await setup.cast(setup.delegates[0], poll_id, ["approve"], key="before-close")
    await setup.close(poll_id)
    async with raises("poll_not_open", state="closed"):
        await setup.cast(setup.delegates[1], poll_id, ["approve"])
    # the retry of a ballot stored before the close is still acknowledged, not counted again
    ack = await setup.cast(setup.delegates[0], poll_id, ["approve"], key="before-close")
    assert ack["ballot_key"] == "before-close"
    assert (await poll_row(setup, poll_id)).result["ballots_cast"] == 1  # type: ignore[index]
    other = await build(setup.db)
    async with setup.db.unit() as uow, raises("meeting_not_found"):
        await polls.cast_ballot(uow, other.delegates[0], setup.meeting_id, poll_id, "stranger-1", ["approve"])
    async with setup.db.unit() as uow, raises("poll_not_found"):
        await polls.cast_ballot(uow, other.delegates[0], other.meeting_id, poll_id, "stranger-1", ["approve"])


async def test_no_ballot_once_the_meeting_is_closed(setup: Setup) -> None:
    poll_id = await setup.open_poll()
    async with setup.db.unit() as uow:
        await meetings.change_state(uow, setup.secretary, setup.meeting_id, MeetingAction.CLOSE)
    async with raises("meeting_not_running", state="closed"):
        await setup.cast(setup.delegates[0], poll_id, ["approve"])
    assert (await setup.close(poll_id))["state"] == "closed"  # the secretary can still close it


# -- closing and the count ---------------------------------------------------------------------------


async def test_close_counts_under_the_party_rule_and_stores_the_result(setup: Setup) -> None:
    poll_id = await setup.open_poll(agenda_item_id=None)
    choices = {setup.chair: "approve", setup.delegates[0]: "approve", setup.delegates[1]: "reject"}
    for voter, choice in choices.items():
        await setup.cast(voter, poll_id, [choice])
    async with setup.db.unit() as uow, raises("secretary_required"):
        await polls.close_poll(uow, setup.delegates[2], setup.meeting_id, poll_id)
    before = await setup.last_seq()
    closed = await setup.close(poll_id)
    result = closed["result"]
    # 2 of 4 members is not "more than half of all members"
    assert (result["outcome"], result["passed"], result["base_total"]) == ("not_passed", False, 4)
    assert result["sentence_vi"] == "2/3 tán thành (50,00% tổng số)"
    assert result["counts"][0] == {
        "option_id": "approve",
        "votes": 2,
        "percent": "50.00",
        "meets_majority": False,
    }
    assert (result["ballots_cast"], result["not_cast"]) == (3, 1)
    types = [(e.type, e.audience) for e in await setup.events(before)]
    assert types[-1] == ("poll.closed", "all")
    # every ballot reached the console, published while voting or, at the latest, by the close
    recorded = [e for e in await setup.events() if e.type == "poll.ballots_recorded"]
    assert {b["participant_id"] for e in recorded for b in e.data["ballots"]} == {
        v.participant_id for v in choices
    }
    stored = await poll_row(setup, poll_id)
    assert (stored.state, stored.members_total, stored.present_total) == ("closed", 4, 4)
    async with setup.db.unit() as uow, raises("poll_transition_invalid", from_state="closed"):
        await polls.close_poll(uow, setup.secretary, setup.meeting_id, poll_id)
    async with setup.db.unit() as uow, raises("poll_transition_invalid"):
        await polls.cancel_poll(uow, setup.secretary, setup.meeting_id, poll_id)


async def test_closed_poll_results_count_again_what_is_stored(setup: Setup) -> None:
    named = await setup.open_poll(agenda_item_id=setup.item_ids[0], majority="more_than_half_of_present")
    secret = await setup.open_poll(kind="secret", title="Bầu Ủy viên", **ELECTION)
    await setup.poll()  # a draft: not in the results
    for i, voter in enumerate(setup.voters):
        await setup.cast(voter, named, ["approve" if i < 3 else "abstain"])
        await setup.cast(voter, secret, [["c1", "c2"], ["c1"], [], ["c1", "c3"]][i])
    await setup.close(named)
    await setup.close(secret)
    await setup.mark(setup.delegates[0], Attendance.ABSENT, "Về sớm")  # after the close: changes nothing
    async with setup.db.unit(write=False) as uow:
        results = await polls.closed_poll_results(uow, setup.meeting_id)
    assert [(r.poll_id, r.agenda_item_id, r.title) for r in results] == [
        (named, setup.item_ids[0], "Tờ trình kế hoạch năm 2027"),
        (secret, None, "Bầu Ủy viên"),
    ]
    first, second = results[0].result, results[1].result
    spec = PollSpec(kind=first.spec.kind, type=PollType.APPROVAL, majority=first.spec.majority)
    expected = tally(spec, [("approve",)] * 3 + [("abstain",)], members_total=4, present_total=4)
    assert first == expected and first.outcome is PollOutcome.PASSED
    assert first.sentence_vi() == "3/4 tán thành (75,00% số có mặt)"
    assert [c.votes for c in second.counts] == [3, 1, 1]
    assert (second.ballots_cast, second.blank_ballots, second.elected) == (4, 1, ("c1",))
    assert second.outcome is PollOutcome.SEATS_UNFILLED


async def test_cancel_a_draft_quietly_and_an_open_poll_for_everyone(setup: Setup) -> None:
    draft = await setup.poll()
    opened = await setup.open_poll()
    await setup.cast(setup.delegates[0], opened, ["approve"])
    await flush(setup)
    before = await setup.last_seq()
    async with setup.db.unit() as uow:
        assert (await polls.cancel_poll(uow, setup.secretary, setup.meeting_id, draft))[
            "state"
        ] == "cancelled"
        await polls.cancel_poll(uow, setup.secretary, setup.meeting_id, opened)
    events = await setup.events(before)
    assert [(e.type, e.audience) for e in events] == [
        ("poll.cancelled", "controllers"),
        ("poll.cancelled", "all"),
    ]
    async with raises("poll_not_open", state="cancelled"):
        await setup.cast(setup.delegates[1], opened, ["approve"])
    async with setup.db.unit(write=False) as uow:
        assert await polls.closed_poll_results(uow, setup.meeting_id) == []


# -- publishing the counts ---------------------------------------------------------------------------


async def test_counts_are_published_without_choices_for_secret_polls(setup: Setup) -> None:
    poll_id = await setup.open_poll(kind="secret")
    before = await setup.last_seq()
    for voter in setup.voters[:3]:
        await setup.cast(voter, poll_id, ["approve"])
    await flush(setup)
    events = await setup.events(before)
    counted = [e for e in events if e.type == "poll.ballot_counted"]
    voted = [e for e in events if e.type == "poll.voted"]
    assert counted and counted[-1].data == {"poll_id": poll_id, "ballots_cast": 3, "eligible": 4}
    assert counted[-1].audience == "all"
    announced = sorted(pid for e in voted for pid in e.data["participant_ids"])
    assert announced == sorted(v.participant_id for v in setup.voters[:3])  # type: ignore[type-var]
    for e in voted:
        assert e.audience == "p:" + ",".join(str(i) for i in e.data["participant_ids"])
    assert not [e for e in events if e.type == "poll.ballots_recorded"]
    assert all("approve" not in str(e.data) for e in events)
    # nothing new: nothing published
    async with setup.db.unit() as uow:
        assert await polls.publish_counts(uow, setup.meeting_id, poll_id) is False


async def test_named_ballots_reach_the_console(setup: Setup) -> None:
    poll_id = await setup.open_poll(allow_change=True)
    before = await setup.last_seq()
    await setup.cast(setup.delegates[0], poll_id, ["approve"], key="d0-first-1")
    await setup.cast(setup.delegates[1], poll_id, ["reject"], key="d1-first-1")
    await flush(setup)
    middle = await setup.last_seq()
    await setup.cast(setup.delegates[0], poll_id, ["abstain"], key="d0-second")
    await flush(setup)
    events = await setup.events(before)
    recorded = [e for e in events if e.type == "poll.ballots_recorded"]
    assert recorded and all(e.audience == "controllers" for e in recorded)
    d0, d1 = setup.delegates[0].participant_id, setup.delegates[1].participant_id
    first = [b for e in recorded if e.seq <= middle for b in e.data["ballots"]]
    assert first == [
        {"participant_id": d0, "choices": ["approve"]},
        {"participant_id": d1, "choices": ["reject"]},
    ]
    assert recorded[-1].seq > middle
    assert recorded[-1].data == {
        "poll_id": poll_id,
        "ballots": [{"participant_id": d0, "choices": ["abstain"]}],
        "counts": {"approve": 0, "reject": 1, "abstain": 1},
    }
    voted = [pid for e in events if e.type == "poll.voted" for pid in e.data["participant_ids"]]
    assert voted == [d0, d1]  # a changed ballot is not a new voter
    async with setup.db.unit() as uow:
        assert await polls.publish_counts(uow, setup.meeting_id, poll_id) is False  # nothing new


async def test_the_publisher_coalesces_a_burst_of_ballots(setup: Setup) -> None:
    poll_id = await setup.open_poll(eligibility="voting_members")
    before = await setup.last_seq()
    for voter in setup.voters:
        await setup.cast(voter, poll_id, ["approve"])
    await flush(setup)
    counted = [e for e in await setup.events(before) if e.type == "poll.ballot_counted"]
    assert counted[-1].data["ballots_cast"] == 4
    # at most one publication per interval, however the ballots came
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in itertools.pairwise(counted)]
    assert all(gap >= polls.PUBLISH_INTERVAL * 0.95 for gap in gaps), gaps
    assert [e.data["ballots_cast"] for e in counted] == sorted({e.data["ballots_cast"] for e in counted})


# -- views and the snapshot ------------------------------------------------------------------------


async def test_snapshot_shows_my_ballot_and_the_console_sees_named_ballots(setup: Setup) -> None:
    named = await setup.open_poll()
    secret = await setup.open_poll(kind="secret")
    draft = await setup.poll()
    voter = setup.delegates[0]
    await setup.cast(voter, named, ["reject"], key="snap-key-named")
    await setup.cast(voter, secret, ["approve"], key="snap-key-secret")
    async with setup.db.unit(write=False) as uow:
        mine = (await live.snapshot(uow, voter, setup.meeting_id))["live"]["polls"]
        console = (await live.snapshot(uow, setup.secretary, setup.meeting_id))["live"]["polls"]
        other = (await live.snapshot(uow, setup.delegates[1], setup.meeting_id))["live"]["polls"]
    assert [p["id"] for p in mine] == [named, secret]
    assert mine[0]["me"] == {"voted": True, "ballot_key": "snap-key-named", "choices": ["reject"]}
    assert mine[1]["me"] == {"voted": True, "ballot_key": "snap-key-secret", "choices": None}
    assert mine[0]["ballots"] is None and mine[0]["counts"] is None
    assert other[0]["me"] == {"voted": False, "ballot_key": None, "choices": None}
    assert [p["id"] for p in console] == [named, secret, draft]
    assert console[0]["ballots"] == [{"participant_id": voter.participant_id, "choices": ["reject"]}]
    assert console[0]["counts"] == {"approve": 0, "reject": 1, "abstain": 0}
    assert console[1]["ballots"] is None and console[1]["counts"] is None  # secret: only the number
    assert console[1]["ballots_cast"] == 1 and console[1]["result"] is None


async def test_spec_round_trips_through_json() -> None:
    spec = spec_from_json(
        {"kind": "secret", **ELECTION, "min_choices": 1, "quorum": "more_than_half_of_members"}
    )
    assert spec_from_json(polls.spec_to_json(spec)) == spec


# -- secret ballots in the stored rows ----------------------------------------------------------------


async def test_secret_ballots_leave_no_row_linking_a_voter_to_a_choice(setup: Setup) -> None:
    """Every row of every table is read back: an option id of the secret poll appears only
    in the poll's own settings and result, its counters and the poll events, and none of
    those rows names a participant."""
    options = [
        {"id": "ung-vien-an", "label": "Nguyễn Văn An"},
        {"id": "ung-vien-binh", "label": "Trần Bình"},
        {"id": "ung-vien-cuong", "label": "Lê Cường"},
    ]
    poll_id = await setup.open_poll(kind="secret", type="election", options=options, max_choices=2)
    picks = [["ung-vien-an"], ["ung-vien-an", "ung-vien-binh"], ["ung-vien-cuong"], []]
    for voter, pick in zip(setup.voters, picks, strict=True):
        await setup.cast(voter, poll_id, pick)
    await flush(setup)

    async def scan() -> list[tuple[str, dict[str, Any]]]:
        found = []
        async with setup.db.unit(write=False) as uow:
            conn = await uow.session.connection()
            names = await conn.run_sync(lambda c: __import__("sqlalchemy").inspect(c).get_table_names())
            for table in names:
                result = await conn.exec_driver_sql(f'SELECT * FROM "{table}"')
                for row in result.mappings():
                    text = repr(dict(row))
                    if any(o["id"] in text for o in options):
                        found.append((table, dict(row)))
        return found

    for table, row in await scan():
        assert table in {"polls", "poll_tallies", "meeting_events"}, (table, row)
        assert "participant" not in repr(row.get("data", "")), row
        if table == "meeting_events":
            assert row["type"] in {"poll.created", "poll.opened", "poll.closed"}, row
            assert row["actor_participant_id"] in (None, setup.secretary.participant_id)
    assert await rows(setup, PollBallot, poll_id) == []
    async with setup.db.unit(write=False) as uow:
        columns = {c.name for c in PollVoter.__table__.columns}
        assert columns == {"poll_id", "participant_id", "ballot_key", "announced"}
        counters = dict(
            (
                await uow.session.execute(
                    select(PollTally.option_id, PollTally.votes).where(PollTally.poll_id == poll_id)
                )
            ).all()
        )
        voters = await uow.session.scalar(select(func.count()).where(PollVoter.poll_id == poll_id))
    assert counters == {"ung-vien-an": 2, "ung-vien-binh": 1, "ung-vien-cuong": 1}
    assert voters == 4
    result = (await setup.close(poll_id))["result"]
    assert (result["ballots_cast"], result["blank_ballots"]) == (4, 1)
    for table, _row in await scan():
        assert table in {"polls", "poll_tallies", "meeting_events"}
