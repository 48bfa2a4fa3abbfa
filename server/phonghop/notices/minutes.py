"""The minutes (biên bản cuộc họp) as a document, in the issuing body's format.

The notices' own building blocks: the header of the body's format
(:func:`~phonghop.notices.model.header_columns`: Party "ĐẢNG CỘNG SẢN VIỆT NAM", State the
national motto; the number line left blank for the clerk, "Số     -BB/TU" /
"Số:     /BB-UBND"), with the classification's legal marking under the number for a
classified meeting; then "BIÊN BẢN", the meeting's name, the sections (the opening, each
agenda item with what happened and its conclusion, the closing), and at the end the
secretary's (THƯ KÝ) and the chair's (CHỦ TRÌ) signature blocks side by side. The result
is a :class:`~phonghop.notices.model.NoticeDocument`, so the notices' PDF and DOCX writers
write it (the DOCX is the same bytes for the same minutes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from phonghop.domain.documents import legal_marking
from phonghop.domain.meeting import Classification
from phonghop.domain.notice import IssuingBody, NoticeFormat, NoticeSettings, Person, format_place_date
from phonghop.notices.invitation import number_line
from phonghop.notices.model import (
    Block,
    Cell,
    Columns,
    NoticeDocument,
    Row,
    Rule,
    Space,
    Span,
    Text,
    a4_page,
    body_paragraph,
    first_numbered_page,
    header_columns,
)

__all__ = ["CHAIR", "SECRETARY", "TITLE", "MinutesFacts", "MinutesSection", "build_minutes"]

TITLE = "BIÊN BẢN"
CHAIR = "CHỦ TRÌ"
SECRETARY = "THƯ KÝ"
CONCLUSION = "Kết luận:"

_GAP_BEFORE_TITLE_PT = 18.0
_GAP_AFTER_TITLE_PT = 12.0
_GAP_BEFORE_SIGNATURES_PT = 18.0


@dataclass(frozen=True)
class MinutesSection:
    """A section as written: ``kind`` opening | record | conclusion | closing; an agenda
    item's sections carry its number and title."""

    kind: str
    number: str
    title: str
    text: str


@dataclass(frozen=True)
class MinutesFacts:
    title: str
    meeting_date: date
    classification: Classification
    chair: Person | None
    secretary: Person | None
    sections: tuple[MinutesSection, ...]


def _section(section: MinutesSection, s: NoticeSettings) -> list[Block]:
    lines = [line for line in section.text.splitlines() if line.strip()]
    blocks: list[Block] = []
    if section.kind == "record":
        heading = f"{section.number}. {section.title}" if section.number else section.title
        blocks.append(body_paragraph((Span(heading, bold=True),), s, "item", keep=True))
    if section.kind == "conclusion":
        if not lines:
            return blocks
        first = (Span(CONCLUSION, bold=True), Span(" " + lines[0]))
        blocks.append(body_paragraph(first, s, "conclusion"))
        lines = lines[1:]
    blocks += [body_paragraph((Span(line),), s, section.kind) for line in lines]
    return blocks


def _signature(label: str, person: Person | None, s: NoticeSettings) -> tuple[Cell, ...]:
    return (
        Text((Span(label, bold=True),), s.size_signature, upper=True, role="signature"),
        Space(s.signature_space_mm, role="signature"),
        Text((Span(person.name if person else "", bold=True),), s.size_signer_name, role="signer"),
    )


def build_minutes(facts: MinutesFacts, body: IssuingBody, settings: NoticeSettings) -> NoticeDocument:
    """Lay out the minutes with the body's settings (their format, sizes and margins)."""
    s = settings
    fmt = s.format
    header = header_columns(
        fmt,
        body,
        s,
        number_line=number_line(fmt, body.symbol, "BB"),
        date_line=format_place_date(body.place, facts.meeting_date),
    )
    marking = legal_marking(facts.classification)
    if marking:
        mark = Text((Span(marking, bold=True),), s.size_number, role="marking")
        header = replace(header, rows=(*header.rows, Row((mark,), (Space(1.0),))))
    page = a4_page(s)
    blocks: list[Block] = [
        header,
        Text(
            (Span(TITLE, bold=True),),
            s.size_title,
            space_before_pt=_GAP_BEFORE_TITLE_PT,
            keep_with_next=True,
            role="title",
        ),
        Text(
            (Span(facts.title, bold=True),),
            s.size_summary,
            rule=Rule(s.summary_rule_fraction) if fmt is NoticeFormat.STATE else None,
            space_after_pt=_GAP_AFTER_TITLE_PT,
            role="summary",
        ),
    ]
    for section in facts.sections:
        blocks += _section(section, s)
    blocks.append(
        Columns(
            rows=(Row(_signature(SECRETARY, facts.secretary, s), _signature(CHAIR, facts.chair, s)),),
            left_width_mm=page.text_width_mm / 2,
            space_before_pt=_GAP_BEFORE_SIGNATURES_PT,
            role="signatures",
        )
    )
    return NoticeDocument(
        page=page,
        blocks=tuple(blocks),
        title=f"{TITLE} {facts.title}",
        first_numbered_page=first_numbered_page(s),
        page_number_size=s.size_page_number,
    )
