"""Voting rules: settings, ballots, lifecycle, majority and quorum arithmetic, the count."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonghop.domain import poll
from phonghop.domain.poll import (
    Ballot,
    Eligibility,
    MajorityBase,
    MajorityRule,
    OptionRole,
    PollKind,
    PollOption,
    PollOutcome,
    PollSpec,
    PollState,
    PollType,
    QuorumRule,
    Voter,
    check_can_cast,
    check_can_open,
    check_transition,
    format_count,
    format_percent,
    may_show_counts,
    percent_of,
    standard_options,
    tally,
    validate_choice,
)
from phonghop.errors import Conflict, InvalidInput, InvalidTransition, PermissionDenied, PhonghopError
from phonghop.translations import translate

# --------------------------------------------------------------------------- helpers


@contextmanager
def raises_code(cls: type[PhonghopError], code: str) -> Iterator[pytest.ExceptionInfo[PhonghopError]]:
    with pytest.raises(cls) as info:
        yield info
    assert info.value.code == code


def approval(
    majority: MajorityRule = MajorityRule.MORE_THAN_HALF_OF_MEMBERS,
    quorum: QuorumRule = QuorumRule.NONE,
    **kwargs: object,
) -> PollSpec:
    return PollSpec(PollKind.OPEN, PollType.APPROVAL, majority=majority, quorum=quorum, **kwargs)  # type: ignore[arg-type]


def hands(**counts: int) -> list[Ballot]:
    """Single-choice ballots: ``hands(approve=3, reject=1)``."""
    return [(option_id,) for option_id, n in counts.items() for _ in range(n)]


def candidates(*names: str) -> tuple[PollOption, ...]:
    return tuple(PollOption(f"c{i}", name) for i, name in enumerate(names, start=1))


def election(seats: int, n: int = 5, **kwargs: object) -> PollSpec:
    names = [f"Ứng cử viên {i}" for i in range(1, n + 1)]
    return PollSpec(
        PollKind.SECRET,
        PollType.ELECTION,
        options=candidates(*names),
        max_choices=seats,
        **kwargs,  # type: ignore[arg-type]
    )


def votes_for(counts: dict[str, int], size: int, ballots: int) -> list[Ballot]:
    """``ballots`` election ballots of at most ``size`` names giving each candidate its votes.

    Votes are dealt round the ballots in turn, so no ballot names a candidate twice (each
    count is at most ``ballots``) and none holds more than ``size`` names.
    """
    assert sum(counts.values()) <= size * ballots and max(counts.values()) <= ballots
    dealt: list[list[str]] = [[] for _ in range(ballots)]
    slot = 0
    for candidate, n in counts.items():
        for _ in range(n):
            dealt[slot % ballots].append(candidate)
            slot += 1
    return [tuple(b) for b in dealt]


VOTER = Voter(is_voting_member=True, is_present=True)


# --------------------------------------------------------------------------- settings


def test_approval_polls_get_the_fixed_wording() -> None:
    party = PollSpec(PollKind.OPEN, PollType.APPROVAL)
    state = PollSpec(PollKind.SECRET, PollType.APPROVAL_STATE)
    assert [o.label for o in party.options] == ["Tán thành", "Không tán thành", "Không biểu quyết"]
    assert [o.label for o in state.options] == ["Đồng ý", "Không đồng ý", "Phiếu trắng"]
    assert [o.role for o in state.options] == [OptionRole.APPROVE, OptionRole.REJECT, OptionRole.ABSTAIN]
    assert party.options == standard_options(PollType.APPROVAL)
    assert standard_options(PollType.CUSTOM) == ()
    assert party.required_choices == 1 and party.max_choices == 1


def test_defaults_are_the_party_rule() -> None:
    spec = PollSpec(PollKind.OPEN, PollType.APPROVAL)
    assert spec.majority is MajorityRule.MORE_THAN_HALF_OF_MEMBERS
    assert spec.majority.base is MajorityBase.MEMBERS
    assert spec.quorum is QuorumRule.NONE
    assert not spec.allow_change and not spec.keep_minority_opinion


def test_approval_options_cannot_be_replaced() -> None:
    with raises_code(InvalidInput, "poll_options_fixed"):
        PollSpec(PollKind.OPEN, PollType.APPROVAL, options=candidates("Có", "Không"))
    # Passing the fixed options back (as read from storage) is accepted.
    spec = PollSpec(PollKind.OPEN, PollType.APPROVAL_STATE, options=standard_options(PollType.APPROVAL_STATE))
    assert spec.options[2].id == "blank"


def test_custom_poll_needs_two_options_and_election_one_candidate() -> None:
    with raises_code(InvalidInput, "poll_options_missing") as info:
        PollSpec(PollKind.OPEN, PollType.CUSTOM, options=candidates("Phương án 1"))
    assert info.value.params == {"minimum": 2}
    with raises_code(InvalidInput, "poll_options_missing"):
        PollSpec(PollKind.SECRET, PollType.ELECTION, options=())
    single = PollSpec(PollKind.SECRET, PollType.ELECTION, options=candidates("Nguyễn Văn A"))
    assert single.seats == 1 and single.required_choices == 0


def test_option_ids_are_unique_and_labels_are_required() -> None:
    with raises_code(InvalidInput, "poll_option_duplicate") as info:
        PollSpec(PollKind.OPEN, PollType.CUSTOM, options=(PollOption("a", "Một"), PollOption("a", "Hai")))
    assert info.value.params == {"option_id": "a"}
    for option_id, label in [("", "Một"), (" a", "Một"), ("a", "   ")]:
        with raises_code(InvalidInput, "poll_option_invalid"):
            PollOption(option_id, label)
    # Two candidates may share a name; only ids must differ.
    PollSpec(PollKind.SECRET, PollType.ELECTION, options=candidates("Nguyễn Văn Hùng", "Nguyễn Văn Hùng"))


def test_option_labels_are_stored_in_nfc() -> None:
    option = PollOption("c1", "Nguye\u0302\u0303n  Va\u0306n A ")  # NFD, stray spaces
    assert option.label == "Nguyễn Văn A"


@pytest.mark.parametrize("max_choices", [0, -1, 6])
def test_election_seats_between_one_and_the_candidates(max_choices: int) -> None:
    with raises_code(InvalidInput, "poll_max_choices_invalid") as info:
        election(max_choices, n=5)
    assert info.value.params["maximum"] == 5


@pytest.mark.parametrize("min_choices", [-1, 4])
def test_election_min_choices_between_zero_and_seats(min_choices: int) -> None:
    with raises_code(InvalidInput, "poll_min_choices_invalid"):
        election(3, min_choices=min_choices)


@pytest.mark.parametrize("kind", [PollType.APPROVAL, PollType.APPROVAL_STATE, PollType.CUSTOM])
def test_other_polls_choose_exactly_one(kind: PollType) -> None:
    options = candidates("A", "B") if kind is PollType.CUSTOM else ()
    with raises_code(InvalidInput, "poll_max_choices_invalid"):
        PollSpec(PollKind.OPEN, kind, options=options, max_choices=2)
    with raises_code(InvalidInput, "poll_min_choices_invalid"):
        PollSpec(PollKind.OPEN, kind, options=options, min_choices=0)
    assert PollSpec(PollKind.OPEN, kind, options=options, min_choices=1).required_choices == 1


def test_secret_ballots_cannot_be_changed() -> None:
    with raises_code(InvalidInput, "poll_secret_change_not_allowed"):
        PollSpec(PollKind.SECRET, PollType.APPROVAL, allow_change=True)
    assert PollSpec(PollKind.OPEN, PollType.APPROVAL, allow_change=True).allow_change


def test_quorum_to_open_needs_a_quorum_rule() -> None:
    with raises_code(InvalidInput, "poll_invalid") as info:
        approval(require_quorum_to_open=True)
    assert info.value.params == {"reason": "quorum_required_without_rule"}


# --------------------------------------------------------------------------- ballots


def test_validate_choice_returns_the_poll_order() -> None:
    spec = election(3)
    assert validate_choice(spec, ("c4", "c1")) == ("c1", "c4")
    assert validate_choice(spec, ()) == ()
    assert validate_choice(approval(), ("reject",)) == ("reject",)


@pytest.mark.parametrize(
    ("spec", "choice", "code", "params"),
    [
        (approval(), ("yes",), "ballot_choice_invalid", {"option_id": "yes"}),
        (approval(), ("agree",), "ballot_choice_invalid", {"option_id": "agree"}),  # State wording
        (approval(), ("approve", "reject"), "ballot_too_many_choices", {"maximum": 1}),
        (approval(), (), "ballot_too_few_choices", {"minimum": 1}),
        (election(3), ("c1", "c1"), "ballot_duplicate_choice", {}),
        (election(3), ("c1", "c2", "c3", "c4"), "ballot_too_many_choices", {"maximum": 3}),
        (election(3, min_choices=1), (), "ballot_too_few_choices", {"minimum": 1}),
        (election(3), ("c1", "c9", "c1"), "ballot_choice_invalid", {"option_id": "c9"}),
    ],
)
def test_invalid_ballots(spec: PollSpec, choice: Ballot, code: str, params: dict[str, object]) -> None:
    with raises_code(InvalidInput, code) as info:
        validate_choice(spec, choice)
    assert info.value.params == params


# --------------------------------------------------------------------------- lifecycle

ALLOWED = {
    (PollState.DRAFT, PollState.OPEN),
    (PollState.DRAFT, PollState.CANCELLED),
    (PollState.OPEN, PollState.CLOSED),
    (PollState.OPEN, PollState.CANCELLED),
}


@pytest.mark.parametrize("current", list(PollState))
@pytest.mark.parametrize("target", list(PollState))
def test_transitions(current: PollState, target: PollState) -> None:
    if (current, target) in ALLOWED:
        assert check_transition(current, target) is target
        return
    with raises_code(InvalidTransition, "poll_transition_invalid") as info:
        check_transition(current, target)
    assert info.value.params == {"from_state": current.value, "to_state": target.value}


def test_opening_without_quorum_is_refused_when_the_setting_says_so() -> None:
    strict = approval(quorum=QuorumRule.TWO_THIRDS_OF_MEMBERS, require_quorum_to_open=True)
    with raises_code(Conflict, "poll_quorum_not_met") as info:
        check_can_open(strict, PollState.DRAFT, members_total=15, present_total=9)
    assert info.value.params == {"present": 9, "required": 10}
    check_can_open(strict, PollState.DRAFT, members_total=15, present_total=10)
    # Without the setting the poll opens and the result will say "not valid".
    lenient = approval(quorum=QuorumRule.TWO_THIRDS_OF_MEMBERS)
    check_can_open(lenient, PollState.DRAFT, members_total=15, present_total=1)
    with raises_code(InvalidTransition, "poll_transition_invalid"):
        check_can_open(lenient, PollState.CLOSED, members_total=15, present_total=15)


@pytest.mark.parametrize("state", [PollState.DRAFT, PollState.CLOSED, PollState.CANCELLED])
def test_ballots_only_while_open(state: PollState) -> None:
    with raises_code(InvalidTransition, "poll_not_open") as info:
        check_can_cast(approval(), state, VOTER, already_cast=False)
    assert info.value.params == {"state": state.value}


@pytest.mark.parametrize(
    ("voter", "reason"),
    [
        (Voter(is_voting_member=False, is_present=True), "not_voting_member"),
        (Voter(is_voting_member=True, is_present=True, has_vote_right=False), "no_vote_right"),
        (Voter(is_voting_member=True, is_present=False), "not_present"),
    ],
)
def test_who_may_vote(voter: Voter, reason: str) -> None:
    with raises_code(PermissionDenied, "poll_not_eligible") as info:
        check_can_cast(approval(), PollState.OPEN, voter, already_cast=False)
    assert info.value.params == {"reason": reason}


def test_absent_members_vote_when_eligibility_is_all_voting_members() -> None:
    spec = approval(eligibility=Eligibility.VOTING_MEMBERS)
    check_can_cast(spec, PollState.OPEN, Voter(is_voting_member=True, is_present=False), already_cast=False)
    with raises_code(PermissionDenied, "poll_not_eligible"):
        check_can_cast(spec, PollState.OPEN, Voter(is_voting_member=False, is_present=True), False)


def test_a_second_ballot_is_refused_unless_change_is_allowed() -> None:
    check_can_cast(approval(), PollState.OPEN, VOTER, already_cast=False)
    with raises_code(Conflict, "ballot_already_cast"):
        check_can_cast(approval(), PollState.OPEN, VOTER, already_cast=True)
    check_can_cast(approval(allow_change=True), PollState.OPEN, VOTER, already_cast=True)
    with raises_code(InvalidTransition, "poll_not_open"):
        check_can_cast(approval(allow_change=True), PollState.CLOSED, VOTER, already_cast=True)


def test_secret_counts_stay_hidden_until_close() -> None:
    secret = PollSpec(PollKind.SECRET, PollType.APPROVAL)
    assert not may_show_counts(secret, PollState.OPEN)
    assert may_show_counts(secret, PollState.CLOSED)
    assert may_show_counts(approval(), PollState.OPEN)


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("rule", "votes", "base", "met"),
    [
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 7, 14, False),  # exactly half
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 8, 14, True),
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 7, 15, False),
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 8, 15, True),
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 1, 1, True),
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 0, 0, False),
        (MajorityRule.MORE_THAN_HALF_OF_PRESENT, 5, 10, False),
        (MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS, 6, 10, True),
        (MajorityRule.TWO_THIRDS_OF_MEMBERS, 10, 15, True),  # exactly two thirds
        (MajorityRule.TWO_THIRDS_OF_MEMBERS, 9, 15, False),
        (MajorityRule.TWO_THIRDS_OF_MEMBERS, 10, 14, True),  # 9.33 needed
        (MajorityRule.TWO_THIRDS_OF_MEMBERS, 9, 14, False),
        (MajorityRule.TWO_THIRDS_OF_PRESENT, 2, 3, True),
        (MajorityRule.TWO_THIRDS_OF_PRESENT, 0, 0, False),  # 0 >= 0 must not pass
        (MajorityRule.TWO_THIRDS_OF_PRESENT, 0, 1, False),
    ],
)
def test_majority_rules(rule: MajorityRule, votes: int, base: int, met: bool) -> None:
    assert rule.is_met(votes, base) is met


@pytest.mark.parametrize(
    ("rule", "base", "needed"),
    [
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 14, 8),
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 15, 8),
        (MajorityRule.MORE_THAN_HALF_OF_MEMBERS, 485, 243),
        (MajorityRule.TWO_THIRDS_OF_MEMBERS, 15, 10),
        (MajorityRule.TWO_THIRDS_OF_MEMBERS, 14, 10),
        (MajorityRule.TWO_THIRDS_OF_PRESENT, 1, 1),
    ],
)
def test_votes_needed(rule: MajorityRule, base: int, needed: int) -> None:
    assert rule.votes_needed(base) == needed


@given(st.sampled_from(list(MajorityRule)), st.integers(0, 3000), st.integers(1, 3000))
def test_votes_needed_agrees_with_the_rule(rule: MajorityRule, votes: int, base: int) -> None:
    assert rule.is_met(votes, base) is (votes >= rule.votes_needed(base))


@pytest.mark.parametrize(
    ("rule", "present", "members", "met"),
    [
        (QuorumRule.NONE, 0, 15, True),
        (QuorumRule.MORE_THAN_HALF_OF_MEMBERS, 7, 14, False),
        (QuorumRule.MORE_THAN_HALF_OF_MEMBERS, 8, 14, True),
        (QuorumRule.TWO_THIRDS_OF_MEMBERS, 10, 15, True),
        (QuorumRule.TWO_THIRDS_OF_MEMBERS, 9, 15, False),
        (QuorumRule.TWO_THIRDS_OF_MEMBERS, 0, 0, False),
    ],
)
def test_quorum_rules(rule: QuorumRule, present: int, members: int, met: bool) -> None:
    assert rule.is_met(present, members) is met


def test_quorum_minimum_present() -> None:
    assert QuorumRule.NONE.minimum_present(15) == 0
    assert QuorumRule.MORE_THAN_HALF_OF_MEMBERS.minimum_present(14) == 8
    assert QuorumRule.TWO_THIRDS_OF_MEMBERS.minimum_present(65) == 44


@pytest.mark.parametrize(
    ("votes", "total", "percent"),
    [
        (444, 485, "91.55"),
        (2, 3, "66.67"),
        (1, 6, "16.67"),
        (1, 800, "0.13"),  # 0.125 rounds half up, not to even
        (3, 800, "0.38"),
        (0, 15, "0.00"),
        (15, 15, "100.00"),
        (5, 0, "0.00"),
    ],
)
def test_percent_of(votes: int, total: int, percent: str) -> None:
    assert percent_of(votes, total) == Decimal(percent)
    assert str(percent_of(votes, total)) == percent


@given(st.integers(0, 5000), st.integers(1, 5000))
def test_percent_of_is_decimal_half_up(votes: int, total: int) -> None:
    expected = (Decimal(votes * 100) / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert percent_of(votes, total) == expected


def test_vietnamese_number_formats() -> None:
    assert format_percent(Decimal("91.55")) == "91,55%"
    assert format_percent(Decimal("91.55"), "en") == "91.55%"
    assert format_percent(Decimal("100.00")) == "100,00%"
    assert format_percent(Decimal("1234.5")) == "1.234,50%"
    assert format_count(1586) == "1.586"
    assert format_count(1586, "en") == "1,586"
    assert format_count(447) == "447"


# --------------------------------------------------------------------------- tally: approval


def test_the_national_assembly_sentence() -> None:
    # 485 members, 447 took part, 444 approved: 444 is 91,55% of all 485 members.
    result = tally(approval(), hands(approve=444, reject=2, abstain=1), members_total=485, present_total=460)
    assert result.passed and result.outcome is PollOutcome.PASSED
    assert result.decided == ("approve",)
    assert result.ballots_cast == 447 and result.base_total == 485
    assert result.count("approve").percent == Decimal("91.55")
    assert result.sentence_vi() == "444/447 tán thành (91,55% tổng số)"
    assert result.sentence_vi("reject") == "2/447 không tán thành (0,41% tổng số)"
    assert result.abstentions == 1


def test_state_wording_in_the_sentence() -> None:
    spec = PollSpec(PollKind.SECRET, PollType.APPROVAL_STATE, majority=MajorityRule.MORE_THAN_HALF_OF_PRESENT)
    result = tally(spec, hands(agree=30, disagree=5, blank=5), members_total=50, present_total=40)
    assert result.passed
    assert result.sentence_vi() == "30/40 đồng ý (75,00% số có mặt)"
    assert result.sentence_vi("blank") == "5/40 phiếu trắng (12,50% số có mặt)"
    assert result.abstentions == 5


def test_absent_members_count_against_a_motion_under_the_party_rule() -> None:
    # Standing committee of 15, 8 present, all 8 approve: 8 > 15/2, passed.
    assert tally(approval(), hands(approve=8), members_total=15, present_total=8).passed
    # 7 present, all 7 approve: unanimous in the room, but not more than half of 15.
    result = tally(approval(), hands(approve=7), members_total=15, present_total=7)
    assert not result.passed and result.outcome is PollOutcome.NOT_PASSED
    assert result.decided == ()
    assert result.count("approve").percent == Decimal("46.67")
    assert result.not_cast == 0
    # The same room under "more than half of members present" passes.
    present = approval(MajorityRule.MORE_THAN_HALF_OF_PRESENT)
    assert tally(present, hands(approve=7), members_total=15, present_total=7).passed


def test_exactly_half_of_members_does_not_pass() -> None:
    result = tally(approval(), hands(approve=7, reject=7), members_total=14, present_total=14)
    assert not result.passed
    assert result.count("approve").percent == Decimal("50.00")
    assert not result.count("approve").meets_majority


def test_exactly_two_thirds_passes() -> None:
    spec = approval(MajorityRule.TWO_THIRDS_OF_MEMBERS)
    assert tally(spec, hands(approve=10, reject=5), members_total=15, present_total=15).passed
    assert not tally(spec, hands(approve=9, reject=6), members_total=15, present_total=15).passed


def test_two_thirds_of_present() -> None:
    spec = approval(MajorityRule.TWO_THIRDS_OF_PRESENT)
    assert tally(spec, hands(approve=6, reject=3), members_total=15, present_total=9).passed
    assert not tally(spec, hands(approve=5, reject=4), members_total=15, present_total=9).passed


def test_valid_ballots_base_leaves_invalid_ballots_out() -> None:
    spec = approval(MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS)
    ballots = [*hands(approve=5, reject=4), ("approve", "reject"), ("nonsense",), ()]
    result = tally(spec, ballots, members_total=20, present_total=15)
    assert result.ballots_cast == 12 and result.valid_ballots == 9 and result.invalid_ballots == 3
    assert result.base_total == 9
    assert result.passed
    assert result.sentence_vi() == "5/12 tán thành (55,56% số phiếu hợp lệ)"


def test_abstentions_count_as_valid_ballots() -> None:
    spec = approval(MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS)
    result = tally(spec, hands(approve=5, reject=1, abstain=4), members_total=10, present_total=10)
    assert result.base_total == 10
    assert not result.passed  # 5 is exactly half of 10 valid ballots


def test_zero_ballots() -> None:
    for rule in MajorityRule:
        result = tally(approval(rule), [], members_total=15, present_total=0)
        assert result.ballots_cast == 0 and result.valid_ballots == 0
        assert not result.passed
        assert all(c.votes == 0 and c.percent == Decimal("0.00") for c in result.counts)
        assert result.not_cast == 0  # eligibility is members present, and none are
    everyone = approval(eligibility=Eligibility.VOTING_MEMBERS)
    assert tally(everyone, [], members_total=15, present_total=0).not_cast == 15


def test_all_abstain() -> None:
    for rule in MajorityRule:
        result = tally(approval(rule), hands(abstain=12), members_total=12, present_total=12)
        assert not result.passed
        assert result.abstentions == 12 == result.valid_ballots


def test_quorum_not_met_makes_the_result_not_valid() -> None:
    spec = approval(quorum=QuorumRule.TWO_THIRDS_OF_MEMBERS)
    result = tally(spec, hands(approve=9), members_total=15, present_total=9)
    assert not result.quorum_met and not result.valid
    assert result.outcome is PollOutcome.NOT_VALID
    assert not result.passed and result.decided == ()
    assert result.votes("approve") == 9  # counts are still reported
    met = tally(spec, hands(approve=10), members_total=15, present_total=10)
    assert met.quorum_met and met.passed


def test_impossible_numbers_are_refused() -> None:
    for members, present, cast in [(-1, 0, 0), (10, 11, 0), (10, -1, 0), (3, 3, 4)]:
        with raises_code(InvalidInput, "poll_counts_invalid"):
            tally(approval(), hands(approve=cast), members_total=members, present_total=present)


def test_sentence_needs_an_option_outside_approval_polls() -> None:
    result = tally(election(2), [("c1",)], members_total=3, present_total=3)
    with pytest.raises(ValueError):
        result.sentence_vi()
    with pytest.raises(KeyError):
        result.count("nobody")


# --------------------------------------------------------------------------- tally: custom


def test_custom_poll_chooses_the_option_with_the_majority() -> None:
    spec = PollSpec(
        PollKind.OPEN,
        PollType.CUSTOM,
        options=candidates("Phương án 1", "Phương án 2", "Phương án 3"),
        majority=MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS,
    )
    chosen = tally(spec, hands(c1=3, c2=8, c3=2), members_total=15, present_total=13)
    assert chosen.outcome is PollOutcome.CHOSEN and chosen.decided == ("c2",) and chosen.passed
    assert chosen.sentence_vi("c2") == "Phương án 2: 8/13 (61,54% số phiếu hợp lệ)"
    split = tally(spec, hands(c1=5, c2=5, c3=3), members_total=15, present_total=13)
    assert split.outcome is PollOutcome.NO_MAJORITY and not split.passed and split.decided == ()


def test_an_abstain_option_of_a_custom_poll_never_wins() -> None:
    options = (
        *candidates("Phương án 1", "Phương án 2"),
        PollOption("none", "Không biểu quyết", OptionRole.ABSTAIN),
    )
    spec = PollSpec(PollKind.OPEN, PollType.CUSTOM, options=options)
    result = tally(spec, hands(c1=2, c2=1, none=8), members_total=11, present_total=11)
    assert result.count("none").meets_majority
    assert result.outcome is PollOutcome.NO_MAJORITY and result.decided == ()
    assert result.abstentions == 8


@pytest.mark.parametrize(
    ("poll_type", "role"),
    [
        (PollType.CUSTOM, OptionRole.APPROVE),
        (PollType.CUSTOM, OptionRole.REJECT),
        (PollType.ELECTION, OptionRole.ABSTAIN),
    ],
)
def test_option_roles_must_fit_the_poll_type(poll_type: PollType, role: OptionRole) -> None:
    options = (PollOption("a", "A"), PollOption("b", "B", role))
    with raises_code(InvalidInput, "poll_option_invalid") as info:
        PollSpec(PollKind.OPEN, poll_type, options=options)
    assert info.value.params == {"option_id": "b", "role": role.value}


def test_custom_poll_tie_between_two_qualifying_options() -> None:
    # Members voting online push ballots past the present count: both options exceed half of it.
    spec = PollSpec(
        PollKind.OPEN,
        PollType.CUSTOM,
        options=candidates("A", "B"),
        majority=MajorityRule.MORE_THAN_HALF_OF_PRESENT,
        eligibility=Eligibility.VOTING_MEMBERS,
    )
    result = tally(spec, hands(c1=4, c2=4), members_total=10, present_total=6)
    assert result.outcome is PollOutcome.TIE_AT_CUTOFF and result.tied == ("c1", "c2")
    assert result.decided == ()


# --------------------------------------------------------------------------- tally: elections


def test_election_fills_every_seat_by_votes() -> None:
    spec = election(3, n=5)
    ballots = votes_for({"c1": 9, "c2": 12, "c3": 5, "c4": 10, "c5": 8}, size=3, ballots=15)
    result = tally(spec, ballots, members_total=15, present_total=15)
    # More than half of 15 is 8: c2, c4, c1 and c5 qualify; three seats go by votes.
    assert result.outcome is PollOutcome.ELECTED and result.passed
    assert result.elected == ("c2", "c4", "c1")
    assert not result.tie_at_cutoff and result.seats_unfilled == 0


def test_election_with_too_few_qualifying_candidates() -> None:
    spec = election(3, n=5)
    ballots = votes_for({"c1": 9, "c2": 7, "c3": 7, "c4": 10, "c5": 2}, size=3, ballots=15)
    result = tally(spec, ballots, members_total=15, present_total=15)
    assert result.outcome is PollOutcome.SEATS_UNFILLED and not result.passed
    assert result.elected == ("c4", "c1")
    assert result.seats_unfilled == 1


def test_election_tie_at_the_cutoff_needs_a_new_round() -> None:
    spec = election(2, n=4)
    ballots = votes_for({"c1": 12, "c2": 9, "c3": 9}, size=2, ballots=15)
    result = tally(spec, ballots, members_total=15, present_total=15)
    assert result.outcome is PollOutcome.TIE_AT_CUTOFF and result.tie_at_cutoff
    assert result.elected == ("c1",)
    assert result.tied == ("c2", "c3")
    assert not result.passed and result.seats_unfilled == 1


def test_election_tie_below_the_rule_is_not_a_tie_at_the_cutoff() -> None:
    spec = election(2, n=4)
    ballots = votes_for({"c1": 12, "c2": 6, "c3": 6, "c4": 3}, size=2, ballots=15)
    result = tally(spec, ballots, members_total=15, present_total=15)
    assert result.outcome is PollOutcome.SEATS_UNFILLED
    assert result.elected == ("c1",) and result.tied == ()


def test_election_tie_inside_the_seats_is_fine() -> None:
    spec = election(2, n=3)
    ballots = votes_for({"c1": 10, "c2": 10, "c3": 9}, size=2, ballots=15)
    result = tally(spec, ballots, members_total=15, present_total=15)
    assert result.outcome is PollOutcome.ELECTED and result.elected == ("c1", "c2")


def test_election_tie_of_everyone_for_one_seat() -> None:
    spec = election(
        1, n=3, majority=MajorityRule.MORE_THAN_HALF_OF_PRESENT, eligibility=Eligibility.VOTING_MEMBERS
    )
    result = tally(spec, hands(c1=4, c2=4, c3=4), members_total=12, present_total=6)
    assert result.tied == ("c1", "c2", "c3") and result.elected == ()


def test_election_blank_ballots() -> None:
    spec = election(2, n=3)
    result = tally(spec, [("c1", "c2")] * 8 + [()] * 4, members_total=13, present_total=12)
    assert result.blank_ballots == 4 and result.valid_ballots == 12 and result.abstentions == 4
    assert result.elected == ("c1", "c2")
    assert result.sentence_vi("c1") == "Ứng cử viên 1: 8/12 (61,54% tổng số)"
    strict = election(2, n=3, min_choices=1)
    assert tally(strict, [()] * 4, members_total=13, present_total=12).invalid_ballots == 4


def test_election_without_quorum_elects_nobody() -> None:
    spec = election(1, n=2, quorum=QuorumRule.MORE_THAN_HALF_OF_MEMBERS)
    result = tally(spec, hands(c1=6), members_total=13, present_total=6)
    assert result.outcome is PollOutcome.NOT_VALID and result.elected == ()


def test_a_large_congress() -> None:
    spec = election(1, n=2, majority=MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS)
    result = tally(spec, hands(c1=1580, c2=3) + [()] * 3, members_total=1586, present_total=1586)
    assert result.sentence_vi("c1") == "Ứng cử viên 1: 1.580/1.586 (99,62% số phiếu hợp lệ)"


# --------------------------------------------------------------------------- properties


@st.composite
def approval_count(draw: st.DrawFn) -> tuple[int, int, int, int, int]:
    members = draw(st.integers(1, 600))
    approve = draw(st.integers(0, members))
    reject = draw(st.integers(0, members - approve))
    abstain = draw(st.integers(0, members - approve - reject))
    present = draw(st.integers(0, members))
    return members, present, approve, reject, abstain


@given(approval_count())
def test_party_rule_property(case: tuple[int, int, int, int, int]) -> None:
    members, present, approve, reject, abstain = case
    spec = approval(eligibility=Eligibility.VOTING_MEMBERS)
    result = tally(
        spec,
        hands(approve=approve, reject=reject, abstain=abstain),
        members_total=members,
        present_total=present,
    )
    assert result.passed is (2 * approve > members)
    assert result.base_total == members
    assert sum(c.votes for c in result.counts) == result.ballots_cast == approve + reject + abstain
    assert result.not_cast == members - result.ballots_cast


@st.composite
def election_case(draw: st.DrawFn) -> tuple[PollSpec, list[Ballot], int, int]:
    n = draw(st.integers(1, 6))
    seats = draw(st.integers(1, n))
    spec = PollSpec(
        PollKind.SECRET,
        PollType.ELECTION,
        options=candidates(*(f"Ứng cử viên {i}" for i in range(n))),
        max_choices=seats,
        min_choices=draw(st.integers(0, 1)),
        majority=draw(st.sampled_from(list(MajorityRule))),
        quorum=draw(st.sampled_from(list(QuorumRule))),
    )
    ids = [o.id for o in spec.options] + ["stray"]
    ballot = st.lists(st.sampled_from(ids), max_size=seats + 1).map(tuple)
    ballots = draw(st.lists(ballot, max_size=40))
    members = draw(st.integers(len(ballots), len(ballots) + 10))
    present = draw(st.integers(0, members))
    return spec, ballots, members, present


@given(election_case())
def test_election_count_properties(case: tuple[PollSpec, list[Ballot], int, int]) -> None:
    spec, ballots, members, present = case
    result = tally(spec, ballots, members_total=members, present_total=present)
    valid = []
    for b in ballots:
        with suppress(InvalidInput):
            valid.append(validate_choice(spec, b))
    assert result.ballots_cast == len(ballots) == result.valid_ballots + result.invalid_ballots
    assert result.valid_ballots == len(valid)
    assert result.blank_ballots == sum(1 for b in valid if not b)
    assert sum(c.votes for c in result.counts) == sum(len(b) for b in valid)

    by_id = {c.option.id: c for c in result.counts}
    assert len(result.elected) + len(result.tied) <= len(spec.options)
    assert len(result.elected) <= spec.seats
    assert all(by_id[i].meets_majority for i in result.elected + result.tied)
    if not result.quorum_met:
        assert result.outcome is PollOutcome.NOT_VALID and result.elected == () and result.tied == ()
        return
    qualified = [c for c in result.counts if c.meets_majority]
    losers = [c for c in qualified if c.option.id not in result.elected]
    assert all(by_id[e].votes >= c.votes for e in result.elected for c in losers)
    assert [by_id[e].votes for e in result.elected] == sorted(
        (by_id[e].votes for e in result.elected), reverse=True
    )
    if result.tied:
        assert len({by_id[t].votes for t in result.tied}) == 1
        assert len(result.elected) + len(result.tied) > spec.seats
        assert all(by_id[e].votes > by_id[result.tied[0]].votes for e in result.elected)
    else:
        assert len(result.elected) == min(spec.seats, len(qualified))
    assert result.passed is (result.outcome is PollOutcome.ELECTED)


# --------------------------------------------------------------------------- messages

LOCALES = Path(str(resources.files("phonghop") / "locales"))


def load(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / lang / "polls.json").read_text(encoding="utf-8"))
    return data


def raised_codes() -> set[str]:
    source = Path(poll.__file__).read_text(encoding="utf-8")
    found = re.findall(
        r"(?:InvalidInput|PermissionDenied|Conflict|InvalidTransition)\(\s*\"([a-z_]+)\"", source
    )
    return set(found)


ERROR_TRIGGERS: list[Callable[[], object]] = [
    lambda: approval(require_quorum_to_open=True),
    lambda: PollSpec(PollKind.OPEN, PollType.CUSTOM, options=()),
    lambda: PollSpec(PollKind.OPEN, PollType.APPROVAL, options=candidates("A", "B")),
    lambda: PollOption("", "A"),
    lambda: PollSpec(PollKind.OPEN, PollType.CUSTOM, options=(PollOption("a", "A"), PollOption("a", "B"))),
    lambda: election(9, n=2),
    lambda: election(1, n=2, min_choices=2),
    lambda: PollSpec(PollKind.SECRET, PollType.APPROVAL, allow_change=True),
    lambda: check_transition(PollState.CLOSED, PollState.OPEN),
    lambda: check_can_open(
        approval(quorum=QuorumRule.TWO_THIRDS_OF_MEMBERS, require_quorum_to_open=True),
        PollState.DRAFT,
        members_total=3,
        present_total=1,
    ),
    lambda: check_can_cast(approval(), PollState.CLOSED, VOTER, False),
    lambda: check_can_cast(approval(), PollState.OPEN, Voter(False, True), False),
    lambda: check_can_cast(approval(), PollState.OPEN, VOTER, True),
    lambda: tally(approval(), [], members_total=1, present_total=2),
    lambda: validate_choice(approval(), ("x",)),
    lambda: validate_choice(election(2), ("c1", "c1")),
    lambda: validate_choice(election(2), ("c1", "c2", "c3")),
    lambda: validate_choice(approval(), ()),
]


def test_every_error_code_has_a_message_in_both_languages() -> None:
    codes = raised_codes()
    assert len(codes) == 18
    vi, en = load("vi"), load("en")
    for code in codes:
        assert f"error.{code}" in vi, code
        assert f"error.{code}" in en, code
    assert {k for k in vi if k.startswith("error.")} == {f"error.{c}" for c in codes}
    assert vi.keys() == en.keys()


def test_every_error_renders_with_its_parameters() -> None:
    seen = set()
    for trigger in ERROR_TRIGGERS:
        with pytest.raises(PhonghopError) as info:
            trigger()
        error = info.value
        seen.add(error.code)
        for lang in ("vi", "en"):
            message = translate(f"error.{error.code}", lang, **error.params)
            assert "{" not in message and message != f"error.{error.code}", (lang, message)
    assert seen == raised_codes()


def test_vietnamese_messages_have_diacritics() -> None:
    vietnamese_letters = re.compile(
        r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I
    )
    for key, text in load("vi").items():
        assert vietnamese_letters.search(text) or key == "poll.result_line", key


def test_every_setting_and_outcome_has_a_label() -> None:
    keys = [f"poll.kind.{v}" for v in PollKind]
    keys += [f"poll.type.{v}" for v in PollType]
    keys += [f"poll.eligibility.{v}" for v in Eligibility]
    keys += [f"poll.majority.{v}" for v in MajorityRule]
    keys += [f"poll.quorum.{v}" for v in QuorumRule]
    keys += [f"poll.state.{v}" for v in PollState]
    keys += [f"poll.outcome.{v}" for v in PollOutcome]
    keys += [b.label_key for b in MajorityBase]
    keys += [o.label_key for t in PollType for o in standard_options(t) if o.label_key]
    for lang in ("vi", "en"):
        catalog = load(lang)
        assert [k for k in keys if k not in catalog] == [], lang


def test_vietnamese_labels_match_the_domain_wording() -> None:
    vi = load("vi")
    for poll_type in PollType:
        for option in standard_options(poll_type):
            assert option.label_key is not None
            assert vi[option.label_key] == option.label
    for base in MajorityBase:
        assert vi[base.label_key] == base.label_vi


def test_result_line_in_the_interface() -> None:
    result = tally(approval(), hands(approve=444, reject=2, abstain=1), members_total=485, present_total=460)
    line = result.line()
    assert line.option.label_key is not None
    rendered = {
        lang: translate(
            "poll.result_line",
            lang,
            option=translate(line.option.label_key, lang),
            base=translate(line.base.label_key, lang),
            **line.params(lang),
        )
        for lang in ("vi", "en")
    }
    assert rendered == {
        "vi": "Tán thành: 444/447 (91,55% tổng số)",
        "en": "Approve: 444/447 (91.55% of all members)",
    }
