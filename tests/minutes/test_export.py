"""The minutes as DOCX and PDF, in the Party and the State format: the header of the
body's format, "BIÊN BẢN", the meeting's name, the sections, the classification marking,
the signature blocks of the secretary and the chair side by side."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import docx
import pytest
from pypdf import PdfReader

from phonghop.demo.notices import PARTY_BODY, STATE_BODY
from phonghop.domain.meeting import Classification
from phonghop.domain.notice import IssuingBody, NoticeFormat, NoticeSettings, Person
from phonghop.notices import write_docx, write_pdf
from phonghop.notices.minutes import MinutesFacts, MinutesSection, build_minutes

# Decomposed on purpose (as text pasted from some systems arrives): the files carry NFC.
OPENING = unicodedata.normalize("NFD", "Thời gian: bắt đầu lúc 08 giờ 00 phút, ngày 07/12/2026.")
RECORD = "Sở Tài chính trình bày.\nÝ kiến phát biểu: đồng chí Lê Văn Cường."
CONCLUSION = "Thống nhất thông qua Tờ trình.\nGiao Sở Tài chính hoàn thiện hồ sơ."
CLOSING = "Cuộc họp kết thúc lúc 11 giờ 30 phút, ngày 07/12/2026."


def facts(classification: Classification = Classification.NORMAL) -> MinutesFacts:
    return MinutesFacts(
        title="Hội nghị Ban Thường vụ Tỉnh ủy tháng 12",
        meeting_date=date(2026, 12, 7),
        classification=classification,
        chair=Person("Hồ Văn Niên", "Bí thư Tỉnh ủy"),
        secretary=Person("Trần Thị Bình", "Chánh Văn phòng"),
        sections=(
            MinutesSection("opening", "", "", OPENING),
            MinutesSection("record", "1", "Tờ trình kế hoạch năm 2027", RECORD),
            MinutesSection("conclusion", "1", "Tờ trình kế hoạch năm 2027", CONCLUSION),
            MinutesSection("record", "2", "Báo cáo giải ngân", ""),
            MinutesSection("conclusion", "2", "Báo cáo giải ngân", ""),
            MinutesSection("closing", "", "", CLOSING),
        ),
    )


FORMATS = [
    pytest.param(PARTY_BODY, NoticeFormat.PARTY, "ĐẢNG CỘNG SẢN VIỆT NAM", "Số     -BB/TU", id="party"),
    pytest.param(
        STATE_BODY, NoticeFormat.STATE, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số:     /BB-", id="state"
    ),
]


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize(("body", "fmt", "national", "number"), FORMATS)
def test_both_files_carry_the_header_title_sections_and_signatures(
    body: IssuingBody, fmt: NoticeFormat, national: str, number: str
) -> None:
    doc = build_minutes(facts(), body, NoticeSettings.defaults(fmt))
    for text in (docx_text(write_docx(doc)), pdf_text(write_pdf(doc))):
        text = unicodedata.normalize("NFC", text)
        assert national in text
        assert number in text.replace("\u00a0", " ")
        assert "BIÊN BẢN" in text
        assert "Hội nghị Ban Thường vụ Tỉnh ủy tháng 12" in text
        assert unicodedata.normalize("NFC", OPENING) in text
        assert "1. Tờ trình kế hoạch năm 2027" in text
        assert "Ý kiến phát biểu: đồng chí Lê Văn Cường." in text
        assert "Kết luận: Thống nhất thông qua Tờ trình." in text
        assert "Giao Sở Tài chính hoàn thiện hồ sơ." in text
        assert "2. Báo cáo giải ngân" in text
        assert CLOSING in text
        assert "THƯ KÝ" in text and "CHỦ TRÌ" in text
        assert "Trần Thị Bình" in text and "Hồ Văn Niên" in text
        assert "MẬT" not in text
        # The headings come in the order of the minutes, the signatures last.
        order = [
            text.index(s) for s in ("BIÊN BẢN", "1. Tờ trình", "Kết luận:", "2. Báo cáo", CLOSING, "THƯ KÝ")
        ]
        assert order == sorted(order)


def test_the_signature_blocks_stand_side_by_side_secretary_left_chair_right() -> None:
    data = write_docx(build_minutes(facts(), PARTY_BODY, NoticeSettings.defaults(NoticeFormat.PARTY)))
    last = docx.Document(io.BytesIO(data)).tables[-1]
    left, right = (cell.text for cell in last.rows[0].cells)
    assert left.split() == ["THƯ", "KÝ", "Trần", "Thị", "Bình"]
    assert right.split() == ["CHỦ", "TRÌ", "Hồ", "Văn", "Niên"]


@pytest.mark.parametrize(
    ("classification", "marking"),
    [
        (Classification.CONFIDENTIAL, "MẬT"),
        (Classification.SECRET, "TỐI MẬT"),
        (Classification.TOP_SECRET, "TUYỆT MẬT"),
    ],
)
def test_a_classified_meeting_carries_its_marking_under_the_number(
    classification: Classification, marking: str
) -> None:
    doc = build_minutes(facts(classification), PARTY_BODY, NoticeSettings.defaults(NoticeFormat.PARTY))
    header = docx.Document(io.BytesIO(write_docx(doc))).tables[0]
    assert header.rows[-1].cells[0].text == marking
    assert header.rows[-2].cells[0].text.replace("\u00a0", " ").startswith("Số")
    lines = [line.strip() for line in pdf_text(write_pdf(doc)).splitlines()]
    assert lines.index(marking) == lines.index("Số     -BB/TU") + 2  # under the number and date


def test_the_same_minutes_give_the_same_docx_bytes() -> None:
    settings = NoticeSettings.defaults(NoticeFormat.STATE)
    first = write_docx(build_minutes(facts(), STATE_BODY, settings))
    again = write_docx(build_minutes(facts(), STATE_BODY, settings))
    assert first == again
    changed = MinutesFacts(**{**facts().__dict__, "title": "Hội nghị khác"})
    assert write_docx(build_minutes(changed, STATE_BODY, settings)) != first
