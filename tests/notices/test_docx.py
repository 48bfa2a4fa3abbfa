"""The DOCX read back with python-docx: the same notice as the PDF, editable."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from phonghop.domain.notice import IssuingBody, NoticeDraft, NoticeSettings, PageNumbers
from phonghop.notices import build_document, write_docx, write_pdf
from phonghop.notices.invitation import QR_MM, Invitee, MeetingFacts, build_invitation

#: A page read back by the ``pdf_pages`` fixture (conftest's ReadPage).
ReadPage = Any
FONT = "Times New Roman"


def _open(draft: NoticeDraft, body: IssuingBody, settings: NoticeSettings) -> Any:
    return docx.Document(io.BytesIO(write_docx(build_document(draft, body, settings))))


@pytest.fixture
def party_docx(party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings) -> Any:
    return _open(party_draft, party_body, party_settings)


@pytest.fixture
def state_docx(state_draft: NoticeDraft, state_body: IssuingBody, state_settings: NoticeSettings) -> Any:
    return _open(state_draft, state_body, state_settings)


def _texts(cell: Any) -> list[str]:
    return [p.text for p in cell.paragraphs if p.text]


def _runs(paragraph: Any) -> list[Any]:
    return [r for r in paragraph.runs if r.text]


def _rule_length_pt(paragraph: Any, cell_width_pt: float) -> float | None:
    """The length of the rule an empty paragraph carries as its bottom border, or None."""
    borders = paragraph._p.pPr.find(qn("w:pBdr")) if paragraph._p.pPr is not None else None
    if paragraph.text or borders is None or borders.find(qn("w:bottom")) is None:
        return None
    fmt = paragraph.paragraph_format
    left = fmt.left_indent.pt if fmt.left_indent else 0.0
    right = fmt.right_indent.pt if fmt.right_indent else 0.0
    return float(cell_width_pt - left - right)


def _close(a: Any, b: Any, tolerance: int = Mm(0.1)) -> bool:
    return abs(int(a) - int(b)) <= tolerance


def test_page_is_a4_with_the_settings_margins(party_docx: Any, party_settings: NoticeSettings) -> None:
    section = party_docx.sections[0]
    assert _close(section.page_width, Mm(210)) and _close(section.page_height, Mm(297))
    assert _close(section.top_margin, Mm(party_settings.margin_top_mm))
    assert _close(section.bottom_margin, Mm(party_settings.margin_bottom_mm))
    assert _close(section.left_margin, Mm(party_settings.margin_left_mm))
    assert _close(section.right_margin, Mm(party_settings.margin_right_mm))


def test_times_new_roman_for_every_script(party_docx: Any) -> None:
    normal = party_docx.styles["Normal"]
    assert normal.font.name == FONT
    defaults = party_docx.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    assert {fonts.get(qn(a)) for a in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")} == {FONT}
    assert fonts.get(qn("w:asciiTheme")) is None  # a theme font would win over the name
    runs = [r for p in party_docx.paragraphs for r in _runs(p)]
    runs += [r for t in party_docx.tables for c in t._cells for p in c.paragraphs for r in _runs(p)]
    assert runs
    for run in runs:
        rfonts = run._element.rPr.find(qn("w:rFonts"))
        assert (
            run.font.name == FONT and rfonts.get(qn("w:eastAsia")) == FONT and rfonts.get(qn("w:cs")) == FONT
        )


def test_party_header_table(party_docx: Any, party_settings: NoticeSettings) -> None:
    header = party_docx.tables[0]
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert all(el.get(qn("w:val")) == "nil" for el in borders)
    assert _close(header.columns[0].width, Mm(party_settings.header_left_width_mm))
    left, right = header.cell(0, 0), header.cell(0, 1)
    assert _texts(left) == ["TỈNH ỦY GIA LAI", "*"]
    (committee,) = _runs(left.paragraphs[0])
    assert committee.bold and committee.font.size == Pt(14)
    assert left.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert _texts(right) == ["ĐẢNG CỘNG SẢN VIỆT NAM"]
    (national,) = _runs(right.paragraphs[0])
    assert national.bold and national.font.size == Pt(15)
    right_width = (210 - party_settings.margin_left_mm - party_settings.margin_right_mm) - (
        party_settings.header_left_width_mm
    )
    assert _rule_length_pt(right.paragraphs[1], right_width * 72 / 25.4) is not None
    assert _texts(header.cell(1, 0)) == ["Số 12-TB/TU"]
    (dated,) = _runs(header.cell(1, 1).paragraphs[0])
    assert dated.text == "Gia Lai, ngày 20 tháng 02 năm 2026"
    assert dated.italic and not dated.bold and dated.font.size == Pt(14)


def test_rules_are_as_long_in_the_docx_as_in_the_pdf(
    party_draft: NoticeDraft,
    party_body: IssuingBody,
    party_settings: NoticeSettings,
    pdf_pages: Callable[[bytes], list[ReadPage]],
) -> None:
    doc = build_document(party_draft, party_body, party_settings)
    page = pdf_pages(write_pdf(doc))[0]
    pdf_rule = page.rule_under(page.piece("ĐẢNG CỘNG SẢN VIỆT NAM"))
    document = docx.Document(io.BytesIO(write_docx(doc)))
    right = document.tables[0].cell(0, 1)
    width_pt = document.tables[0].columns[1].width.pt
    docx_rule = _rule_length_pt(right.paragraphs[1], width_pt)
    assert docx_rule is not None and abs(docx_rule - pdf_rule.length) < 1


def test_title_summary_and_body_paragraphs(party_docx: Any, party_settings: NoticeSettings) -> None:
    paragraphs = [p for p in party_docx.paragraphs if p.text]
    title, summary, opening = paragraphs[0], paragraphs[1], paragraphs[2]
    assert title.text == "THÔNG BÁO" and title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert all(r.bold for r in _runs(title)) and _runs(title)[0].font.size == Pt(party_settings.size_title)
    assert summary.text.startswith("kết luận của Ban Thường vụ Tỉnh ủy")
    assert summary.alignment == WD_ALIGN_PARAGRAPH.CENTER and all(r.bold for r in _runs(summary))
    assert opening.text.startswith("Ngày 05/7/2025, Ban Thường vụ Tỉnh ủy tổ chức họp")
    fmt = opening.paragraph_format
    assert opening.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert _close(fmt.first_line_indent, Mm(party_settings.first_line_indent_mm))
    assert fmt.space_after == Pt(party_settings.paragraph_spacing_pt)
    assert fmt.line_spacing == party_settings.line_spacing
    assert _runs(opening)[0].font.size == Pt(party_settings.size_body)


def test_numbered_points_in_order_with_bold_headings(party_docx: Any) -> None:
    labelled = [p for p in party_docx.paragraphs if re.match(r"^\d+(\.\d+)*\. ", p.text)]
    assert [p.text.split(" ", 1)[0] for p in labelled] == ["1.", "1.1.", "1.2.", "2.", "2.1.", "2.2."]
    heading, point = labelled[0], labelled[1]
    assert all(r.bold for r in _runs(heading))
    assert not any(r.bold for r in _runs(point))
    assert labelled[2].text.endswith("hoàn thành trước ngày 15/7/2025.")
    assert any("13/15 đồng chí tán thành (86,67% tổng số)" in p.text for p in party_docx.paragraphs)


def test_party_footer(party_docx: Any) -> None:
    footer = party_docx.tables[1]
    left, right = footer.cell(0, 0), footer.cell(0, 1)
    assert _texts(left) == [
        "Nơi nhận:",
        "- Ban Bí thư (để báo cáo);",
        "- Các đồng chí Tỉnh ủy viên;",
        "- Các sở, ban, ngành liên quan;",
        "- Lưu Văn phòng Tỉnh ủy.",
    ]
    (heading,) = _runs(left.paragraphs[0])
    assert heading.underline and not heading.bold and heading.font.size == Pt(14)
    assert all(_runs(p)[0].font.size == Pt(12) for p in left.paragraphs[1:])
    assert _texts(right) == ["T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ", "Nguyễn Văn Bình"]
    assert all(r.bold for p in right.paragraphs for r in _runs(p))
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER for p in right.paragraphs if p.text)


def test_state_header_and_footer(state_docx: Any) -> None:
    header = state_docx.tables[0]
    left, right = header.cell(0, 0), header.cell(0, 1)
    assert _texts(left) == ["ỦY BAN NHÂN DÂN\nTỈNH GIA LAI"]
    assert _texts(right) == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    motto = _runs(right.paragraphs[1])[0]
    assert motto.bold and motto.font.size == Pt(14) and _runs(right.paragraphs[0])[0].font.size == Pt(13)
    left_width = header.columns[0].width.pt
    issuer_rule = _rule_length_pt(left.paragraphs[1], left_width)
    assert issuer_rule is not None and issuer_rule < 0.6 * left_width  # a short rule
    assert _texts(header.cell(1, 0)) == ["Số: 05/TB-UBND"]
    footer = state_docx.tables[1]
    heading = _runs(footer.cell(0, 0).paragraphs[0])[0]
    assert heading.text == "Nơi nhận:" and heading.bold and heading.italic and heading.font.size == Pt(12)
    items = footer.cell(0, 0).paragraphs[1:]
    assert all(_runs(p)[0].font.size == Pt(11) for p in items)
    assert items[-1].text == "- Lưu: VT, TH."
    assert _texts(footer.cell(0, 1)) == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Trần Thị Hoa",
    ]


def test_state_summary_has_a_short_rule(state_docx: Any) -> None:
    paragraphs = state_docx.paragraphs
    index = next(i for i, p in enumerate(paragraphs) if p.text.startswith("Kết luận của"))
    section = state_docx.sections[0]
    text_width = section.page_width.pt - section.left_margin.pt - section.right_margin.pt
    length = _rule_length_pt(paragraphs[index + 1], text_width)
    assert length is not None and 0.15 * text_width < length < 0.5 * text_width


def test_page_number_field_from_page_two(party_docx: Any) -> None:
    section = party_docx.sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" in "".join(t.text for t in section.header._element.iter(qn("w:instrText")))
    assert not list(section.first_page_header._element.iter(qn("w:instrText")))


def test_no_page_numbers_when_turned_off(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings
) -> None:
    document = _open(party_draft, party_body, replace(party_settings, page_numbers=PageNumbers.NONE))
    assert not list(document.sections[0].header._element.iter(qn("w:instrText")))


def test_every_docx_text_is_in_the_pdf(
    party_draft: NoticeDraft,
    party_body: IssuingBody,
    party_settings: NoticeSettings,
    pdf_pages: Callable[[bytes], list[ReadPage]],
) -> None:
    """One model, two writers: the same words end up in both files."""
    doc = build_document(party_draft, party_body, party_settings)
    pdf_text = " ".join(p.text for page in pdf_pages(write_pdf(doc)) for p in page.pieces)
    pdf_text = " ".join(pdf_text.replace("\xa0", " ").split())
    document = docx.Document(io.BytesIO(write_docx(doc)))
    texts = [p.text for p in document.paragraphs]
    texts += [p.text for t in document.tables for c in t._cells for p in c.paragraphs]
    texts = [" ".join(t.split()) for t in texts if t.strip()]
    assert len(texts) > 20
    for text in texts:
        assert text in pdf_text, text


def test_centred_lines_break_where_the_pdf_breaks(
    state_draft: NoticeDraft,
    state_body: IssuingBody,
    state_settings: NoticeSettings,
    pdf_pages: Callable[[bytes], list[ReadPage]],
) -> None:
    """A word processor's own wrapping could move a word; the DOCX carries the PDF's breaks."""
    doc = build_document(state_draft, state_body, state_settings)
    page = pdf_pages(write_pdf(doc))[0]
    top, bottom = page.piece("THÔNG BÁO").y, page.piece("Ngày 05 tháng 7 năm 2025").y
    pdf_lines = [p.text for p in page.pieces if bottom < p.y < top]
    assert len(pdf_lines) >= 2
    document = docx.Document(io.BytesIO(write_docx(doc)))
    summary = next(p for p in document.paragraphs if p.text.startswith("Kết luận của"))
    assert summary.text.split("\n") == pdf_lines


def test_the_same_notice_gives_the_same_docx_bytes_on_another_day(
    state_draft: NoticeDraft,
    state_body: IssuingBody,
    state_settings: NoticeSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fixed ZIP entry times: a notice written again a year later is byte-identical, as
    its PDF is (the clock is moved, not waited for)."""
    doc = build_document(state_draft, state_body, state_settings)
    first = write_docx(doc)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 366 * 86400 + 3 * 3600 + 17)
    assert write_docx(doc) == first
    entries = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert entries and {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    assert docx.Document(io.BytesIO(first)).paragraphs  # still a document Word opens


def test_a_qr_code_in_a_column_is_a_picture_of_its_size(
    party_body: IssuingBody, party_settings: NoticeSettings
) -> None:
    """The giấy mời's personal QR code, written by the DOCX writer too (same model)."""
    starts = datetime(2027, 11, 29, 8)  # layout only: nothing compares it with today
    facts = MeetingFacts("Hội nghị", starts, "Phòng họp", (), starts.date(), join_code="ABCD2345")
    person = Invitee("Lê Văn Cường", personal_code="WXYZ6789", personal_link="https://phonghop.lan/tablet/#x")
    document = docx.Document(
        io.BytesIO(write_docx(build_invitation(party_body, party_settings, None, facts, [person])))
    )
    [picture] = document.inline_shapes
    assert _close(picture.width, Mm(QR_MM)) and _close(picture.height, Mm(QR_MM))
    cells = [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    assert any("WXYZ6789" in text for text in cells)
