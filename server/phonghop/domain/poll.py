"""Voting (biểu quyết): poll settings, ballot checks, the poll lifecycle and the count.

Pure rules, no I/O. The service layer asks these functions before it writes anything and
calls :func:`tally` when a poll closes.

Rules encoded here
==================

* A resolution of a Party leadership body is valid only when **more than half of all
  members of that body** approve (Điều lệ Đảng, Điều 9 khoản 5, as made concrete by
  Quy định 24-QĐ/TW of 30/7/2021, 9.3): the base is the membership of the body, not the
  attendance, so an absent member counts against the motion. Who counts as a member (9.3.1–9.3.3: members
  suspended, detained or excused for the whole congress are left out) is decided by the
  caller, which passes ``members_total``.
* Other bodies use other bases: members present, valid ballots, two thirds. The rule is a
  per-poll setting (:class:`MajorityRule`), never a global one.
* Arithmetic is on integers only. "More than half of N" is ``votes * 2 > N``; "at least two
  thirds of N" is ``votes * 3 >= 2 * N``. A base of zero, or zero votes, never meets a rule.
* Results are written against the base, e.g. "444/447 tán thành (91,55% tổng số)": 444
  votes for, 447 ballots cast, and 444 is 91,55% of the 485 members (the form the National
  Assembly reports in). Percentages are :class:`~decimal.Decimal` rounded
  half up to two places; they are for display only, decisions never use them.
* A ballot counts once, for up to ``max_choices`` options. Ballots are validated when cast;
  :func:`tally` still counts a ballot that fails validation as invalid (phiếu không hợp lệ)
  instead of trusting it. Every valid ballot, blank or abstaining included, is a valid
  ballot (phiếu hợp lệ) for the "of valid ballots" base.

Wording
=======

The Vietnamese words of the fixed options (Tán thành / Không tán thành / Không biểu quyết
for Party bodies, Đồng ý / Không đồng ý / Phiếu trắng for State bodies), the base labels
("tổng số", "số có mặt", "số phiếu hợp lệ") and :meth:`ResultLine.sentence_vi` are domain
wording: they are what the conclusion notice, an official Vietnamese document, must say.
What the tablets and the console show in either language comes from the translation files
(``locales/<lang>/polls.json``): ``poll.option.<id>``, ``poll.base.<base>``,
``poll.result_line``, ``poll.outcome.<outcome>`` and the names of the settings.

Secret ballots: what the storage layer must do
==============================================

A secret poll (bỏ phiếu kín) must not let anyone, an administrator reading the database
included, link a voter to a choice. ``services/polls.py`` describes how it is stored; the
rules it follows:

1. **No ballot rows.** The voter roll says who has voted and holds no choice; the ballot
   is added to per-option counts in the same transaction (:func:`tally_counts` counts a
   closed secret poll from them). There is no voter id, device, time or order to find in
   what is stored about the choices.
2. **One transaction.** A voter is never on the roll without their ballot counted, or the
   reverse.
3. **Transaction ids leak.** PostgreSQL stamps every row version with the transaction
   that wrote it (``xmin``, readable by a plain ``SELECT``): every ballot rewrites every
   count of its poll, so the stamps say "a ballot", never "this option"; the closing
   transaction rewrites the roll and the counts, and the old row versions are vacuumed.
   Write-ahead logs and backups taken while the poll was open still hold the history:
   that residual risk is stated in ``docs/architecture.md``.
4. **No change of a secret ballot.** Changing a ballot means finding it again, which is the
   link we refuse to keep: :class:`PollSpec` rejects ``allow_change`` for secret polls.
5. **No running counts.** Per-option counts of a secret poll are shown only once it is
   closed (:func:`may_show_counts`): watching a counter move as a known voter taps would
   reveal the choice. The number of ballots cast may be shown.

Open (named) polls have no such rules: the ballot row carries the voter id, and a changed
ballot replaces the voter's previous one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from phonghop.domain.text import normalize
from phonghop.errors import Conflict, InvalidInput, InvalidTransition, PermissionDenied

__all__ = [
    "ELECTION_MIN_CHOICES_DEFAULT",
    "Ballot",
    "Eligibility",
    "MajorityBase",
    "MajorityRule",
    "OptionCount",
    "OptionRole",
    "PollKind",
    "PollOption",
    "PollOutcome",
    "PollResult",
    "PollSpec",
    "PollState",
    "PollType",
    "QuorumRule",
    "ResultLine",
    "Voter",
    "check_can_cast",
    "check_can_open",
    "check_transition",
    "format_count",
    "format_percent",
    "may_show_counts",
    "percent_of",
    "standard_options",
    "tally",
    "tally_counts",
    "validate_choice",
]

Ballot = tuple[str, ...]
"""A ballot is the tuple of the option ids it chooses (empty for a blank election ballot)."""

ELECTION_MIN_CHOICES_DEFAULT = 0
"""An election ballot may cross out every candidate unless the poll sets ``min_choices=1``."""


# --------------------------------------------------------------------------- settings


class PollKind(StrEnum):
    """How members vote."""

    OPEN = "open"
    """Show of hands (giơ tay): named, each member's choice is on record."""
    SECRET = "secret"
    """Secret ballot (bỏ phiếu kín), used for elections of personnel."""


class PollType(StrEnum):
    """What a ballot chooses."""

    APPROVAL = "approval"
    """Party wording: Tán thành / Không tán thành / Không biểu quyết."""
    APPROVAL_STATE = "approval_state"
    """State wording: Đồng ý / Không đồng ý / Phiếu trắng."""
    CUSTOM = "custom"
    """Options written for this poll; a ballot chooses exactly one."""
    ELECTION = "election"
    """Candidates; a ballot chooses up to ``max_choices`` (the seats to fill)."""


class Eligibility(StrEnum):
    """Who may cast a ballot."""

    VOTING_MEMBERS = "voting_members"
    """Every member with a vote, present or not (e.g. taking part online)."""
    PRESENT_VOTING_MEMBERS = "present_voting_members"
    """Only members with a vote who are marked present at the roll call."""


class MajorityBase(StrEnum):
    """The number a majority rule is measured against."""

    MEMBERS = "members"
    """All members of the body (tổng số thành viên), absent ones included."""
    PRESENT = "present"
    """Members present (số thành viên có mặt)."""
    VALID_BALLOTS = "valid_ballots"
    """Valid ballots (số phiếu hợp lệ), blank and abstaining ones included."""

    @property
    def label_vi(self) -> str:
        """Domain wording after the percentage in a result sentence: "91,55% tổng số"."""
        return _BASE_LABELS_VI[self]

    @property
    def label_key(self) -> str:
        """Translation key of the label shown in the user interface."""
        return f"poll.base.{self.value}"


_BASE_LABELS_VI: Mapping[MajorityBase, str] = {
    MajorityBase.MEMBERS: "tổng số",
    MajorityBase.PRESENT: "số có mặt",
    MajorityBase.VALID_BALLOTS: "số phiếu hợp lệ",
}


@dataclass(frozen=True)
class _Threshold:
    """``count / total`` above (strict) or at least (not strict) ``numerator / denominator``."""

    numerator: int
    denominator: int
    strict: bool

    def is_met(self, count: int, total: int) -> bool:
        if count <= 0 or total <= 0:
            return False
        if self.strict:
            return count * self.denominator > self.numerator * total
        return count * self.denominator >= self.numerator * total

    def minimum(self, total: int) -> int:
        """The smallest count that meets the threshold (for ``total >= 1``)."""
        if self.strict:
            return self.numerator * total // self.denominator + 1
        return max(1, -(-self.numerator * total // self.denominator))


_MORE_THAN_HALF = _Threshold(1, 2, strict=True)
_TWO_THIRDS = _Threshold(2, 3, strict=False)


class MajorityRule(StrEnum):
    """What an option (or a candidate) needs to pass.

    ``MORE_THAN_HALF_OF_MEMBERS`` is the Party rule (quá nửa tổng số thành viên, Quy định
    24-QĐ/TW 9.3) and the default of :class:`PollSpec`.
    """

    MORE_THAN_HALF_OF_MEMBERS = "more_than_half_of_members"
    MORE_THAN_HALF_OF_PRESENT = "more_than_half_of_present"
    MORE_THAN_HALF_OF_VALID_BALLOTS = "more_than_half_of_valid_ballots"
    TWO_THIRDS_OF_MEMBERS = "two_thirds_of_members"
    TWO_THIRDS_OF_PRESENT = "two_thirds_of_present"

    @property
    def base(self) -> MajorityBase:
        return _MAJORITY_RULES[self][1]

    def is_met(self, votes: int, base_total: int) -> bool:
        """``votes * 2 > base_total`` (more than half) or ``votes * 3 >= 2 * base_total``
        (at least two thirds); never met with no votes or an empty base."""
        return _MAJORITY_RULES[self][0].is_met(votes, base_total)

    def votes_needed(self, base_total: int) -> int:
        """The fewest votes that meet the rule for a base of ``base_total`` (at least 1)."""
        return _MAJORITY_RULES[self][0].minimum(base_total)


_MAJORITY_RULES: Mapping[MajorityRule, tuple[_Threshold, MajorityBase]] = {
    MajorityRule.MORE_THAN_HALF_OF_MEMBERS: (_MORE_THAN_HALF, MajorityBase.MEMBERS),
    MajorityRule.MORE_THAN_HALF_OF_PRESENT: (_MORE_THAN_HALF, MajorityBase.PRESENT),
    MajorityRule.MORE_THAN_HALF_OF_VALID_BALLOTS: (_MORE_THAN_HALF, MajorityBase.VALID_BALLOTS),
    MajorityRule.TWO_THIRDS_OF_MEMBERS: (_TWO_THIRDS, MajorityBase.MEMBERS),
    MajorityRule.TWO_THIRDS_OF_PRESENT: (_TWO_THIRDS, MajorityBase.PRESENT),
}


class QuorumRule(StrEnum):
    """How many members must be present for a poll to be valid (a body's own rules).

    A poll closed without quorum is reported as not valid (:attr:`PollOutcome.NOT_VALID`);
    with :attr:`PollSpec.require_quorum_to_open` it cannot even be opened.
    """

    NONE = "none"
    MORE_THAN_HALF_OF_MEMBERS = "more_than_half_of_members"
    TWO_THIRDS_OF_MEMBERS = "two_thirds_of_members"

    def is_met(self, present_total: int, members_total: int) -> bool:
        threshold = _QUORUM_RULES[self]
        return threshold is None or threshold.is_met(present_total, members_total)

    def minimum_present(self, members_total: int) -> int:
        """The fewest members present that meet the rule (0 for :attr:`NONE`)."""
        threshold = _QUORUM_RULES[self]
        return 0 if threshold is None else threshold.minimum(members_total)


_QUORUM_RULES: Mapping[QuorumRule, _Threshold | None] = {
    QuorumRule.NONE: None,
    QuorumRule.MORE_THAN_HALF_OF_MEMBERS: _MORE_THAN_HALF,
    QuorumRule.TWO_THIRDS_OF_MEMBERS: _TWO_THIRDS,
}


# --------------------------------------------------------------------------- options


class OptionRole(StrEnum):
    """What an option means for the outcome."""

    APPROVE = "approve"
    REJECT = "reject"
    ABSTAIN = "abstain"
    CHOICE = "choice"
    """An option of a custom poll or a candidate of an election."""


@dataclass(frozen=True)
class PollOption:
    """One option or candidate. ``id`` is stable and short; ``label`` is NFC Vietnamese.

    ``label_key`` names the translation of a fixed option (``poll.option.approve``...);
    it is ``None`` for labels written by people (custom options, candidates' names).
    """

    id: str
    label: str
    role: OptionRole = OptionRole.CHOICE
    label_key: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", normalize(self.label))
        if not self.id.strip() or self.id != self.id.strip() or not self.label:
            raise InvalidInput("poll_option_invalid", option_id=self.id)


def _fixed(option_id: str, label: str, role: OptionRole) -> PollOption:
    return PollOption(option_id, label, role, label_key=f"poll.option.{option_id}")


_STANDARD_OPTIONS: Mapping[PollType, tuple[PollOption, ...]] = {
    PollType.APPROVAL: (
        _fixed("approve", "Tán thành", OptionRole.APPROVE),
        _fixed("reject", "Không tán thành", OptionRole.REJECT),
        _fixed("abstain", "Không biểu quyết", OptionRole.ABSTAIN),
    ),
    PollType.APPROVAL_STATE: (
        _fixed("agree", "Đồng ý", OptionRole.APPROVE),
        _fixed("disagree", "Không đồng ý", OptionRole.REJECT),
        _fixed("blank", "Phiếu trắng", OptionRole.ABSTAIN),
    ),
}


# A custom poll may offer an abstain option ("Không biểu quyết"); it never wins.
_ROLES_BY_TYPE: Mapping[PollType, frozenset[OptionRole]] = {
    PollType.CUSTOM: frozenset({OptionRole.CHOICE, OptionRole.ABSTAIN}),
    PollType.ELECTION: frozenset({OptionRole.CHOICE}),
}


def standard_options(poll_type: PollType) -> tuple[PollOption, ...]:
    """The fixed options of an approval poll, in ballot order; ``()`` for other types."""
    return _STANDARD_OPTIONS.get(poll_type, ())


@dataclass(frozen=True)
class PollSpec:
    """The settings of one poll, checked when built.

    For the two approval types leave ``options`` empty: the fixed options are filled in
    (options read back from storage must equal them). A custom poll needs at least two
    options (of role ``CHOICE``, or ``ABSTAIN`` for a "Không biểu quyết" option that can
    never win) and a ballot chooses exactly one. An election needs at least one candidate; a
    ballot chooses between ``min_choices`` (0 or 1 in practice, 0 by default: a ballot may
    cross out every name) and ``max_choices`` candidates, and ``max_choices`` is the number
    of seats to fill.

    Raises :class:`~phonghop.errors.InvalidInput` with ``poll_options_missing``,
    ``poll_options_fixed``, ``poll_option_invalid``, ``poll_option_duplicate``,
    ``poll_max_choices_invalid``, ``poll_min_choices_invalid``,
    ``poll_secret_change_not_allowed`` or ``poll_invalid`` (with a ``reason``).
    """

    kind: PollKind
    type: PollType
    options: tuple[PollOption, ...] = ()
    max_choices: int = 1
    min_choices: int | None = None
    """``None`` means the type's default (see :attr:`required_choices`)."""
    eligibility: Eligibility = Eligibility.PRESENT_VOTING_MEMBERS
    majority: MajorityRule = MajorityRule.MORE_THAN_HALF_OF_MEMBERS
    quorum: QuorumRule = QuorumRule.NONE
    require_quorum_to_open: bool = False
    """Refuse to open the poll while the quorum is not met (see :func:`check_can_open`)."""
    allow_change: bool = False
    """A member may cast again, replacing the ballot, until the poll closes (open polls only)."""
    keep_minority_opinion: bool = False
    """The minority opinion is kept on record with the result (bảo lưu ý kiến thiểu số)."""

    def __post_init__(self) -> None:
        if self.type in _STANDARD_OPTIONS:
            fixed = _STANDARD_OPTIONS[self.type]
            if not self.options:
                object.__setattr__(self, "options", fixed)
            elif self.options != fixed:
                raise InvalidInput("poll_options_fixed", poll_type=self.type.value)
        minimum_options = 1 if self.type is PollType.ELECTION else 2
        if len(self.options) < minimum_options:
            raise InvalidInput("poll_options_missing", minimum=minimum_options)
        ids: set[str] = set()
        allowed_roles = _ROLES_BY_TYPE.get(self.type)
        for option in self.options:
            if option.id in ids:
                raise InvalidInput("poll_option_duplicate", option_id=option.id)
            ids.add(option.id)
            if allowed_roles is not None and option.role not in allowed_roles:
                raise InvalidInput("poll_option_invalid", option_id=option.id, role=option.role.value)

        if self.type is PollType.ELECTION:
            if not 1 <= self.max_choices <= len(self.options):
                raise InvalidInput(
                    "poll_max_choices_invalid", max_choices=self.max_choices, maximum=len(self.options)
                )
            if self.min_choices is not None and not 0 <= self.min_choices <= self.max_choices:
                raise InvalidInput(
                    "poll_min_choices_invalid", min_choices=self.min_choices, maximum=self.max_choices
                )
        else:
            if self.max_choices != 1:
                raise InvalidInput("poll_max_choices_invalid", max_choices=self.max_choices, maximum=1)
            if self.min_choices not in (None, 1):
                raise InvalidInput("poll_min_choices_invalid", min_choices=self.min_choices, maximum=1)

        if self.kind is PollKind.SECRET and self.allow_change:
            raise InvalidInput("poll_secret_change_not_allowed")
        if self.require_quorum_to_open and self.quorum is QuorumRule.NONE:
            raise InvalidInput("poll_invalid", reason="quorum_required_without_rule")

    @property
    def seats(self) -> int:
        """How many options a poll can decide: the seats of an election, otherwise 1."""
        return self.max_choices

    @property
    def required_choices(self) -> int:
        """The fewest options a ballot must choose: ``min_choices``, or by default 1, and
        :data:`ELECTION_MIN_CHOICES_DEFAULT` for an election."""
        if self.min_choices is not None:
            return self.min_choices
        return ELECTION_MIN_CHOICES_DEFAULT if self.type is PollType.ELECTION else 1

    def option(self, option_id: str) -> PollOption:
        """The option with this id; :class:`KeyError` if there is none."""
        for option in self.options:
            if option.id == option_id:
                return option
        raise KeyError(option_id)

    def option_of_role(self, role: OptionRole) -> PollOption | None:
        return next((o for o in self.options if o.role is role), None)


# --------------------------------------------------------------------------- ballots


def _choice_error(spec: PollSpec, choice: Ballot) -> InvalidInput | None:
    ids = {o.id for o in spec.options}
    for option_id in choice:
        if option_id not in ids:
            return InvalidInput("ballot_choice_invalid", option_id=option_id)
    if len(set(choice)) != len(choice):
        return InvalidInput("ballot_duplicate_choice")
    if len(choice) > spec.max_choices:
        return InvalidInput("ballot_too_many_choices", maximum=spec.max_choices)
    if len(choice) < spec.required_choices:
        return InvalidInput("ballot_too_few_choices", minimum=spec.required_choices)
    return None


def validate_choice(spec: PollSpec, choice: Ballot) -> Ballot:
    """Check a ballot and return it in canonical form: its options in the poll's order.

    Store the canonical form, never the order in which the options were tapped (for a
    secret ballot that order could single a voter out).

    Raises :class:`~phonghop.errors.InvalidInput` with ``ballot_choice_invalid`` (an id
    that is not an option of this poll), ``ballot_duplicate_choice``,
    ``ballot_too_many_choices`` (``maximum``) or ``ballot_too_few_choices`` (``minimum``),
    checked in that order.
    """
    error = _choice_error(spec, choice)
    if error is not None:
        raise error
    chosen = set(choice)
    return tuple(o.id for o in spec.options if o.id in chosen)


# --------------------------------------------------------------------------- lifecycle


class PollState(StrEnum):
    """DRAFT -> OPEN -> CLOSED; DRAFT or OPEN -> CANCELLED. CLOSED and CANCELLED are final."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


_TRANSITIONS: Mapping[PollState, frozenset[PollState]] = {
    PollState.DRAFT: frozenset({PollState.OPEN, PollState.CANCELLED}),
    PollState.OPEN: frozenset({PollState.CLOSED, PollState.CANCELLED}),
    PollState.CLOSED: frozenset(),
    PollState.CANCELLED: frozenset(),
}


def check_transition(current: PollState, target: PollState) -> PollState:
    """Return ``target`` if a poll may go there from ``current``.

    Raises :class:`~phonghop.errors.InvalidTransition` ``poll_transition_invalid`` with
    ``from_state`` and ``to_state`` otherwise.
    """
    if target not in _TRANSITIONS[current]:
        raise InvalidTransition("poll_transition_invalid", from_state=current.value, to_state=target.value)
    return target


def check_can_open(spec: PollSpec, state: PollState, *, members_total: int, present_total: int) -> None:
    """Whether the poll may be opened now.

    Raises ``poll_transition_invalid`` unless it is a draft, and, when the spec sets
    ``require_quorum_to_open``, :class:`~phonghop.errors.Conflict` ``poll_quorum_not_met``
    (with ``present`` and ``required``) while too few members are present.
    """
    check_transition(state, PollState.OPEN)
    if spec.require_quorum_to_open and not spec.quorum.is_met(present_total, members_total):
        raise Conflict(
            "poll_quorum_not_met", present=present_total, required=spec.quorum.minimum_present(members_total)
        )


@dataclass(frozen=True)
class Voter:
    """What the poll needs to know about the member trying to vote.

    ``is_voting_member``: a member of the body with a vote (not a guest, not an observer).
    ``has_vote_right``: not barred from this item (e.g. a member who steps aside on a
    matter that concerns them, or one suspended from party activity).
    """

    is_voting_member: bool
    is_present: bool
    has_vote_right: bool = True


def check_can_cast(spec: PollSpec, state: PollState, voter: Voter, already_cast: bool) -> None:
    """Whether this voter may cast a ballot now (or replace theirs).

    Raises, in this order: :class:`~phonghop.errors.InvalidTransition` ``poll_not_open``
    (with ``state``) unless the poll is open, so ballots after close are refused;
    :class:`~phonghop.errors.PermissionDenied` ``poll_not_eligible`` (with ``reason``:
    ``not_voting_member``, ``no_vote_right`` or ``not_present``);
    :class:`~phonghop.errors.Conflict` ``ballot_already_cast`` when the voter has a ballot
    and the poll does not allow change.
    """
    if state is not PollState.OPEN:
        raise InvalidTransition("poll_not_open", state=state.value)
    if not voter.is_voting_member:
        raise PermissionDenied("poll_not_eligible", reason="not_voting_member")
    if not voter.has_vote_right:
        raise PermissionDenied("poll_not_eligible", reason="no_vote_right")
    if spec.eligibility is Eligibility.PRESENT_VOTING_MEMBERS and not voter.is_present:
        raise PermissionDenied("poll_not_eligible", reason="not_present")
    if already_cast and not spec.allow_change:
        raise Conflict("ballot_already_cast")


def may_show_counts(spec: PollSpec, state: PollState) -> bool:
    """Whether per-option counts may be shown: at any time for a show of hands, only
    once closed for a secret ballot (see the module notes). The number of ballots cast
    may always be shown."""
    return spec.kind is PollKind.OPEN or state is PollState.CLOSED


# --------------------------------------------------------------------------- counting


def percent_of(votes: int, total: int) -> Decimal:
    """``votes / total`` as a percentage rounded half up to two places, computed on integers.

    ``Decimal("0.00")`` when ``total`` is 0.
    """
    if total <= 0:
        return Decimal("0.00")
    hundredths = (2 * votes * 10_000 + total) // (2 * total)
    return Decimal(hundredths).scaleb(-2)


def format_count(value: int, lang: str = "vi") -> str:
    """A whole number with thousands grouped: "1.586" in Vietnamese, "1,586" in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def format_percent(value: Decimal, lang: str = "vi") -> str:
    """A percentage with two decimals: "91,55%" in Vietnamese, "91.55%" in English."""
    text = f"{value:,.2f}"
    if lang == "vi":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text + "%"


class PollOutcome(StrEnum):
    """What a closed poll decided. Labels: ``poll.outcome.<value>``."""

    PASSED = "passed"
    """Approval poll: the approve option met the majority rule."""
    NOT_PASSED = "not_passed"
    CHOSEN = "chosen"
    """Custom poll: one option met the majority rule."""
    NO_MAJORITY = "no_majority"
    ELECTED = "elected"
    """Election: every seat is filled."""
    SEATS_UNFILLED = "seats_unfilled"
    """Election: fewer candidates than seats met the majority rule (those who did are elected)."""
    TIE_AT_CUTOFF = "tie_at_cutoff"
    """Candidates meeting the rule tie for the last seat(s): a new round is needed for them."""
    NOT_VALID = "not_valid"
    """The quorum was not met: the counts are reported but decide nothing."""


_DECIDING = frozenset({PollOutcome.PASSED, PollOutcome.CHOSEN, PollOutcome.ELECTED})


@dataclass(frozen=True)
class OptionCount:
    option: PollOption
    votes: int
    percent: Decimal
    """Of the majority rule's base."""
    meets_majority: bool


@dataclass(frozen=True)
class ResultLine:
    """One option's result, the material of a result sentence."""

    option: PollOption
    votes: int
    ballots_cast: int
    base: MajorityBase
    base_total: int
    percent: Decimal

    def sentence_vi(self) -> str:
        """Domain wording for the conclusion notice.

        Fixed options: "444/447 tán thành (91,55% tổng số)". People's names and custom
        options keep their capitals and come first: "Nguyễn Văn A: 40/50 (80,00% số phiếu
        hợp lệ)".
        """
        fraction = f"{format_count(self.votes)}/{format_count(self.ballots_cast)}"
        share = f"({format_percent(self.percent)} {self.base.label_vi})"
        if self.option.label_key is not None:
            return f"{fraction} {self.option.label.lower()} {share}"
        return f"{self.option.label}: {fraction} {share}"

    def params(self, lang: str = "vi") -> dict[str, str]:
        """Numbers formatted for ``lang`` for the UI template ``poll.result_line``; the
        caller adds ``option`` (``label_key`` translated, or ``label``) and ``base``
        (``base.label_key`` translated)."""
        return {
            "votes": format_count(self.votes, lang),
            "ballots_cast": format_count(self.ballots_cast, lang),
            "percent": format_percent(self.percent, lang),
        }


@dataclass(frozen=True)
class PollResult:
    """The count of a poll. Build it with :func:`tally`."""

    spec: PollSpec
    members_total: int
    present_total: int
    ballots_cast: int
    valid_ballots: int
    invalid_ballots: int
    blank_ballots: int
    """Valid ballots choosing nothing (an election ballot crossing out every name)."""
    counts: tuple[OptionCount, ...]
    """One per option, in the poll's order."""
    base_total: int
    """The number the majority rule is measured against (members, present or valid ballots)."""
    quorum_met: bool
    outcome: PollOutcome
    decided: tuple[str, ...]
    """Ids of what the poll decided: the approve option, the chosen option, or the elected
    candidates ranked by votes. Empty when nothing was decided."""
    tied: tuple[str, ...]
    """Candidates (or options) meeting the rule and tied for the last seat(s)."""

    @property
    def passed(self) -> bool:
        """The poll decided what it was for: motion approved, option chosen, all seats filled."""
        return self.outcome in _DECIDING

    @property
    def valid(self) -> bool:
        """False when the quorum was not met (the result is then "not valid")."""
        return self.quorum_met

    @property
    def tie_at_cutoff(self) -> bool:
        return bool(self.tied)

    @property
    def elected(self) -> tuple[str, ...]:
        """The elected candidates ranked by votes (elections only, else empty)."""
        return self.decided if self.spec.type is PollType.ELECTION else ()

    @property
    def seats_unfilled(self) -> int:
        return self.spec.seats - len(self.elected) if self.spec.type is PollType.ELECTION else 0

    @property
    def abstentions(self) -> int:
        """Ballots for the abstain option (Không biểu quyết / Phiếu trắng) plus blank ballots."""
        abstain = self.spec.option_of_role(OptionRole.ABSTAIN)
        return self.blank_ballots + (self.votes(abstain.id) if abstain is not None else 0)

    @property
    def not_cast(self) -> int:
        """Eligible members who did not vote (members, or members present, per eligibility)."""
        eligible = (
            self.members_total if self.spec.eligibility is Eligibility.VOTING_MEMBERS else self.present_total
        )
        return max(0, eligible - self.ballots_cast)

    def count(self, option_id: str) -> OptionCount:
        for item in self.counts:
            if item.option.id == option_id:
                return item
        raise KeyError(option_id)

    def votes(self, option_id: str) -> int:
        return self.count(option_id).votes

    def line(self, option_id: str | None = None) -> ResultLine:
        """The result of one option; for approval polls the approve option by default."""
        if option_id is None:
            approve = self.spec.option_of_role(OptionRole.APPROVE)
            if approve is None:
                raise ValueError("option_id is required for custom polls and elections")
            option_id = approve.id
        item = self.count(option_id)
        return ResultLine(
            option=item.option,
            votes=item.votes,
            ballots_cast=self.ballots_cast,
            base=self.spec.majority.base,
            base_total=self.base_total,
            percent=item.percent,
        )

    def sentence_vi(self, option_id: str | None = None) -> str:
        """:meth:`ResultLine.sentence_vi` of :meth:`line`: "444/447 tán thành (91,55% tổng số)"."""
        return self.line(option_id).sentence_vi()


def _rank(counts: tuple[OptionCount, ...], seats: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Winners among the options meeting the rule, and the ones tied at the cut-off.

    Qualifying options (those meeting the rule, abstain options left out) are ranked by
    votes (ties keep the poll's order). If more qualify
    than there are seats and the last seat's votes are shared with the first one left out,
    every option with those votes is tied and none of them wins.
    """
    qualified = sorted(
        (c for c in counts if c.meets_majority and c.option.role is OptionRole.CHOICE), key=lambda c: -c.votes
    )
    if len(qualified) <= seats:
        return tuple(c.option.id for c in qualified), ()
    cutoff = qualified[seats - 1].votes
    if qualified[seats].votes != cutoff:
        return tuple(c.option.id for c in qualified[:seats]), ()
    winners = tuple(c.option.id for c in qualified if c.votes > cutoff)
    tied = tuple(c.option.id for c in qualified if c.votes == cutoff)
    return winners, tied


def tally(spec: PollSpec, ballots: Iterable[Ballot], *, members_total: int, present_total: int) -> PollResult:
    """Count the ballots of a closed poll.

    ``members_total``: members of the body with a vote, as the body's rules count them
    (Quy định 24-QĐ/TW 9.3.1–9.3.3); ``present_total``: those of them present when the
    poll closed. A ballot failing :func:`validate_choice` is counted as invalid, not
    raised. Raises :class:`~phonghop.errors.InvalidInput` ``poll_counts_invalid`` when
    the numbers cannot be true (negative, more present than members, more ballots than
    members).

    Decisions: an approval poll passes when its approve option meets the majority rule; a
    custom poll chooses the option meeting it; an election elects the candidates meeting
    it, best first, up to the number of seats, and reports a tie for the last seat instead
    of choosing (see :attr:`PollOutcome.TIE_AT_CUTOFF`). Without quorum nothing is decided.
    """
    votes = {o.id: 0 for o in spec.options}
    cast = valid = blank = 0
    for ballot in ballots:
        cast += 1
        if _choice_error(spec, ballot) is not None:
            continue
        valid += 1
        if not ballot:
            blank += 1
        for option_id in ballot:
            votes[option_id] += 1
    return tally_counts(
        spec,
        votes,
        ballots_cast=cast,
        invalid_ballots=cast - valid,
        blank_ballots=blank,
        members_total=members_total,
        present_total=present_total,
    )


def tally_counts(
    spec: PollSpec,
    votes: Mapping[str, int],
    *,
    ballots_cast: int,
    blank_ballots: int,
    members_total: int,
    present_total: int,
    invalid_ballots: int = 0,
) -> PollResult:
    """:func:`tally` from counts instead of ballots: what a secret poll keeps.

    A secret poll stores no ballot, only how many times each option was chosen (``votes``,
    option id -> count; a missing option counts 0), how many ballots were cast and how
    many of those chose nothing (``blank_ballots``). Ballots were validated when cast, so
    ``invalid_ballots`` is normally 0. The decision rules are those of :func:`tally`.
    Raises ``poll_counts_invalid`` for numbers that cannot be true, as :func:`tally` does,
    and also for an unknown option, a negative count, or more choices than the valid
    ballots could hold.
    """
    cast, invalid, blank = ballots_cast, invalid_ballots, blank_ballots
    valid = cast - invalid
    unknown = set(votes) - {o.id for o in spec.options}
    if (
        members_total < 0
        or not 0 <= present_total <= members_total
        or cast > members_total
        or min(cast, invalid, blank, valid - blank, *votes.values(), 0) < 0
        or unknown
        or any(v > valid - blank for v in votes.values())
        or sum(votes.values()) > (valid - blank) * spec.max_choices
    ):
        raise InvalidInput(
            "poll_counts_invalid", members_total=members_total, present_total=present_total, ballots_cast=cast
        )
    votes = {o.id: votes.get(o.id, 0) for o in spec.options}

    base_kind = spec.majority.base
    base_total = {
        MajorityBase.MEMBERS: members_total,
        MajorityBase.PRESENT: present_total,
        MajorityBase.VALID_BALLOTS: valid,
    }[base_kind]
    counts = tuple(
        OptionCount(
            option=o,
            votes=votes[o.id],
            percent=percent_of(votes[o.id], base_total),
            meets_majority=spec.majority.is_met(votes[o.id], base_total),
        )
        for o in spec.options
    )
    quorum_met = spec.quorum.is_met(present_total, members_total)

    decided: tuple[str, ...] = ()
    tied: tuple[str, ...] = ()
    if not quorum_met:
        outcome = PollOutcome.NOT_VALID
    elif spec.type in _STANDARD_OPTIONS:
        approve = next(c for c in counts if c.option.role is OptionRole.APPROVE)
        if approve.meets_majority:
            outcome, decided = PollOutcome.PASSED, (approve.option.id,)
        else:
            outcome = PollOutcome.NOT_PASSED
    else:
        decided, tied = _rank(counts, spec.seats)
        if tied:
            outcome = PollOutcome.TIE_AT_CUTOFF
        elif spec.type is PollType.CUSTOM:
            outcome = PollOutcome.CHOSEN if decided else PollOutcome.NO_MAJORITY
        else:
            outcome = PollOutcome.ELECTED if len(decided) == spec.seats else PollOutcome.SEATS_UNFILLED

    return PollResult(
        spec=spec,
        members_total=members_total,
        present_total=present_total,
        ballots_cast=cast,
        valid_ballots=valid,
        invalid_ballots=cast - valid,
        blank_ballots=blank,
        counts=counts,
        base_total=base_total,
        quorum_met=quorum_met,
        outcome=outcome,
        decided=decided,
        tied=tied,
    )
