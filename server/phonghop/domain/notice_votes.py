"""A closed poll as a conclusion notice reports it.

Pure rules, no I/O: :func:`recorded_vote` turns a poll's result into the domain's
:class:`~phonghop.domain.notice.RecordedVote` (every option against the base of the poll's
majority rule, the rule in words, the outcome), or says why it cannot be reported;
:func:`recorded_votes` does it for a meeting's closed polls in agenda order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from phonghop.domain import notice as nd
from phonghop.domain.poll import MajorityBase, MajorityRule, OptionRole, PollOutcome, PollResult, PollType
from phonghop.domain.text import normalize


class ClosedPoll(Protocol):
    """A closed poll of the meeting: its title, its agenda item and its result."""

    @property
    def agenda_item_id(self) -> int | None: ...

    @property
    def title(self) -> str: ...

    @property
    def result(self) -> PollResult: ...


_RULE_WORDS = {
    MajorityRule.MORE_THAN_HALF_OF_MEMBERS: "quá nửa tổng số thành viên",
    MajorityRule.MORE_THAN_HALF_OF_PRESENT: "quá nửa số thành viên có mặt",
    MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS: "quá nửa số phiếu hợp lệ",
    MajorityRule.TWO_THIRDS_OF_MEMBERS: "ít nhất hai phần ba tổng số thành viên",
    MajorityRule.TWO_THIRDS_OF_PRESENT: "ít nhất hai phần ba số thành viên có mặt",
}


def rule_words(result: PollResult) -> str:
    """The poll's rule in words for "Đối chiếu quy định (…)": "quá nửa tổng số thành viên
    tán thành", "trúng cử khi được quá nửa tổng số thành viên bầu"; a poll without quorum
    says so."""
    words = _RULE_WORDS[result.spec.majority]
    approve = result.spec.option_of_role(OptionRole.APPROVE)
    if result.spec.type is PollType.ELECTION:
        rule = f"trúng cử khi được {words} bầu"
    elif approve is not None:
        rule = f"{words} {approve.label.lower()}"
    else:
        rule = f"phương án được {words} lựa chọn"
    if result.outcome is PollOutcome.NOT_VALID:
        rule += "; không đủ số thành viên có mặt theo quy định"
    return rule


def _election_subject(title: str) -> str:
    """ "Bầu Phó Bí thư Tỉnh ủy" → "Phó Bí thư Tỉnh ủy" (the sentence says "Kết quả bầu …")."""
    subject = normalize(title)
    for lead in ("bầu cử ", "bầu "):
        if subject.casefold().startswith(lead):
            return subject[len(lead) :].strip()
    return subject


def recorded_vote(title: str, result: PollResult) -> tuple[nd.RecordedVote | None, str]:
    """A closed poll as the notice reports it, or ``None`` and why not.

    Every option with its count, against the base of the poll's majority rule (members,
    members present or valid ballots) and its label ("tổng số", "số có mặt", "số phiếu
    hợp lệ"); passed as the poll decided. An election reports each candidate's ballots and
    who was elected (or tied for the last seat). Left out, with a reason: a base of zero,
    and a count above its base (which no percentage can state).
    """
    base = result.base_total
    if base < 1:
        return None, "base_empty"
    if any(c.votes > base for c in result.counts):
        return None, "count_exceeds_base"
    options = tuple(nd.VoteOption(c.option.label, c.votes) for c in result.counts)
    base_label = result.spec.majority.base.label_vi
    if result.spec.type is PollType.ELECTION:
        label = {c.option.id: c.option.label for c in result.counts}
        vote = nd.RecordedVote(
            subject=_election_subject(title),
            options=options,
            base_count=base,
            rule=rule_words(result),
            passed=result.passed,
            base_label=base_label,
            unit="phiếu",
            election=True,
            elected=tuple(label[i] for i in result.elected),
            tied=tuple(label[i] for i in result.tied),
        )
        return vote, ""
    subject = normalize(title)
    subject = "về" + subject[2:] if subject.casefold().startswith("về ") else f"về {subject}"
    vote = nd.RecordedVote(
        subject=subject,
        options=options,
        base_count=base,
        rule=rule_words(result),
        passed=result.passed,
        base_label=base_label,
        unit="phiếu" if result.spec.majority.base is MajorityBase.VALID_BALLOTS else "đồng chí",
    )
    return vote, ""


def recorded_votes(
    closed: Sequence[ClosedPoll], item_order: Mapping[int, int]
) -> tuple[tuple[nd.RecordedVote, ...], list[dict[str, Any]]]:
    """The reportable votes in agenda order (polls without an item last), and a warning
    for each poll left out."""
    ordered = sorted(
        enumerate(closed),
        key=lambda ip: (item_order.get(ip[1].agenda_item_id or -1, len(item_order)), ip[0]),
    )
    votes, warnings = [], []
    for _, poll in ordered:
        vote, reason = recorded_vote(poll.title, poll.result)
        if vote is None:
            warnings.append({"code": f"vote_omitted_{reason}", "params": {"poll": poll.title}})
        else:
            votes.append(vote)
    return tuple(votes), warnings
