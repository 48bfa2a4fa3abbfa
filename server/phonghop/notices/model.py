"""The layout-neutral notice: one model that both the PDF and the DOCX writer draw.

:func:`build_document` turns a :class:`~phonghop.domain.notice.NoticeDraft` into a
:class:`NoticeDocument`, a short list of blocks:

* :class:`Text`: a paragraph of styled :class:`Span` s with a size, an alignment, a
  first-line indent, spacing, an optional upper-case rendering and an optional
  :class:`Rule` under it (as long as the text, or a fraction of it, centred);
* :class:`Columns`: a borderless two-column table, used for the header (issuing body,
  number | national title, place and date) and the footer (recipients | signature);
* :class:`Space`: vertical room, e.g. the blank left for the handwritten signature;
* :class:`Qr`: a QR code in a column (the personal code on a giấy mời).

Every element's size, style and position comes from the formats' rules in DOMAIN.md and
from :class:`~phonghop.domain.notice.NoticeSettings`; the writers only translate blocks
into their file format, so the two outputs cannot drift apart. All text is NFC.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

import segno

from phonghop.domain.notice import (
    IssuingBody,
    NoticeDraft,
    NoticeFormat,
    NoticeSettings,
    PageNumbers,
    SummaryUnderline,
)
from phonghop.errors import InvalidInput

__all__ = [
    "Align",
    "Block",
    "Cell",
    "Columns",
    "NoticeDocument",
    "PageSetup",
    "Qr",
    "Row",
    "Rule",
    "Space",
    "Span",
    "Text",
    "a4_page",
    "body_paragraph",
    "build_document",
    "first_numbered_page",
    "header_columns",
]

#: A word processor's "single" line of Times New Roman / Liberation Serif, in ems
#: (ascent + descent + line gap of the font).
SINGLE_LINE = 1.15

PARTY_NATIONAL = "ĐẢNG CỘNG SẢN VIỆT NAM"
STATE_NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
STATE_MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "THÔNG BÁO"
RECIPIENTS_HEADING = "Nơi nhận:"
_FILE_COPY = re.compile(r"^Lưu\s*:?\s*(.+)$")

# Vertical rhythm around the title block, in points: not set by the guidance.
_GAP_BEFORE_TITLE_PT = 18.0
_GAP_AFTER_SUMMARY_PT = 12.0
_GAP_BEFORE_FOOTER_PT = 12.0
_GAP_NUMBER_ROW_PT = 4.0


class Align(Enum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"
    JUSTIFY = "justify"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Span:
    """A run of text in one style. ``"\\n"`` inside the text is a line break."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _nfc(self.text))


@dataclass(frozen=True)
class Rule:
    """A solid rule centred under a text, ``fraction`` of its widest line long.

    1.0 is "as long as the text" (under "ĐẢNG CỘNG SẢN VIỆT NAM", under the State motto);
    the State issuing body and summary take a short rule, 1/3 to 1/2 of the line.
    """

    fraction: float = 1.0
    thickness_pt: float = 0.6


@dataclass(frozen=True)
class Text:
    """One paragraph. ``role`` names what it is ("issuer", "number", "point"...)."""

    spans: tuple[Span, ...]
    size: float
    align: Align = Align.CENTER
    upper: bool = False
    first_line_indent_mm: float = 0.0
    space_before_pt: float = 0.0
    space_after_pt: float = 0.0
    line_spacing: float = 1.0
    rule: Rule | None = None
    keep_with_next: bool = False
    role: str = ""

    def shown(self) -> tuple[Span, ...]:
        """The spans as printed: upper-cased when the element is set in capitals."""
        if not self.upper:
            return self.spans
        return tuple(Span(_nfc(s.text.upper()), s.bold, s.italic, s.underline) for s in self.spans)

    @property
    def plain(self) -> str:
        return "".join(s.text for s in self.shown())

    @property
    def leading_pt(self) -> float:
        """Distance between baselines: the single line times the spacing multiple."""
        return self.size * SINGLE_LINE * self.line_spacing


@dataclass(frozen=True)
class Space:
    height_mm: float
    #: "signature": the room for the signature, where an issued notice's stamp is drawn.
    role: str = ""


@dataclass(frozen=True)
class Qr:
    """A QR code that opens ``data``, ``size_mm`` square with its quiet zone."""

    data: str
    size_mm: float
    role: str = ""

    def png(self) -> bytes:
        """One pixel per module and the four-module quiet zone; the writers scale it up."""
        out = io.BytesIO()
        segno.make(self.data, error="m").save(out, kind="png", scale=1, border=4)
        return out.getvalue()


Cell = Text | Space | Qr


@dataclass(frozen=True)
class Row:
    left: tuple[Cell, ...]
    right: tuple[Cell, ...]


@dataclass(frozen=True)
class Columns:
    """A borderless two-column table; the right column takes the rest of the text width."""

    rows: tuple[Row, ...]
    left_width_mm: float
    space_before_pt: float = 0.0
    role: str = ""


Block = Text | Space | Columns


@dataclass(frozen=True)
class PageSetup:
    width_mm: float
    height_mm: float
    margin_top_mm: float
    margin_bottom_mm: float
    margin_left_mm: float
    margin_right_mm: float

    @property
    def text_width_mm(self) -> float:
        return self.width_mm - self.margin_left_mm - self.margin_right_mm


@dataclass(frozen=True)
class NoticeDocument:
    """The whole notice. Page numbers, when shown, sit top centre in the top margin,
    from ``first_numbered_page`` on (2 by the rule: never on the first page)."""

    page: PageSetup
    blocks: tuple[Block, ...]
    title: str
    first_numbered_page: int | None = 2
    page_number_size: float = 14.0
    font_family: str = "Times New Roman"
    language: str = "vi-VN"


def _text(
    text: str,
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: Align = Align.CENTER,
    upper: bool = False,
    space_before_pt: float = 0.0,
    space_after_pt: float = 0.0,
    rule: Rule | None = None,
    keep_with_next: bool = False,
    role: str = "",
) -> Text:
    """A paragraph in one style."""
    return Text(
        (Span(text, bold, italic, underline),),
        size,
        align=align,
        upper=upper,
        space_before_pt=space_before_pt,
        space_after_pt=space_after_pt,
        rule=rule,
        keep_with_next=keep_with_next,
        role=role,
    )


def _header(draft: NoticeDraft, body: IssuingBody, s: NoticeSettings) -> Columns:
    return header_columns(draft.format, body, s, number_line=draft.number_line, date_line=draft.date_line)


def header_columns(
    fmt: NoticeFormat, body: IssuingBody, s: NoticeSettings, *, number_line: str, date_line: str
) -> Columns:
    """The header table of either format (also used by other documents of the body, such
    as the giấy mời, with their own number line).

    Party: left the committee ("TỈNH ỦY GIA LAI", 14 upper bold) or, under a Đảng bộ, the
    Đảng bộ (upper, not bold) over the body (upper bold), then "*"; right "ĐẢNG CỘNG SẢN
    VIỆT NAM" (15 upper bold) with a rule as long as the text. State: left the superior
    body (upper, not bold) over the issuing body (upper bold) with a short rule; right the
    national motto (upper bold / bold) with a rule as long as the motto. Second row: the
    number under the left column, the italic place and date under the right one.
    """
    left: list[Cell] = []
    if body.parent.strip():
        left.append(_text(body.parent, s.size_parent, upper=True, role="parent"))
    party = fmt is NoticeFormat.PARTY
    issuer_rule = None if party else Rule(s.issuer_rule_fraction)
    left.append(_text(body.name, s.size_issuer, bold=True, upper=True, rule=issuer_rule, role="issuer"))
    right: list[Cell]
    if party:
        left.append(_text("*", s.size_issuer, role="star"))
        right = [_text(PARTY_NATIONAL, s.size_national, bold=True, upper=True, rule=Rule(), role="national")]
    else:
        right = [
            _text(STATE_NATIONAL, s.size_national, bold=True, upper=True, role="national"),
            _text(STATE_MOTTO, s.size_motto, bold=True, rule=Rule(), role="motto"),
        ]
    number = _text(number_line, s.size_number, space_before_pt=_GAP_NUMBER_ROW_PT, role="number")
    dated = _text(date_line, s.size_date, italic=True, space_before_pt=_GAP_NUMBER_ROW_PT, role="date")
    return Columns(
        rows=(Row(tuple(left), tuple(right)), Row((number,), (dated,))),
        left_width_mm=s.header_left_width_mm,
        role="header",
    )


def _title(draft: NoticeDraft, s: NoticeSettings) -> list[Block]:
    """ "THÔNG BÁO" bold centred, then the summary bold centred (Party: lower-case start),
    then what the settings put under the summary (State: a short rule)."""
    rule = Rule(s.summary_rule_fraction) if s.summary_underline is SummaryUnderline.RULE else None
    dashes = s.summary_underline is SummaryUnderline.DASHES
    blocks: list[Block] = [
        _text(
            TITLE,
            s.size_title,
            bold=True,
            upper=True,
            space_before_pt=_GAP_BEFORE_TITLE_PT,
            keep_with_next=True,
            role="title",
        ),
        _text(
            draft.summary,
            s.size_summary,
            bold=True,
            rule=rule,
            space_after_pt=0.0 if dashes else _GAP_AFTER_SUMMARY_PT,
            keep_with_next=True,
            role="summary",
        ),
    ]
    if dashes:
        dash_line = _text(
            "-----", s.size_summary, space_after_pt=_GAP_AFTER_SUMMARY_PT, keep_with_next=True, role="dashes"
        )
        blocks.append(dash_line)
    return blocks


def _with_final_mark(text: str, mark: str) -> str:
    """The last sentence of the body ends with the format's mark ("." or "./.")."""
    text = text.rstrip()
    if text.endswith("./."):
        text = text[:-3]
    text = text.rstrip(".;:,")
    return text + mark


def body_paragraph(spans: tuple[Span, ...], s: NoticeSettings, role: str, *, keep: bool = False) -> Text:
    """A paragraph of the body: justified, first-line indent, the settings' size and spacing."""
    return Text(
        spans,
        s.size_body,
        align=Align.JUSTIFY,
        first_line_indent_mm=s.first_line_indent_mm,
        space_after_pt=s.paragraph_spacing_pt,
        line_spacing=s.line_spacing,
        keep_with_next=keep,
        role=role,
    )


def _body(draft: NoticeDraft, s: NoticeSettings) -> list[Block]:
    """Justified paragraphs with a first-line indent: opening, numbered points, votes,
    closing. The last paragraph takes the final mark."""

    items: list[tuple[tuple[Span, ...], str, bool]] = []
    if draft.opening.strip():
        items.append(((Span(draft.opening),), "opening", False))
    for point in draft.points:
        label = Span(point.label + " ", bold=point.heading)
        items.append(((label, Span(point.text, bold=point.heading)), "point", point.heading))
    items.extend(((Span(v),), "vote", False) for v in draft.vote_sentences)
    if draft.closing.strip():
        items.append(((Span(draft.closing),), "closing", False))
    if items:
        # The last paragraph takes the final mark and stays on the page of the signature.
        spans, role, _keep = items[-1]
        last = spans[-1]
        marked = Span(_with_final_mark(last.text, s.final_mark), last.bold, last.italic, last.underline)
        items[-1] = ((*spans[:-1], marked), role, True)
    return [body_paragraph(spans, s, role, keep=keep) for spans, role, keep in items]


def _recipient_lines(draft: NoticeDraft, s: NoticeSettings) -> list[str]:
    """ "- …;" for each recipient (line end per settings), last "- Lưu …." (Party: no
    colon after "Lưu"; State: "Lưu: VT, TH.")."""
    lines = [f"- {r.rstrip(' ;,.')}{s.recipients_line_end}" for r in draft.recipients if r.strip()]
    file_copy = draft.file_copy.strip().rstrip(" ;,.")
    rest = _FILE_COPY.match(file_copy)
    if rest is not None:  # the file copy is written "Lưu …" (Party) or "Lưu: …" (State)
        colon = "" if draft.format is NoticeFormat.PARTY else ":"
        file_copy = f"Lưu{colon} {rest.group(1)}"
    lines.append(f"- {file_copy}.")
    return lines


def _footer(draft: NoticeDraft, s: NoticeSettings) -> Columns:
    """Recipients on the left, the signature block on the right.

    Party: "Nơi nhận:" underlined (14), list 12. State: "Nơi nhận:" bold italic (12),
    list 11. Signature lines upper bold, room for the signature, the name bold.
    """
    party = draft.format is NoticeFormat.PARTY
    heading = _text(
        RECIPIENTS_HEADING,
        s.size_recipients_heading,
        bold=not party,
        italic=not party,
        underline=party,
        align=Align.LEFT,
        role="recipients_heading",
    )
    left: list[Cell] = [heading]
    left.extend(
        _text(line, s.size_recipients, align=Align.LEFT, role="recipient")
        for line in _recipient_lines(draft, s)
    )
    right: list[Cell] = [
        _text(line, s.size_signature, bold=True, upper=True, role="signature")
        for line in draft.signature.lines(draft.format)
    ]
    right.append(Space(s.signature_space_mm, role="signature"))
    right.append(_text(draft.signature.signer_name, s.size_signer_name, bold=True, role="signer"))
    return Columns(
        rows=(Row(tuple(left), tuple(right)),),
        left_width_mm=s.footer_left_width_mm,
        space_before_pt=_GAP_BEFORE_FOOTER_PT,
        role="footer",
    )


def build_document(draft: NoticeDraft, body: IssuingBody, settings: NoticeSettings) -> NoticeDocument:
    """Lay out a draft: header table, title and summary, body, footer table.

    ``body`` gives the header's names (its ``name`` and ``parent``); ``settings`` must be
    of the draft's format.
    """
    if draft.format is not settings.format:
        raise InvalidInput("notice_format_mismatch", draft=draft.format.value, settings=settings.format.value)
    s = settings
    blocks: list[Block] = [_header(draft, body, s), *_title(draft, s), *_body(draft, s)]
    blocks.append(_footer(draft, s))
    return NoticeDocument(
        page=a4_page(s),
        blocks=tuple(blocks),
        title=_nfc(f"{TITLE} {draft.number_line} {draft.summary}"),
        first_numbered_page=first_numbered_page(s),
        page_number_size=s.size_page_number,
    )


def a4_page(s: NoticeSettings) -> PageSetup:
    """An A4 page with the settings' margins."""
    return PageSetup(210.0, 297.0, s.margin_top_mm, s.margin_bottom_mm, s.margin_left_mm, s.margin_right_mm)


def first_numbered_page(s: NoticeSettings) -> int | None:
    """The first page that shows its number, by the settings (None: no page numbers)."""
    return {PageNumbers.FROM_PAGE_2: 2, PageNumbers.ALL: 1, PageNumbers.NONE: None}[s.page_numbers]
