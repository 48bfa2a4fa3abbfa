"""domain.poll.tally_counts: a secret poll counted from its counters decides as tally does."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phonghop.domain.poll import (
    MajorityRule,
    PollKind,
    PollOption,
    PollSpec,
    PollType,
    QuorumRule,
    tally,
    tally_counts,
)
from phonghop.errors import InvalidInput

CANDIDATES = tuple(PollOption(f"c{i}", f"Ứng cử viên {i}") for i in range(1, 6))


def election(seats: int, rule: MajorityRule) -> PollSpec:
    return PollSpec(PollKind.SECRET, PollType.ELECTION, CANDIDATES, max_choices=seats, majority=rule)


@settings(max_examples=200, deadline=None)
@given(
    seats=st.integers(1, 3),
    rule=st.sampled_from(list(MajorityRule)),
    ballots=st.lists(st.sets(st.sampled_from([c.id for c in CANDIDATES]), max_size=3), max_size=40),
    absent=st.integers(0, 10),
)
def test_counting_the_counters_gives_the_count_of_the_ballots(
    seats: int, rule: MajorityRule, ballots: list[set[str]], absent: int
) -> None:
    spec = election(seats, rule)
    valid = [tuple(sorted(b)) for b in ballots if len(b) <= seats]
    members = len(valid) + absent
    present = len(valid) + absent // 2
    expected = tally(spec, valid, members_total=members, present_total=present)
    counters = Counter(option for ballot in valid for option in ballot)
    got = tally_counts(
        spec,
        dict(counters),
        ballots_cast=len(valid),
        blank_ballots=sum(1 for b in valid if not b),
        members_total=members,
        present_total=present,
    )
    assert got == expected


def test_approval_poll_from_counters_and_the_notice_sentence() -> None:
    spec = PollSpec(PollKind.SECRET, PollType.APPROVAL, quorum=QuorumRule.MORE_THAN_HALF_OF_MEMBERS)
    result = tally_counts(
        spec,
        {"approve": 444, "reject": 2, "abstain": 1},
        ballots_cast=447,
        blank_ballots=0,
        members_total=485,
        present_total=460,
    )
    assert result.passed and result.sentence_vi() == "444/447 tán thành (91,55% tổng số)"


@pytest.mark.parametrize(
    ("votes", "cast", "blank"),
    [
        ({"c9": 1}, 1, 0),  # not an option
        ({"c1": -1}, 1, 0),  # negative
        ({"c1": 3}, 2, 0),  # more votes for one candidate than ballots
        ({"c1": 1}, 1, 1),  # the only ballot was blank
        ({"c1": 2, "c2": 2, "c3": 1}, 2, 0),  # more choices than two ballots of two can hold
        ({}, 2, 3),  # more blank ballots than ballots
    ],
)
def test_numbers_that_cannot_be_true_are_refused(votes: dict[str, int], cast: int, blank: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        tally_counts(
            election(2, MajorityRule.MORE_THAN_HALF_OF_MEMBERS),
            votes,
            ballots_cast=cast,
            blank_ballots=blank,
            members_total=10,
            present_total=10,
        )
    assert caught.value.code == "poll_counts_invalid"
