"""Conclusion notice (thông báo kết luận): from a meeting record to an editable draft.

Pure rules, no I/O: the record of a meeting (:class:`MeetingRecord`), the issuing body
(:class:`IssuingBody`) and its layout settings (:class:`NoticeSettings`) go in;
:func:`draft_notice` gives a :class:`NoticeDraft`, the structured fields the office edits
before the notice is laid out (``phonghop.notices``) and signed.

Two formats exist and the issuing body's settings choose one (the project's domain notes,
"Conclusion notice"):

* **Party** (Hướng dẫn 36-HD/VPTW): "Số 127-TB/TU" without a colon, authorities written
  with a slash ("T/M", "K/T", "T/L"), recipients ending with "- Lưu Văn phòng Tỉnh ủy.".
* **State** (Nghị định 30/2020/NĐ-CP, Mẫu 1.4): "Số: 05/TB-UBND" with a colon, authorities
  with a dot ("TM.", "KT.", "TL.", "TUQ."), recipients ending with "- Lưu: VT, TH.".

The wording of the notice itself is Vietnamese whatever the reader's interface language:
it is the content of an official document, not interface text, so it lives here and not
in the translation files. Every string this module composes is in Unicode NFC.

Sizes are in points, lengths in millimetres. The guidance changes (Quy định 399-QĐ/TW of
09/01/2026 replaced 66-QĐ/TW, a newer 05-HD/VPTW is reported), so every size, margin and
customary choice is a setting with per-format defaults, validated against a sane range
rather than today's exact figures.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin, get_type_hints

from phonghop.errors import InvalidInput

__all__ = [
    "Absentee",
    "AgendaItem",
    "Attendance",
    "Authority",
    "AuthorityLine",
    "Concluder",
    "ConclusionPoint",
    "IssuingBody",
    "MeetingRecord",
    "NoticeDraft",
    "NoticeFormat",
    "NoticeSettings",
    "NumberedPoint",
    "OpeningPattern",
    "PageNumbers",
    "Person",
    "RecordedVote",
    "SignatureBlock",
    "Submission",
    "SummaryUnderline",
    "VoteOption",
    "authority_prefix",
    "code_notation",
    "draft_notice",
    "format_count",
    "format_number",
    "format_percent",
    "format_place_date",
    "format_point",
    "format_short_date",
    "format_vn_date",
    "heading_subject",
    "issue_notice",
    "numbering_sequence",
    "vote_sentence",
]

#: Width of the blank left for the number until the notice is issued ("Số     -TB/TU").
NUMBER_GAP = " " * 5


def _nfc(text: str) -> str:
    """NFC with runs of white space folded to one space (one-line text)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# --------------------------------------------------------------------------- formats


class NoticeFormat(Enum):
    """Which guidance the notice follows; a setting of the issuing body."""

    PARTY = "party"
    STATE = "state"


class OpeningPattern(Enum):
    """How the first paragraph is worded (a setting, both forms are in use).

    ``MEETING``: "Ngày …, [body] tổ chức họp … dưới sự chủ trì của đồng chí …, [chức vụ].
    Tham dự có … Sau khi nghe … báo cáo và ý kiến thảo luận của các đồng chí dự họp, [body]
    thống nhất kết luận như sau:".
    ``SESSION`` (the central form): "Tại phiên họp ngày …, xem xét đề nghị của … (Tờ trình
    số …, ngày …), [body] kết luận như sau:".
    """

    MEETING = "meeting"
    SESSION = "session"


class Concluder(Enum):
    """Who concluded, which decides the opening's last clause and the trích yếu.

    ``COLLECTIVE``: the body in session ("Ban Thường vụ Tỉnh ủy thống nhất kết luận như
    sau:"), the Party default. ``PRESIDING``: the leader who presided ("đồng chí Nguyễn
    Văn Hùng - Chủ tịch UBND tỉnh kết luận:"), the State default (most UBND notices).
    """

    COLLECTIVE = "collective"
    PRESIDING = "presiding"


class PageNumbers(Enum):
    """Page numbers sit top centre; the rule is "from page 2", the others are choices."""

    FROM_PAGE_2 = "from_page_2"
    ALL = "all"
    NONE = "none"


class SummaryUnderline(Enum):
    """What goes under the summary line (trích yếu).

    State: a short solid rule, 1/3 to 1/2 of the line (NĐ 30/2020). Party: DOMAIN.md names
    nothing; five hyphens ("-----") are seen in Party practice, so they are a choice.
    """

    NONE = "none"
    RULE = "rule"
    DASHES = "dashes"


class Authority(Enum):
    """Who the signer signs for: the prefix of a signature line.

    Party writes it with a slash ("T/M", "K/T", "T/L"), State with a dot ("TM.", "KT.",
    "TL.", "TUQ."). "TUQ." (signing under a delegation) exists only in the State format.
    """

    ON_BEHALF = "on_behalf"  # thay mặt: T/M, TM.
    DEPUTY = "deputy"  # ký thay: K/T, KT.
    BY_ORDER = "by_order"  # thừa lệnh: T/L, TL.
    DELEGATED = "delegated"  # thừa ủy quyền: TUQ. (State only)


_AUTHORITY_PREFIX: dict[NoticeFormat, dict[Authority, str]] = {
    NoticeFormat.PARTY: {Authority.ON_BEHALF: "T/M", Authority.DEPUTY: "K/T", Authority.BY_ORDER: "T/L"},
    NoticeFormat.STATE: {
        Authority.ON_BEHALF: "TM.",
        Authority.DEPUTY: "KT.",
        Authority.BY_ORDER: "TL.",
        Authority.DELEGATED: "TUQ.",
    },
}


def authority_prefix(fmt: NoticeFormat, authority: Authority) -> str:
    """ "T/M" or "TM.": the Party slash never appears in a State notice and vice versa."""
    try:
        return _AUTHORITY_PREFIX[fmt][authority]
    except KeyError:
        raise InvalidInput("notice_authority_invalid", authority=authority.value, format=fmt.value) from None


# --------------------------------------------------------------------------- dates, numbers


def _day_month(d: date) -> tuple[str, str]:
    """Day below 10 and the months January and February take a leading zero, others not."""
    return f"{d.day:02d}", (f"{d.month:02d}" if d.month <= 2 else str(d.month))


def format_vn_date(d: date) -> str:
    """ "ngày 05 tháng 3 năm 2026", "ngày 20 tháng 02 năm 2026", "ngày 09 tháng 01 năm 2026"."""
    day, month = _day_month(d)
    return f"ngày {day} tháng {month} năm {d.year}"


def format_short_date(d: date) -> str:
    """A date inside the body: "15/7/2025", "05/3/2026", "09/01/2026" (same zero rule)."""
    day, month = _day_month(d)
    return f"{day}/{month}/{d.year}"


def format_place_date(place: str, d: date) -> str:
    """The place and date line under the national title: "Gia Lai, ngày 20 tháng 02 năm 2026"."""
    return _nfc(f"{place}, {format_vn_date(d)}")


def format_number(fmt: NoticeFormat, number: int | None, symbol: str) -> str:
    """The number and symbol line.

    Party: "Số 127-TB/TU", "Số 06-TB/TU" (no colon after "Số"). State: "Số: 05/TB-UBND"
    (colon). Below 10 a leading zero; thousands are written plainly ("Số 2927-TB/TU").
    ``None`` (not yet issued) leaves a blank for the number: "Số     -TB/TU",
    "Số:     /TB-UBND".
    """
    if number is not None and (isinstance(number, bool) or number < 1):
        raise InvalidInput("notice_number_invalid", number=number)
    head = "Số" if fmt is NoticeFormat.PARTY else "Số:"
    shown = NUMBER_GAP if number is None else f" {number:02d}"
    if fmt is NoticeFormat.PARTY:
        return f"{head}{shown}-{code_notation(fmt, symbol)}"
    return f"{head}{shown}/{code_notation(fmt, symbol)}"


def code_notation(fmt: NoticeFormat, symbol: str) -> str:
    """The symbol that follows the number: "TB/TU" (Party), "TB-UBND" (State)."""
    symbol = _nfc(symbol)
    return f"TB/{symbol}" if fmt is NoticeFormat.PARTY else f"TB-{symbol}"


def format_count(n: int) -> str:
    """A count in Vietnamese: a dot groups thousands ("1.586")."""
    return f"{n:,}".replace(",", ".")


def format_percent(count: int, base: int) -> str:
    """``count`` as a percentage of ``base``, rounded half up to 2 decimals, decimal comma.

    Trailing zeros are dropped: "86,67", "86,7", "100", "0".
    """
    if base <= 0:
        raise InvalidInput("notice_record_invalid", field="votes.base_count")
    value = (Decimal(count) * 100 / Decimal(base)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


# --------------------------------------------------------------------------- the record


def _invalid_record(field_name: str) -> InvalidInput:
    return InvalidInput("notice_record_invalid", field=field_name)


@dataclass(frozen=True)
class Person:
    """A named participant with the title used in the notice ("Bí thư Tỉnh ủy")."""

    name: str
    title: str


@dataclass(frozen=True)
class Absentee:
    name: str
    reason: str = ""


@dataclass(frozen=True)
class Attendance:
    """Who attended: members present out of all members, other groups, absentees.

    ``member_label`` names the members ("Ủy viên Ban Thường vụ Tỉnh ủy"); ``groups`` are
    the other attendees as written ("lãnh đạo các ban đảng Tỉnh ủy"). ``members`` are the
    members present by name, besides who presided: the State format lists them
    ("Dự họp có đồng chí … - Phó Chủ tịch UBND tỉnh; …") where the Party counts them.
    """

    present: int
    total: int
    member_label: str
    groups: tuple[str, ...] = ()
    absentees: tuple[Absentee, ...] = ()
    members: tuple[Person, ...] = ()

    def __post_init__(self) -> None:
        if self.total < 1 or not 0 <= self.present <= self.total:
            raise _invalid_record("attendance.present")
        if len(self.absentees) > self.total - self.present:
            raise _invalid_record("attendance.absentees")
        if len(self.members) > self.present:
            raise _invalid_record("attendance.members")


@dataclass(frozen=True)
class Submission:
    """A proposal the meeting considered: "Ban Tổ chức Tỉnh ủy (Tờ trình số …, ngày …)"."""

    proposer: str
    reference: str = ""
    dated: date | None = None


@dataclass(frozen=True)
class ConclusionPoint:
    """One conclusion: what is decided, who leads (chủ trì), who cooperates (phối hợp), by when."""

    text: str
    chu_tri: str = ""
    phoi_hop: tuple[str, ...] = ()
    deadline: date | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise _invalid_record("points.text")
        if self.phoi_hop and not self.chu_tri.strip():
            # Cooperation is always with a lead unit: "chủ trì, phối hợp với …".
            raise _invalid_record("points.phoi_hop")


@dataclass(frozen=True)
class AgendaItem:
    title: str
    points: tuple[ConclusionPoint, ...] = ()


@dataclass(frozen=True)
class VoteOption:
    label: str
    count: int


@dataclass(frozen=True)
class RecordedVote:
    """A vote as recorded, reported against its base (not necessarily those present).

    A Party leadership body passes a resolution only with more than half of **all** its
    members, so ``base_label`` is then "tổng số" and ``base_count`` the membership; other
    polls use present members or valid ballots. ``rule`` describes the rule in words and
    ``passed`` is the outcome the poll computed.

    An election (``election``) has the candidates as options, counted in ballots;
    ``elected`` names who was elected and ``tied`` who tied for the last seat.
    """

    subject: str
    options: tuple[VoteOption, ...]
    base_count: int
    rule: str
    passed: bool
    base_label: str = "tổng số"
    unit: str = "đồng chí"
    election: bool = False
    elected: tuple[str, ...] = ()
    tied: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.base_count < 1:
            raise _invalid_record("votes.base_count")
        if not self.options:
            raise _invalid_record("votes.options")
        for option in self.options:
            if not 0 <= option.count <= self.base_count:
                raise _invalid_record("votes.options.count")


@dataclass(frozen=True)
class MeetingRecord:
    """What the secretary recorded, the input of :func:`draft_notice`.

    ``body`` is the body that met ("Ban Thường vụ Tỉnh ủy"); empty means the issuing
    body's own name. When the planned chair was absent, ``chair_absent`` is set and
    ``deputy_chair`` is who actually chaired; the notice names the deputy.
    ``concluded_by`` is who concluded; ``None`` takes the format's default (see
    :class:`Concluder`).
    """

    meeting_date: date
    chair: Person
    body: str = ""
    location: str = ""
    subject: str = ""
    chair_absent: bool = False
    deputy_chair: Person | None = None
    attendance: Attendance | None = None
    heard: tuple[str, ...] = ()
    submissions: tuple[Submission, ...] = ()
    agenda_items: tuple[AgendaItem, ...] = ()
    votes: tuple[RecordedVote, ...] = ()
    concluded_by: Concluder | None = None

    def __post_init__(self) -> None:
        if self.chair_absent and self.deputy_chair is None:
            raise _invalid_record("deputy_chair")

    @property
    def presiding(self) -> Person:
        """Who actually chaired the meeting."""
        if self.chair_absent and self.deputy_chair is not None:
            return self.deputy_chair
        return self.chair

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeetingRecord:
        return _from_plain(cls, data, "notice_record_invalid", "")  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- issuer, signature


@dataclass(frozen=True)
class AuthorityLine:
    """ "T/M BAN THƯỜNG VỤ", "KT. CHỦ TỊCH": an authority and whom it is exercised for."""

    authority: Authority
    of: str


@dataclass(frozen=True)
class SignatureBlock:
    """The signature block: authority lines, the signer's title, the signer's name.

    "T/M BAN THƯỜNG VỤ" / "PHÓ BÍ THƯ" / name; "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" /
    "PHÓ CHỦ TỊCH" / name. A head signing in their own right has no authority line.
    The choice of authority is per notice.
    """

    signer_title: str
    signer_name: str
    authorities: tuple[AuthorityLine, ...] = ()

    def lines(self, fmt: NoticeFormat) -> tuple[str, ...]:
        """The lines set upper case above the signature, prefixes in the format's spelling."""
        out = [_nfc(f"{authority_prefix(fmt, a.authority)} {a.of}").upper() for a in self.authorities]
        out.append(_nfc(self.signer_title).upper())
        return tuple(unicodedata.normalize("NFC", line) for line in out)


@dataclass(frozen=True)
class IssuingBody:
    """The body that issues the notice.

    ``name`` is the header line ("TỈNH ỦY GIA LAI", "ỦY BAN NHÂN DÂN\\nTỈNH GIA LAI": an
    explicit line break is kept). ``parent`` is the line above it: the Đảng bộ for a Party
    body under one ("ĐẢNG BỘ TỈNH GIA LAI"), the superior body in the State format.
    ``symbol`` is the issuer's part of the symbol ("TU", "UBND", "VP"). ``sentence_name``
    is how sentences name it ("Ban Thường vụ Tỉnh ủy"). ``file_copy`` is the last
    recipient line ("Lưu Văn phòng Tỉnh ủy", "Lưu: VT, TH."). ``term_start`` is the day
    after the congress closed: Party numbering runs for the whole term, not the year.
    """

    name: str
    symbol: str
    place: str
    sentence_name: str
    file_copy: str
    parent: str = ""
    term_start: date | None = None
    default_recipients: tuple[str, ...] = ()
    default_signature: SignatureBlock | None = None

    def __post_init__(self) -> None:
        for name in ("name", "symbol", "place", "sentence_name", "file_copy"):
            if not getattr(self, name).strip():
                raise InvalidInput("notice_body_invalid", field=name)

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IssuingBody:
        return _from_plain(cls, data, "notice_body_invalid", "")  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- settings


def _setting(
    default: Any, *, low: float | None = None, high: float | None = None, choices: Any = None
) -> Any:
    meta: dict[str, Any] = {}
    if low is not None:
        meta["range"] = (low, high)
    if choices is not None:
        meta["choices"] = tuple(choices)
    return field(default=default, metadata=meta)


_SIZE = {"low": 8.0, "high": 24.0}
_MARGIN = {"low": 10.0, "high": 50.0}
_COLUMN = {"low": 30.0, "high": 130.0}


@dataclass(frozen=True)
class NoticeSettings:
    """Layout and wording choices of one issuing body, kept as JSON by the server.

    Defaults per format come from :meth:`defaults`; :meth:`from_dict` rejects unknown
    keys and values out of range. Sizes in points (8–24), lengths in millimetres.

    * ``format``: ``party`` or ``state``.
    * ``margin_top_mm``, ``margin_bottom_mm``, ``margin_left_mm``, ``margin_right_mm``:
      A4 margins (both guidances: 20–25, 20–25, 30–35, 15–20).
    * ``header_left_width_mm``, ``footer_left_width_mm``: width of the left column of the
      header (issuing body, number) and of the footer (recipients); the right column takes
      the rest of the text width.
    * ``size_national``: "ĐẢNG CỘNG SẢN VIỆT NAM" (Party 15) or "CỘNG HÒA XÃ HỘI CHỦ NGHĨA
      VIỆT NAM" (State 12–13); ``size_motto``: "Độc lập - Tự do - Hạnh phúc" (13–14).
    * ``size_parent``, ``size_issuer``: the Đảng bộ or superior body line, the issuing body.
    * ``size_number``, ``size_date``: the number line, the place and date line.
    * ``size_title``: "THÔNG BÁO" (Party 15–16); ``size_summary``: the trích yếu;
      ``size_body``: the text (13–15).
    * ``size_recipients_heading``, ``size_recipients``: "Nơi nhận:" and its lines (Party
      14/12, State 12/11).
    * ``size_signature``, ``size_signer_name``: the authority and title lines, the name.
    * ``size_page_number``: the page number, top centre.
    * ``first_line_indent_mm`` (1–1.27 cm), ``paragraph_spacing_pt`` (at least 6),
      ``line_spacing``: a multiple of the font's single line (1.0 is a word processor's
      "single"; up to 1.5 by NĐ 30/2020).
    * ``signature_space_mm``: room for the handwritten signature and seal.
    * ``issuer_rule_fraction``, ``summary_rule_fraction``: State short rules under the
      issuing body and the summary, as a fraction of the line above (1/3 to 1/2).
    * ``summary_underline``: ``rule`` (State), ``none`` or ``dashes`` ("-----").
    * ``recipients_line_end``: ";" (2026 practice) or "," (older guidance).
    * ``final_mark``: "." or "./." closing the text (State practice).
    * ``opening_pattern``: ``meeting`` or ``session`` (see :class:`OpeningPattern`).
    * ``include_votes``: print vote sentences (published notices rarely do).
    * ``page_numbers``: ``from_page_2`` (the rule), ``all`` or ``none``.
    """

    format: NoticeFormat
    # page (A4): ND 30/2020 and HD 36 agree on top/bottom 20–25, left 30–35, right 15–20 mm
    margin_top_mm: float = _setting(20.0, **_MARGIN)
    margin_bottom_mm: float = _setting(20.0, **_MARGIN)
    margin_left_mm: float = _setting(30.0, **_MARGIN)
    margin_right_mm: float = _setting(15.0, **_MARGIN)
    header_left_width_mm: float = _setting(80.0, **_COLUMN)
    footer_left_width_mm: float = _setting(80.0, **_COLUMN)
    # sizes
    size_national: float = _setting(15.0, **_SIZE)  # "ĐẢNG CỘNG SẢN VIỆT NAM" / "CỘNG HÒA XÃ HỘI …"
    size_motto: float = _setting(14.0, **_SIZE)  # "Độc lập - Tự do - Hạnh phúc" (State)
    size_parent: float = _setting(14.0, **_SIZE)  # Đảng bộ / superior body line
    size_issuer: float = _setting(14.0, **_SIZE)
    size_number: float = _setting(14.0, **_SIZE)
    size_date: float = _setting(14.0, **_SIZE)
    size_title: float = _setting(16.0, **_SIZE)  # "THÔNG BÁO"
    size_summary: float = _setting(14.0, **_SIZE)
    size_body: float = _setting(14.0, **_SIZE)
    size_recipients_heading: float = _setting(14.0, **_SIZE)
    size_recipients: float = _setting(12.0, **_SIZE)
    size_signature: float = _setting(14.0, **_SIZE)
    size_signer_name: float = _setting(14.0, **_SIZE)
    size_page_number: float = _setting(14.0, **_SIZE)
    # paragraphs
    first_line_indent_mm: float = _setting(12.7, low=0.0, high=30.0)
    paragraph_spacing_pt: float = _setting(6.0, low=0.0, high=24.0)
    line_spacing: float = _setting(1.0, low=1.0, high=2.0)
    signature_space_mm: float = _setting(25.0, low=10.0, high=60.0)
    issuer_rule_fraction: float = _setting(0.4, low=0.2, high=1.0)  # State: short rule under the body
    summary_rule_fraction: float = _setting(0.4, low=0.2, high=1.0)  # State: 1/3 to 1/2 of the line
    summary_underline: SummaryUnderline = SummaryUnderline.NONE
    # wording
    recipients_line_end: str = _setting(";", choices=(";", ","))  # ";" 2026 practice, "," older
    final_mark: str = _setting(".", choices=(".", "./."))  # State practice closes with "./."
    opening_pattern: OpeningPattern = OpeningPattern.MEETING
    include_votes: bool = False  # published notices rarely state vote counts
    page_numbers: PageNumbers = PageNumbers.FROM_PAGE_2

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if "range" in f.metadata:
                low, high = f.metadata["range"]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise InvalidInput("notice_setting_invalid", field=f.name)
                if not math.isfinite(value) or not low <= value <= high:
                    raise InvalidInput("notice_setting_invalid", field=f.name)
            if "choices" in f.metadata and value not in f.metadata["choices"]:
                raise InvalidInput("notice_setting_invalid", field=f.name)
        text_width = 210.0 - self.margin_left_mm - self.margin_right_mm
        for name in ("header_left_width_mm", "footer_left_width_mm"):
            if getattr(self, name) > text_width - 30.0:
                raise InvalidInput("notice_setting_invalid", field=name)

    _STATE: ClassVar[dict[str, Any]] = {
        "header_left_width_mm": 65.0,
        "footer_left_width_mm": 80.0,
        "size_national": 13.0,
        "size_motto": 14.0,
        "size_parent": 13.0,
        "size_issuer": 13.0,
        "size_number": 13.0,
        "size_date": 14.0,
        "size_title": 14.0,
        "size_summary": 14.0,
        "size_recipients_heading": 12.0,
        "size_recipients": 11.0,
        "size_page_number": 13.0,
        "summary_underline": SummaryUnderline.RULE,
        "final_mark": "./.",
    }

    @classmethod
    def defaults(cls, fmt: NoticeFormat) -> NoticeSettings:
        """The defaults of a format (Party: HD 36-HD/VPTW; State: NĐ 30/2020 Mẫu 1.4)."""
        if fmt is NoticeFormat.STATE:
            return cls(format=fmt, **cls._STATE)
        return cls(format=fmt)

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoticeSettings:
        """Settings from JSON: the format's defaults overridden by ``data``.

        ``data`` must name the ``format``; any unknown key or out-of-range value raises
        ``InvalidInput("notice_setting_invalid", field=...)``.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput("notice_setting_invalid", field="")
        try:
            fmt = NoticeFormat(data.get("format"))
        except ValueError:
            raise InvalidInput("notice_setting_invalid", field="format") from None
        merged = cls.defaults(fmt).to_dict()
        for key, value in data.items():
            if key not in merged:
                raise InvalidInput("notice_setting_invalid", field=str(key))
            merged[key] = value
        return _from_plain(cls, merged, "notice_setting_invalid", "")  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- the draft


@dataclass(frozen=True)
class NumberedPoint:
    """A numbered paragraph of the body: "2." or "1.3." and its text.

    ``heading`` marks an agenda item's heading ("1. Về Đề án …"), set bold.
    """

    label: str
    text: str
    heading: bool = False


@dataclass(frozen=True)
class NoticeDraft:
    """The editable notice: what the office reviews and changes before issuing.

    ``number`` stays ``None`` until the notice is issued (:func:`issue_notice`).
    ``points`` already carry the customary wording of who leads, who cooperates and the
    deadline. ``recipients`` are the lines of "Nơi nhận:" without the dash and line end;
    ``file_copy`` is the last one ("Lưu Văn phòng Tỉnh ủy").
    """

    format: NoticeFormat
    symbol: str
    place: str
    issue_date: date
    summary: str
    opening: str
    points: tuple[NumberedPoint, ...]
    signature: SignatureBlock
    file_copy: str
    number: int | None = None
    vote_sentences: tuple[str, ...] = ()
    closing: str = ""
    recipients: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.number is not None and (isinstance(self.number, bool) or self.number < 1):
            raise InvalidInput("notice_number_invalid", number=self.number)
        if not self.summary.strip():
            raise InvalidInput("notice_draft_invalid", field="summary")
        for authority in self.signature.authorities:
            authority_prefix(self.format, authority.authority)

    @property
    def number_line(self) -> str:
        return format_number(self.format, self.number, self.symbol)

    @property
    def date_line(self) -> str:
        return format_place_date(self.place, self.issue_date)

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoticeDraft:
        return _from_plain(cls, data, "notice_draft_invalid", "")  # type: ignore[no-any-return]


def _join(items: Iterable[str], last: str = " và ") -> str:
    """ "A", "A và B", "A, B và C"."""
    parts = [_nfc(i) for i in items if i.strip()]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + last + parts[-1]


def _sentence(text: str) -> str:
    """Text ending with a full stop (or with the question/colon/semicolon it already has)."""
    text = _nfc(text)
    return text if text.endswith((".", "!", "?", ":", ";")) else text + "."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


_COMRADE = re.compile(r"^(Đồng chí|Các đồng chí)\b")


def _mid(text: str) -> str:
    """Text set inside a sentence: a typed "Đồng chí …" or "Các đồng chí …" loses its
    capital ("Sau khi nghe đồng chí Võ Thị Minh Nguyệt báo cáo")."""
    text = _nfc(text).strip()
    return _lower_first(text) if _COMRADE.match(text) else text


def _named(person: Person) -> str:
    """ "đồng chí Nguyễn Văn Hùng - Chủ tịch UBND tỉnh": name and title joined by a spaced
    hyphen, as in State trích yếu and attendance lists."""
    title = _nfc(person.title).strip()
    return f"đồng chí {_nfc(person.name)}" + (f" - {title}" if title else "")


def format_point(point: ConclusionPoint) -> str:
    """The customary wording of one conclusion.

    "{text}. Giao {chủ trì} chủ trì, phối hợp với {A, B} thực hiện; hoàn thành trước ngày
    15/7/2025." Without cooperating units the "phối hợp" part is left out; a deadline
    without a lead unit reads "Hoàn thành trước ngày …".
    """
    text = _sentence(point.text)
    lead = _mid(point.chu_tri)
    if lead:
        task = f"Giao {lead} chủ trì"
        if point.phoi_hop:
            task += f", phối hợp với {', '.join(_mid(p) for p in point.phoi_hop if p.strip())}"
        task += " thực hiện"
        if point.deadline is not None:
            task += f"; hoàn thành trước ngày {format_short_date(point.deadline)}"
        text = f"{text} {task}."
    elif point.deadline is not None:
        text = f"{text} Hoàn thành trước ngày {format_short_date(point.deadline)}."
    return _nfc(text)


def vote_sentence(vote: RecordedVote) -> str:
    """A vote in words and figures, each option against the base.

    "Kết quả biểu quyết về …: 13/15 đồng chí tán thành (86,67% tổng số), 2/15 đồng chí
    không tán thành (13,33% tổng số). Đối chiếu quy định (quá nửa tổng số thành viên tán
    thành), nội dung được thông qua." An option nobody chose is left out (no "0/15 …");
    when nobody chose anything the sentence says so. An election names the candidates
    and who was elected: "Kết quả bầu Phó Bí thư Tỉnh ủy: đồng chí Nguyễn Văn A 12/15
    phiếu (80% tổng số), đồng chí Trần Văn B 3/15 phiếu (20% tổng số). Đối chiếu quy định
    (…), đồng chí Nguyễn Văn A trúng cử."
    """
    base = format_count(vote.base_count)
    chosen = [o for o in vote.options if o.count > 0]
    subject = _nfc(vote.subject).rstrip(":")
    if vote.election:
        parts = [
            f"đồng chí {_nfc(o.label)} {format_count(o.count)}/{base} {_nfc(vote.unit)} "
            f"({format_percent(o.count, vote.base_count)}% {_nfc(vote.base_label)})"
            for o in chosen
        ]
        counts = ", ".join(parts) if parts else "không có phiếu bầu cho đồng chí nào"
        if vote.elected:
            elected = _join(f"đồng chí {_nfc(n)}" for n in vote.elected) + " trúng cử"
        else:
            elected = "không có đồng chí nào trúng cử"
        if vote.tied:
            tied = _join(f"đồng chí {_nfc(n)}" for n in vote.tied)
            elected += f"; {tied} có số phiếu bằng nhau, phải bầu lại"
        return _nfc(f"Kết quả bầu {subject}: {counts}. Đối chiếu quy định ({_nfc(vote.rule)}), {elected}.")
    parts = [
        f"{format_count(o.count)}/{base} {_nfc(vote.unit)} {_lower_first(_nfc(o.label))} "
        f"({format_percent(o.count, vote.base_count)}% {_nfc(vote.base_label)})"
        for o in chosen
    ]
    counts = ", ".join(parts) if parts else "không có phiếu biểu quyết"
    outcome = "được thông qua" if vote.passed else "không được thông qua"
    rule = _nfc(vote.rule)
    return _nfc(f"Kết quả biểu quyết {subject}: {counts}. Đối chiếu quy định ({rule}), nội dung {outcome}.")


def _absentees_text(att: Attendance) -> str:
    if not att.absentees:
        return ""
    names = "; ".join(
        f"đồng chí {_nfc(a.name)}" + (f", {_nfc(a.reason)}" if a.reason.strip() else "")
        for a in att.absentees
    )
    return f" (vắng: {names})"


def _attendance_text(att: Attendance, fmt: NoticeFormat) -> str:
    """Party: members counted ("Tham dự có 13/15 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy
    (vắng: …); lãnh đạo …."). State: who attended by group ("Dự họp có đồng chí … - Phó
    Chủ tịch UBND tỉnh; đồng chí …; lãnh đạo các sở, ngành. Vắng mặt: đồng chí … (đi
    công tác).")."""
    groups = [_mid(g) for g in att.groups if g.strip()]
    if fmt is NoticeFormat.PARTY:
        text = f"{format_count(att.present)}/{format_count(att.total)} đồng chí {_nfc(att.member_label)}"
        return "Tham dự có " + "; ".join([text + _absentees_text(att), *groups]) + "."
    members = [_named(m) for m in att.members] or [f"các đồng chí {_nfc(att.member_label)}"]
    text = "Dự họp có " + "; ".join([*members, *groups]) + "."
    if att.absentees:
        absent = "; ".join(
            f"đồng chí {_nfc(a.name)}" + (f" ({_nfc(a.reason)})" if a.reason.strip() else "")
            for a in att.absentees
        )
        text += f" Vắng mặt: {absent}."
    return text


def _submission_text(sub: Submission) -> str:
    """ "Ban Tổ chức Tỉnh ủy (Tờ trình số 15-TTr/BTCTU, ngày 10/7/2025)"."""
    details = [_nfc(sub.reference)] if sub.reference.strip() else []
    if sub.dated is not None:
        details.append(f"ngày {format_short_date(sub.dated)}")
    return _mid(sub.proposer) + (f" ({', '.join(details)})" if details else "")


def _concluder(record: MeetingRecord, fmt: NoticeFormat) -> Concluder:
    if record.concluded_by is not None:
        return record.concluded_by
    return Concluder.COLLECTIVE if fmt is NoticeFormat.PARTY else Concluder.PRESIDING


def _opening(record: MeetingRecord, body_name: str, pattern: OpeningPattern, fmt: NoticeFormat) -> str:
    """The first paragraph in the chosen pattern (see :class:`OpeningPattern`).

    The last clause follows who concluded: the body ("…, Ban Thường vụ Tỉnh ủy thống
    nhất kết luận như sau:") or the leader who presided ("…, ý kiến phát biểu của các đại
    biểu dự họp, đồng chí … - Chủ tịch UBND tỉnh kết luận:"). State openings give the
    date in words ("Ngày 05 tháng 7 năm 2025"), Party ones in figures.
    """
    state = fmt is NoticeFormat.STATE
    day = format_vn_date(record.meeting_date) if state else f"ngày {format_short_date(record.meeting_date)}"
    by_leader = _concluder(record, fmt) is Concluder.PRESIDING
    concluder = _named(record.presiding) if by_leader else body_name
    if pattern is OpeningPattern.SESSION:
        considered = [_submission_text(s) for s in record.submissions]
        considered = considered or [_mid(h) for h in record.heard if h.strip()]
        verb = "kết luận:" if by_leader else "kết luận như sau:"
        lead = f"Tại phiên họp {day}"
        if considered:
            lead += f", xem xét đề nghị của {_join(considered)}"
        return _nfc(f"{lead}, {concluder} {verb}")
    chair = record.presiding
    first = f"{_nfc(day[:1].upper() + day[1:])}, {body_name} tổ chức họp"
    if record.subject.strip():
        first += f" {_nfc(record.subject)}"
    if record.location.strip():
        first += f" tại {_nfc(record.location)}"
    if state:
        first += f" dưới sự chủ trì của {_named(chair)}."
    else:
        first += f" dưới sự chủ trì của đồng chí {_nfc(chair.name)}, {_nfc(chair.title)}."
    sentences = [first]
    if record.attendance is not None:
        sentences.append(_attendance_text(record.attendance, fmt))
    heard = _join(_mid(h) for h in record.heard)
    heard_part = f"nghe {heard} báo cáo" if heard else "nghe báo cáo"
    if by_leader:
        discussed = "ý kiến phát biểu của các đại biểu dự họp"
        sentences.append(f"Sau khi {heard_part}, {discussed}, {concluder} kết luận:")
    else:
        sentences.append(
            f"Sau khi {heard_part} và ý kiến thảo luận của các đồng chí dự họp, "
            f"{body_name} thống nhất kết luận như sau:"
        )
    return _nfc(" ".join(sentences))


#: Kinds of document an agenda item is often titled by ("Tờ trình về …", "Báo cáo tình
#: hình …"): a heading names the subject, not the paper, so these are left out.
_DOCUMENT_KINDS = ("tờ trình", "báo cáo", "công văn", "văn bản", "phiếu trình", "đề nghị")
#: Common nouns that open a subject and read lower case after "Về" ("Về dự thảo …").
#: Names of documents ("Đề án số 1", "Kế hoạch 12-KH/TU") keep their capital.
_COMMON_OPENINGS = (
    "chủ trương",
    "công tác",
    "dự thảo",
    "dự toán",
    "kết quả",
    "phương án",
    "tình hình",
    "việc",
)
_DOCUMENT_REF = re.compile(r"^(số\s+\S+|ngày\s+\S+)[\s,]*", re.IGNORECASE)


def heading_subject(title: str) -> str:
    """What an agenda item is about, to follow "Về" in a heading or a trích yếu.

    "Tờ trình về chủ trương đầu tư …" gives "chủ trương đầu tư …", "Báo cáo tình hình
    giải ngân …" gives "tình hình giải ngân …", "Tờ trình số 15-TTr/SKHĐT ngày 10/7/2025
    của Sở Kế hoạch và Đầu tư về …" gives what follows "về"; a title already starting
    "Về …" loses it; a common noun opening the subject is set lower case ("dự thảo Nghị
    quyết …"), a name keeps its capitals.
    """
    text = _nfc(title).strip()
    folded = text.casefold()
    for kind in _DOCUMENT_KINDS:
        if folded.startswith(kind + " "):
            rest = text[len(kind) :].strip()
            while (match := _DOCUMENT_REF.match(rest)) is not None and match.end() > 0:
                rest = rest[match.end() :]
            if rest.casefold().startswith("của ") and " về " in rest:
                rest = rest[rest.index(" về ") + 1 :]
            if rest:
                text = rest
            break
    for lead in ("về ", "về việc "):
        if text.casefold().startswith(lead) and len(text) > len(lead):
            text = text[len(lead) :].strip()
    if text.casefold().startswith("về việc "):
        text = text[len("về việc ") :].strip()
    if any(text.casefold().startswith(w + " ") or text.casefold() == w for w in _COMMON_OPENINGS):
        text = _lower_first(text)
    return _nfc(text)


def _record_subject(record: MeetingRecord) -> str:
    """The subject for the trích yếu: as typed, else named from the agenda ("về chủ
    trương …" for one item, "về A và B" for two, "về một số nội dung" for more)."""
    if record.subject.strip():
        return _nfc(record.subject)
    titles = [heading_subject(i.title) for i in record.agenda_items if i.title.strip()]
    if not titles:
        return ""
    if len(titles) <= 2:
        return "về " + _join(titles)
    return "về một số nội dung"


def _summary(record: MeetingRecord, body_name: str, fmt: NoticeFormat) -> str:
    """The trích yếu: Party starts lower case, State upper case; it names who concluded
    (the body, or "đồng chí <name> - <title>") and the subject ("kết luận của Ban Thường
    vụ Tỉnh ủy tại cuộc họp ngày 05/7/2025 về …", "Kết luận của đồng chí Nguyễn Văn Hùng -
    Chủ tịch UBND tỉnh tại cuộc họp ngày …").
    """
    subject = _record_subject(record)
    about = f" {subject}" if subject else ""
    day = format_short_date(record.meeting_date)
    who = _named(record.presiding) if _concluder(record, fmt) is Concluder.PRESIDING else body_name
    lead = "kết luận" if fmt is NoticeFormat.PARTY else "Kết luận"
    return _nfc(f"{lead} của {who} tại cuộc họp ngày {day}{about}")


def _heading(title: str) -> str:
    return _nfc(f"Về {heading_subject(title)}")


def _points(items: tuple[AgendaItem, ...]) -> tuple[NumberedPoint, ...]:
    """Numbered points in agenda order.

    One agenda item: its conclusions are "1.", "2.", … Several: each item is a heading
    "1. Về …" naming its subject and its conclusions "1.1.", "1.2.", …
    """
    if len(items) == 1:
        return tuple(NumberedPoint(f"{i}.", format_point(p)) for i, p in enumerate(items[0].points, 1))
    out: list[NumberedPoint] = []
    for i, item in enumerate(items, 1):
        out.append(NumberedPoint(f"{i}.", _heading(item.title), heading=True))
        out.extend(NumberedPoint(f"{i}.{j}.", format_point(p)) for j, p in enumerate(item.points, 1))
    return tuple(out)


def _default_recipients(record: MeetingRecord, body_name: str) -> tuple[str, ...]:
    """Who receives the notice when the body lists nobody: the members who met, then the
    units given a task (lead, then cooperating), each once, in the order they appear."""
    out: list[str] = []
    if record.attendance is not None:
        out.append(f"Các đồng chí {_nfc(record.attendance.member_label)}")
    else:
        out.append(f"Các đồng chí thành viên {body_name}")
    seen = {o.casefold() for o in out}
    for item in record.agenda_items:
        for point in item.points:
            for unit in (point.chu_tri, *point.phoi_hop):
                unit = _nfc(unit).strip()
                if unit and unit.casefold() not in seen:
                    seen.add(unit.casefold())
                    out.append(unit[:1].upper() + unit[1:])
    return tuple(out)


def draft_notice(
    record: MeetingRecord,
    body: IssuingBody,
    settings: NoticeSettings,
    issue_date: date,
    *,
    signature: SignatureBlock | None = None,
    recipients: tuple[str, ...] | None = None,
) -> NoticeDraft:
    """Build the editable draft of a conclusion notice from a meeting record.

    The signature block is per notice: ``signature`` or else the body's
    ``default_signature`` (one of them is required). Recipients default to the body's;
    when neither lists anyone, the members who met and the units given a task (never an
    empty "Nơi nhận"). Vote sentences are included only when the settings ask for them (published notices
    rarely state counts). The number stays blank until :func:`issue_notice`.
    """
    block = signature or body.default_signature
    if block is None:
        raise InvalidInput("notice_signature_missing")
    body_name = _nfc(record.body) or _nfc(body.sentence_name)
    votes = tuple(vote_sentence(v) for v in record.votes) if settings.include_votes else ()
    chosen = body.default_recipients if recipients is None else recipients
    return NoticeDraft(
        format=settings.format,
        symbol=_nfc(body.symbol),
        place=_nfc(body.place),
        issue_date=issue_date,
        summary=_summary(record, body_name, settings.format),
        opening=_opening(record, body_name, settings.opening_pattern, settings.format),
        points=_points(record.agenda_items),
        vote_sentences=votes,
        closing=_nfc(f"{body.sentence_name} thông báo để các cơ quan, đơn vị liên quan biết, thực hiện."),
        recipients=tuple(_nfc(r) for r in chosen if r.strip()) or _default_recipients(record, body_name),
        file_copy=_nfc(body.file_copy),
        signature=block,
    )


def numbering_sequence(
    fmt: NoticeFormat, body: IssuingBody, issue_date: date, *, secret: bool = False
) -> str:
    """The key of the number sequence a notice issued on ``issue_date`` draws from.

    Party: one sequence per document type for the whole term of the committee (from the
    day after the congress closed), classified and unclassified together. State: the
    sequence restarts every 1 January and documents with secret content keep their own.
    """
    if fmt is NoticeFormat.PARTY:
        if body.term_start is None or issue_date < body.term_start:
            raise InvalidInput("notice_term_invalid")
        return f"party:TB/{_nfc(body.symbol)}:term:{body.term_start.isoformat()}"
    return f"state:TB-{_nfc(body.symbol)}:{issue_date.year}" + (":secret" if secret else "")


def issue_notice(draft: NoticeDraft, number: int, issue_date: date) -> NoticeDraft:
    """The draft with its number and date of issue: numbers are given on issue, not while drafting."""
    return dataclasses.replace(draft, number=number, issue_date=issue_date)


# --------------------------------------------------------------------------- JSON mapping

_T = TypeVar("_T")


def _to_plain(value: Any) -> Any:
    """Dataclasses, enums, dates and tuples as JSON-ready dicts, strings and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value


def _from_plain(tp: Any, data: Any, code: str, path: str) -> Any:
    """The reverse of :func:`_to_plain`, strict: an unknown key or a wrong type is an error.

    Errors raise ``InvalidInput(code, field=<dotted path>)``; validation inside the
    dataclasses (``__post_init__``) raises its own codes.
    """

    def bad() -> InvalidInput:
        return InvalidInput(code, field=path)

    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _from_plain(args[0], data, code, path)
    if origin is tuple:
        if not isinstance(data, list | tuple):
            raise bad()
        (item_type, _ellipsis) = get_args(tp)
        return tuple(_from_plain(item_type, v, code, f"{path}[{i}]") for i, v in enumerate(data))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, Mapping):
            raise bad()
        hints = get_type_hints(tp)
        known = {f.name: f for f in dataclasses.fields(tp) if f.init}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise InvalidInput(code, field=f"{path}.{key}".lstrip("."))
            kwargs[key] = _from_plain(hints[key], value, code, f"{path}.{key}".lstrip("."))
        missing = [
            n
            for n, f in known.items()
            if n not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise InvalidInput(code, field=f"{path}.{missing[0]}".lstrip("."))
        return tp(**kwargs)
    if tp is bool:
        if not isinstance(data, bool):
            raise bad()
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise bad()
        return data
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise bad()
        return float(data)
    if tp is str:
        if not isinstance(data, str):
            raise bad()
        return unicodedata.normalize("NFC", data)
    if tp is date:
        if not isinstance(data, str):
            raise bad()
        try:
            return date.fromisoformat(data)
        except ValueError:
            raise bad() from None
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            raise bad() from None
    raise bad()  # pragma: no cover - a type this mapping does not know is a programming error
