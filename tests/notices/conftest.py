"""Shared fixtures of the notice tests: a Party and a State issuer, a meeting record, and
a reader that gives every piece of text of a generated PDF with its position and font."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from phonghop.demo.notices import PARTY_BODY, PASSED_VOTE, STATE_BODY, sample_record
from phonghop.domain.notice import (
    IssuingBody,
    MeetingRecord,
    NoticeDraft,
    NoticeFormat,
    NoticeSettings,
    RecordedVote,
    draft_notice,
    issue_notice,
)

MM = 72 / 25.4


@pytest.fixture
def party_body() -> IssuingBody:
    return PARTY_BODY


@pytest.fixture
def state_body() -> IssuingBody:
    return STATE_BODY


@pytest.fixture
def make_record() -> Callable[..., MeetingRecord]:
    """``make_record(items=2, votes=(), state=False)``: a meeting record to draft from."""
    return sample_record


@pytest.fixture
def passed_vote() -> RecordedVote:
    return PASSED_VOTE


@pytest.fixture
def record() -> MeetingRecord:
    return sample_record(votes=(PASSED_VOTE,))


@pytest.fixture
def party_settings() -> NoticeSettings:
    return NoticeSettings.from_dict({"format": "party", "include_votes": True})


@pytest.fixture
def state_settings() -> NoticeSettings:
    return NoticeSettings.defaults(NoticeFormat.STATE)


@pytest.fixture
def party_draft(
    record: MeetingRecord, party_body: IssuingBody, party_settings: NoticeSettings
) -> NoticeDraft:
    return issue_notice(
        draft_notice(record, party_body, party_settings, date(2026, 2, 20)), 12, date(2026, 2, 20)
    )


@pytest.fixture
def state_draft(state_body: IssuingBody, state_settings: NoticeSettings) -> NoticeDraft:
    record = sample_record(state=True)
    return issue_notice(
        draft_notice(record, state_body, state_settings, date(2026, 3, 5)), 5, date(2026, 3, 5)
    )


@dataclass(frozen=True)
class Piece:
    """A piece of text drawn on a PDF page, in points from the bottom-left corner."""

    text: str
    x: float
    y: float
    size: float
    font: str


@dataclass(frozen=True)
class Segment:
    """A straight line drawn on the page (a rule, an underline)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def length(self) -> float:
        return abs(self.x1 - self.x0)


@dataclass(frozen=True)
class Box:
    """The ink box of a text found on the page (pdfium's glyph boxes)."""

    left: float
    bottom: float
    right: float
    top: float

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


@dataclass
class ReadPage:
    """One page of a generated PDF, read back independently of the writer."""

    pdf: bytes
    index: int
    width: float
    height: float
    pieces: list[Piece]
    segments: list[Segment]
    fonts: dict[str, Any]

    def piece(self, text: str) -> Piece:
        """The piece whose text is ``text`` (or, failing that, starts with it)."""
        exact = [p for p in self.pieces if p.text == text]
        found = exact or [p for p in self.pieces if p.text.startswith(text)]
        assert found, f"{text!r} not on page {self.index + 1}: {[p.text for p in self.pieces]}"
        return found[0]

    def box(self, text: str) -> Box:
        """Where the glyphs of ``text`` are, found by pdfium's own text search."""
        document = pdfium.PdfDocument(self.pdf)
        try:
            textpage = document[self.index].get_textpage()
            found = textpage.search(text, match_case=True).get_next()
            assert found, f"{text!r} not found by pdfium on page {self.index + 1}"
            start, count = found
            boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
        finally:
            document.close()
        return Box(
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def rule_under(self, piece: Piece, within: float = 12.0) -> Segment:
        """The horizontal line drawn just under ``piece``'s baseline, across its text."""
        box = self.box(piece.text)
        below = [
            s
            for s in self.segments
            if s.y0 == s.y1
            and 0 < piece.y - s.y0 <= within
            and min(s.x0, s.x1) < box.right
            and max(s.x0, s.x1) > box.left
        ]
        assert below, f"no rule under {piece.text!r}"
        return min(below, key=lambda s: piece.y - s.y0)


def _transform(cm: Any, x: float, y: float) -> tuple[float, float]:
    return cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5]


def read_pdf(pdf: bytes) -> list[ReadPage]:
    """Every page: text pieces with position (text matrix × CTM), size and font name;
    straight lines; the fonts of the page's resources."""
    out: list[ReadPage] = []
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        pieces: list[Piece] = []
        segments: list[Segment] = []
        start: list[tuple[float, float]] = []

        def visit_text(
            text: str, cm: Any, tm: Any, font: Any, size: float, pieces: list[Piece] = pieces
        ) -> None:
            if not text.strip():
                return
            x, y = _transform(cm, float(tm[4]), float(tm[5]))
            name = str(font.get("/BaseFont", "")) if font else ""
            pieces.append(Piece(text.strip(), x, y, float(size) * float(tm[3]) * float(cm[3]), name))

        def visit_op(
            op: bytes,
            args: Any,
            cm: Any,
            tm: Any,
            segments: list[Segment] = segments,
            start: list[Any] = start,
        ) -> None:
            if op == b"m":
                start[:] = [_transform(cm, float(args[0]), float(args[1]))]
            elif op == b"l" and start:
                x1, y1 = _transform(cm, float(args[0]), float(args[1]))
                segments.append(Segment(start[0][0], start[0][1], x1, y1))

        page.extract_text(visitor_text=visit_text, visitor_operand_before=visit_op)
        resources: Any = page["/Resources"]
        fonts = {str(k): v.get_object() for k, v in resources["/Font"].items()}
        box = page.mediabox
        out.append(ReadPage(pdf, index, float(box.width), float(box.height), pieces, segments, fonts))
    return out


@pytest.fixture
def pdf_pages() -> Callable[[bytes], list[ReadPage]]:
    return read_pdf
