"""A closed poll as the conclusion notice reports it: counts against the base of its
majority rule, the rule in words, the outcome; polls that cannot be reported are named."""

from __future__ import annotations

from phonghop.domain.notice import vote_sentence
from phonghop.domain.notice_votes import recorded_vote, recorded_votes
from phonghop.domain.poll import (
    Eligibility,
    MajorityRule,
    PollKind,
    PollOption,
    PollSpec,
    PollType,
    QuorumRule,
    tally,
)
from phonghop.services.polls import ClosedPollResult

APPROVAL = PollSpec(PollKind.OPEN, PollType.APPROVAL)


def test_a_passed_party_vote_against_all_members() -> None:
    result = tally(APPROVAL, [("approve",)] * 13 + [("reject",)] * 2, members_total=15, present_total=15)
    vote, reason = recorded_vote("Tờ trình kế hoạch năm 2027", result)
    assert vote is not None and reason == ""
    assert [(o.label, o.count) for o in vote.options] == [
        ("Tán thành", 13),
        ("Không tán thành", 2),
        ("Không biểu quyết", 0),
    ]
    assert (vote.base_count, vote.base_label, vote.unit, vote.passed) == (15, "tổng số", "đồng chí", True)
    assert vote_sentence(vote) == (
        "Kết quả biểu quyết về Tờ trình kế hoạch năm 2027: 13/15 đồng chí tán thành (86,67% tổng số), "
        "2/15 đồng chí không tán thành (13,33% tổng số). "
        "Đối chiếu quy định (quá nửa tổng số thành viên tán thành), nội dung được thông qua."
    )


def test_a_failed_vote_counts_absent_members_against_it() -> None:
    # 7 of the 10 present approve, but the base is all 15 members: 7 is not more than half.
    result = tally(APPROVAL, [("approve",)] * 7 + [("reject",)] * 3, members_total=15, present_total=10)
    vote, _ = recorded_vote("về Đề án số 2", result)
    assert vote is not None and not vote.passed
    assert vote.subject == "về Đề án số 2"
    assert vote_sentence(vote).endswith("nội dung không được thông qua.")
    assert "7/15 đồng chí tán thành (46,67% tổng số)" in vote_sentence(vote)


def test_state_wording_and_a_present_base() -> None:
    spec = PollSpec(PollKind.OPEN, PollType.APPROVAL_STATE, majority=MajorityRule.TWO_THIRDS_OF_PRESENT)
    result = tally(spec, [("agree",)] * 6 + [("blank",)] * 3, members_total=12, present_total=9)
    vote, _ = recorded_vote("Về dự án đường tỉnh 670", result)
    assert vote is not None and vote.passed
    assert vote.subject == "về dự án đường tỉnh 670"
    assert (vote.base_count, vote.base_label) == (9, "số có mặt")
    assert vote.rule == "ít nhất hai phần ba số thành viên có mặt đồng ý"
    assert [o.label for o in vote.options] == ["Đồng ý", "Không đồng ý", "Phiếu trắng"]


def test_valid_ballots_are_counted_as_ballots() -> None:
    spec = PollSpec(PollKind.SECRET, PollType.APPROVAL, majority=MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS)
    result = tally(spec, [("approve",)] * 5 + [("reject",)] * 4, members_total=15, present_total=9)
    vote, _ = recorded_vote("Đề án", result)
    assert vote is not None
    assert (vote.unit, vote.base_label, vote.base_count) == ("phiếu", "số phiếu hợp lệ", 9)
    assert vote.rule == "quá nửa số phiếu hợp lệ tán thành"
    assert "5/9 phiếu tán thành (55,56% số phiếu hợp lệ)" in vote_sentence(vote)


def test_a_poll_without_quorum_decides_nothing() -> None:
    spec = PollSpec(PollKind.OPEN, PollType.APPROVAL, quorum=QuorumRule.TWO_THIRDS_OF_MEMBERS)
    result = tally(spec, [("approve",)] * 8, members_total=15, present_total=8)
    vote, _ = recorded_vote("Đề án", result)
    assert vote is not None and not vote.passed
    assert vote.rule == ("quá nửa tổng số thành viên tán thành; không đủ số thành viên có mặt theo quy định")


def test_a_custom_poll_names_the_options() -> None:
    spec = PollSpec(
        PollKind.OPEN,
        PollType.CUSTOM,
        options=(PollOption("o1", "Phương án 1"), PollOption("o2", "Phương án 2")),
    )
    result = tally(spec, [("o1",)] * 3 + [("o2",)], members_total=4, present_total=4)
    vote, _ = recorded_vote("Lựa chọn địa điểm", result)
    assert vote is not None and vote.passed
    assert vote.rule == "phương án được quá nửa tổng số thành viên lựa chọn"
    assert [(o.label, o.count) for o in vote.options] == [("Phương án 1", 3), ("Phương án 2", 1)]


def test_an_election_names_the_candidates_and_who_was_elected() -> None:
    election = PollSpec(
        PollKind.SECRET,
        PollType.ELECTION,
        options=(PollOption("c1", "Nguyễn Văn A"), PollOption("c2", "Trần Văn B")),
    )
    result = tally(election, [("c1",)] * 3 + [("c2",)], members_total=4, present_total=4)
    vote, reason = recorded_vote("Bầu Phó Bí thư", result)
    assert vote is not None and reason == ""
    assert (vote.election, vote.elected, vote.tied) == (True, ("Nguyễn Văn A",), ())
    assert vote_sentence(vote) == (
        "Kết quả bầu Phó Bí thư: đồng chí Nguyễn Văn A 3/4 phiếu (75% tổng số), đồng chí Trần Văn B "
        "1/4 phiếu (25% tổng số). Đối chiếu quy định (trúng cử khi được quá nửa tổng số thành viên "
        "bầu), đồng chí Nguyễn Văn A trúng cử."
    )


def test_votes_that_cannot_be_reported() -> None:
    valid_base = PollSpec(
        PollKind.OPEN, PollType.APPROVAL, majority=MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS
    )
    assert recorded_vote("Đề án", tally(valid_base, [], members_total=4, present_total=4)) == (
        None,
        "base_empty",
    )
    # Online members vote but are not counted present: 3 approve against a base of 2 present.
    online = PollSpec(
        PollKind.OPEN,
        PollType.APPROVAL,
        eligibility=Eligibility.VOTING_MEMBERS,
        majority=MajorityRule.MORE_THAN_HALF_OF_PRESENT,
    )
    result = tally(online, [("approve",)] * 3, members_total=4, present_total=2)
    assert recorded_vote("Đề án", result) == (None, "count_exceeds_base")


def test_votes_follow_the_agenda_and_omitted_ones_are_named() -> None:
    passed = tally(APPROVAL, [("approve",)] * 3, members_total=4, present_total=4)
    failed = tally(APPROVAL, [("approve",)] + [("reject",)] * 3, members_total=4, present_total=4)
    election = PollSpec(PollKind.SECRET, PollType.ELECTION, options=(PollOption("c1", "Nguyễn Văn A"),))
    elected = tally(election, [("c1",)] * 4, members_total=4, present_total=4)
    closed = [
        ClosedPollResult(1, None, "Chủ trương chung", passed),
        ClosedPollResult(2, 20, "Nội dung thứ hai", failed),
        ClosedPollResult(3, 10, "Nội dung thứ nhất", passed),
        ClosedPollResult(4, 10, "Bầu bổ sung", elected),
    ]
    votes, warnings = recorded_votes(closed, {10: 0, 20: 1})
    assert [v.subject for v in votes] == [
        "về Nội dung thứ nhất",
        "bổ sung",
        "về Nội dung thứ hai",
        "về Chủ trương chung",
    ]
    assert [v.passed for v in votes] == [True, True, False, True]
    assert warnings == []
