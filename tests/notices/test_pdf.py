"""Golden tests of the PDF: every element of both formats read back with its position,
size and font, as a clerk checking the notice against the guidance would."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from phonghop.domain.notice import (
    IssuingBody,
    MeetingRecord,
    NoticeDraft,
    NoticeSettings,
    PageNumbers,
    SummaryUnderline,
    draft_notice,
    issue_notice,
)
from phonghop.errors import InvalidInput
from phonghop.notices import build_document, write_pdf

#: A page read back by the ``pdf_pages`` fixture (conftest's ReadPage).
ReadPage = Any
MM = 72 / 25.4
Pages = Callable[[bytes], list[ReadPage]]


def _render(draft: NoticeDraft, body: IssuingBody, settings: NoticeSettings) -> bytes:
    return write_pdf(build_document(draft, body, settings))


class Layout:
    """Where the columns and margins of a page are, from the settings."""

    def __init__(self, page: ReadPage, s: NoticeSettings) -> None:
        self.left = s.margin_left_mm * MM
        self.right = page.width - s.margin_right_mm * MM
        self.top = page.height - s.margin_top_mm * MM
        self.bottom = s.margin_bottom_mm * MM
        self.header_split = self.left + s.header_left_width_mm * MM
        self.footer_split = self.left + s.footer_left_width_mm * MM
        self.centre = (self.left + self.right) / 2

    def in_left_header(self, box: Any) -> bool:
        return bool(self.left - 0.5 <= box.left and box.right <= self.header_split + 0.5)

    def in_right_header(self, box: Any) -> bool:
        return bool(self.header_split - 0.5 <= box.left and box.right <= self.right + 0.5)


@pytest.fixture
def party_page(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings, pdf_pages: Pages
) -> ReadPage:
    return pdf_pages(_render(party_draft, party_body, party_settings))[0]


@pytest.fixture
def state_page(
    state_draft: NoticeDraft, state_body: IssuingBody, state_settings: NoticeSettings, pdf_pages: Pages
) -> ReadPage:
    return pdf_pages(_render(state_draft, state_body, state_settings))[0]


def _is_bold(font: str) -> bool:
    return font.endswith("-Bold") or font.endswith("-BoldItalic")


def _is_italic(font: str) -> bool:
    return font.endswith("Italic")


# --------------------------------------------------------------------------- Party header


def test_party_header_committee_top_left_bold_one_line_then_star(
    party_page: ReadPage, party_settings: NoticeSettings
) -> None:
    layout = Layout(party_page, party_settings)
    committee = party_page.piece("TỈNH ỦY GIA LAI")
    assert committee.size == 14 and _is_bold(committee.font)
    assert layout.in_left_header(party_page.box("TỈNH ỦY GIA LAI"))
    star = party_page.piece("*")
    assert star.y < committee.y and not _is_bold(star.font)
    assert abs(party_page.box("*").centre - party_page.box("TỈNH ỦY GIA LAI").centre) < 2


def test_party_header_national_title_top_right_with_a_rule_as_long_as_the_text(
    party_page: ReadPage, party_settings: NoticeSettings
) -> None:
    layout = Layout(party_page, party_settings)
    title = party_page.piece("ĐẢNG CỘNG SẢN VIỆT NAM")
    assert title.size == 15 and _is_bold(title.font)
    box = party_page.box("ĐẢNG CỘNG SẢN VIỆT NAM")
    assert layout.in_right_header(box)
    assert abs(title.y - party_page.piece("TỈNH ỦY GIA LAI").y) < 2  # both on the top line
    rule = party_page.rule_under(title)
    assert abs(rule.length - (box.right - box.left)) < 3  # as long as the text
    assert abs((rule.x0 + rule.x1) / 2 - box.centre) < 1


def test_party_number_without_colon_under_the_left_column(
    party_page: ReadPage, party_settings: NoticeSettings
) -> None:
    layout = Layout(party_page, party_settings)
    number = party_page.piece("Số 12-TB/TU")
    assert number.size == 14 and not _is_bold(number.font)
    assert layout.in_left_header(party_page.box("Số 12-TB/TU"))
    assert number.y < party_page.piece("*").y
    assert not any(p.text.startswith("Số:") for p in party_page.pieces)


def test_party_place_and_date_italic_in_the_right_column_under_the_rule(
    party_page: ReadPage, party_settings: NoticeSettings
) -> None:
    layout = Layout(party_page, party_settings)
    dated = party_page.piece("Gia Lai, ngày 20 tháng 02 năm 2026")
    assert dated.size == 14 and _is_italic(dated.font) and not _is_bold(dated.font)
    assert layout.in_right_header(party_page.box("Gia Lai, ngày 20 tháng 02 năm 2026"))
    rule = party_page.rule_under(party_page.piece("ĐẢNG CỘNG SẢN VIỆT NAM"))
    assert dated.y < rule.y0


def test_party_body_under_a_dang_bo_has_two_lines(
    party_draft: NoticeDraft, party_settings: NoticeSettings, party_body: IssuingBody, pdf_pages: Pages
) -> None:
    body = replace(party_body, name="ĐẢNG ỦY XÃ IA GRAI", parent="Đảng bộ tỉnh Gia Lai")
    page = pdf_pages(_render(party_draft, body, party_settings))[0]
    parent, name, star = page.piece("ĐẢNG BỘ TỈNH GIA LAI"), page.piece("ĐẢNG ỦY XÃ IA GRAI"), page.piece("*")
    assert parent.size == name.size == 14
    assert not _is_bold(parent.font) and _is_bold(name.font)
    assert parent.y > name.y > star.y
    assert Layout(page, party_settings).in_left_header(page.box("ĐẢNG BỘ TỈNH GIA LAI"))


# --------------------------------------------------------------------------- title, body


@pytest.mark.parametrize("fmt", ["party", "state"])
def test_title_centred_bold_and_summary_under_it(fmt: str, request: pytest.FixtureRequest) -> None:
    page: ReadPage = request.getfixturevalue(f"{fmt}_page")
    settings: NoticeSettings = request.getfixturevalue(f"{fmt}_settings")
    layout = Layout(page, settings)
    title = page.piece("THÔNG BÁO")
    assert title.size == settings.size_title and _is_bold(title.font)
    assert abs(page.box("THÔNG BÁO").centre - layout.centre) < 1.5
    summary = page.piece("kết luận của" if fmt == "party" else "Kết luận của")
    assert summary.y < title.y and _is_bold(summary.font) and summary.size == settings.size_summary


def test_party_summary_starts_lower_case(party_page: ReadPage) -> None:
    assert party_page.piece("kết luận của Ban Thường vụ Tỉnh ủy tại cuộc họp").text[0] == "k"


def test_numbered_conclusions_in_order_with_first_line_indent(
    party_page: ReadPage, party_settings: NoticeSettings
) -> None:
    layout = Layout(party_page, party_settings)
    labels = ["1. Về Đề án số 1", "1.1. ", "1.2. ", "2. Về Đề án số 2", "2.1. ", "2.2. "]
    found = [party_page.piece(label) for label in labels]
    assert [p.y for p in found] == sorted((p.y for p in found), reverse=True)
    indent = party_settings.first_line_indent_mm * MM
    assert all(abs(p.x - (layout.left + indent)) < 0.5 for p in found)
    assert _is_bold(found[0].font) and not _is_bold(found[1].font)
    continuation = party_page.piece("trì, phối hợp với Sở Nội vụ")  # second line: no indent
    assert abs(continuation.x - layout.left) < 0.5


def test_vote_sentence_is_printed_when_the_settings_ask(party_page: ReadPage) -> None:
    text = " ".join(p.text for p in party_page.pieces)
    assert "13/15 đồng chí tán thành (86,67%" in text
    assert "nội dung được thông qua." in text


def test_body_is_justified(party_page: ReadPage, party_settings: NoticeSettings) -> None:
    layout = Layout(party_page, party_settings)
    pieces = party_page.pieces
    leading = party_settings.size_body * 1.15 * party_settings.line_spacing
    # a line followed by a continuation line of the same paragraph is not its last line
    inner_lines = [
        a
        for a, b in itertools.pairwise(pieces)
        if a.size == b.size == party_settings.size_body
        and abs(b.x - layout.left) < 0.5
        and abs((a.y - b.y) - leading) < 0.5  # next line, same paragraph (no paragraph spacing)
    ]
    assert len(inner_lines) >= 5
    for line in inner_lines:
        assert layout.right - party_page.box(line.text).right < 1.5, line.text


# --------------------------------------------------------------------------- footer


def test_party_recipients_and_signature(party_page: ReadPage, party_settings: NoticeSettings) -> None:
    layout = Layout(party_page, party_settings)
    heading = party_page.piece("Nơi nhận:")
    assert heading.size == 14 and not _is_bold(heading.font) and not _is_italic(heading.font)
    last_body_line = party_page.piece("thực hiện.")
    assert last_body_line.y - heading.y > 1.15 * 14 + party_settings.paragraph_spacing_pt + 6  # set apart
    underline = party_page.rule_under(heading, within=4)
    box = party_page.box("Nơi nhận:")
    assert underline.x0 <= box.left + 1 and underline.x1 >= box.right - 1
    lines = [p for p in party_page.pieces if p.text.startswith("- ") and p.y < heading.y]
    assert [p.text for p in lines] == [
        "- Ban Bí thư (để báo cáo);",
        "- Các đồng chí Tỉnh ủy viên;",
        "- Các sở, ban, ngành liên quan;",
        "- Lưu Văn phòng Tỉnh ủy.",
    ]
    assert all(p.size == 12 and p.x < layout.footer_split for p in lines)
    on_behalf, title, name = (
        party_page.piece(t) for t in ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ", "Nguyễn Văn Bình")
    )
    assert all(_is_bold(p.font) for p in (on_behalf, title, name))
    assert abs(on_behalf.y - heading.y) < 1  # signature block level with "Nơi nhận:"
    assert on_behalf.y > title.y > name.y
    assert title.y - name.y >= party_settings.signature_space_mm * MM  # room to sign
    for text in ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ", "Nguyễn Văn Bình"):
        box = party_page.box(text)
        assert box.left >= layout.footer_split - 0.5
    centres = [party_page.box(t).centre for t in ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ", "Nguyễn Văn Bình")]
    assert max(centres) - min(centres) < 1.5


def test_older_recipient_line_ending(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings, pdf_pages: Pages
) -> None:
    settings = replace(party_settings, recipients_line_end=",")
    page = pdf_pages(_render(party_draft, party_body, settings))[0]
    assert page.piece("- Ban Bí thư (để báo cáo),")
    assert page.piece("- Lưu Văn phòng Tỉnh ủy.")


# --------------------------------------------------------------------------- State


def test_state_header(state_page: ReadPage, state_settings: NoticeSettings) -> None:
    layout = Layout(state_page, state_settings)
    national = state_page.piece("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    motto = state_page.piece("Độc lập - Tự do - Hạnh phúc")
    assert national.size == 13 and _is_bold(national.font)
    assert motto.size == 14 and _is_bold(motto.font) and motto.y < national.y
    assert layout.in_right_header(state_page.box("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
    motto_box = state_page.box("Độc lập - Tự do - Hạnh phúc")
    rule = state_page.rule_under(motto)
    assert abs(rule.length - (motto_box.right - motto_box.left)) < 3
    assert abs((rule.x0 + rule.x1) / 2 - motto_box.centre) < 1
    # the issuing body, set on two lines, bold, with a short rule under it
    first, second = state_page.piece("ỦY BAN NHÂN DÂN"), state_page.piece("TỈNH GIA LAI")
    assert _is_bold(first.font) and _is_bold(second.font) and first.size == 13
    assert abs(first.y - national.y) < 1
    assert layout.in_left_header(state_page.box("ỦY BAN NHÂN DÂN"))
    short = state_page.rule_under(second)
    widest = state_page.box("ỦY BAN NHÂN DÂN")
    ratio = short.length / (widest.right - widest.left)
    assert 1 / 3 - 0.05 <= ratio <= 1 / 2 + 0.05
    assert abs((short.x0 + short.x1) / 2 - widest.centre) < 1.5


def test_state_number_with_colon_and_italic_date_under_the_motto(
    state_page: ReadPage, state_settings: NoticeSettings
) -> None:
    layout = Layout(state_page, state_settings)
    number = state_page.piece("Số: 05/TB-UBND")
    assert layout.in_left_header(state_page.box("Số: 05/TB-UBND"))
    dated = state_page.piece("Gia Lai, ngày 05 tháng 3 năm 2026")
    assert _is_italic(dated.font)
    assert dated.y < state_page.piece("Độc lập - Tự do - Hạnh phúc").y
    assert abs(dated.y - number.y) < 2
    date_box = state_page.box("Gia Lai, ngày 05 tháng 3 năm 2026")
    assert layout.in_right_header(date_box)
    assert abs(date_box.centre - state_page.box("Độc lập - Tự do - Hạnh phúc").centre) < 2


def test_state_summary_has_a_short_rule_under_it(
    state_page: ReadPage, state_settings: NoticeSettings
) -> None:
    top, bottom = state_page.piece("THÔNG BÁO").y, state_page.piece("Ngày 05 tháng 7 năm 2025").y
    summary = [p for p in state_page.pieces if bottom < p.y < top]
    assert len(summary) >= 1 and summary[0].text.startswith("Kết luận của")
    assert all(_is_bold(p.font) and p.size == state_settings.size_summary for p in summary)
    rule = state_page.rule_under(summary[-1])
    widest = max((state_page.box(p.text) for p in summary), key=lambda b: b.right - b.left)
    ratio = rule.length / (widest.right - widest.left)
    assert 1 / 3 - 0.05 <= ratio <= 1 / 2 + 0.05
    assert abs((rule.x0 + rule.x1) / 2 - Layout(state_page, state_settings).centre) < 1.5


def test_state_recipients_and_signature(state_page: ReadPage, state_settings: NoticeSettings) -> None:
    heading = state_page.piece("Nơi nhận:")
    assert heading.size == 12 and heading.font.endswith("-BoldItalic")
    lines = [p for p in state_page.pieces if p.text.startswith("- ") and p.y < heading.y]
    assert all(p.size == 11 for p in lines)
    assert all(p.text.endswith(";") for p in lines[:-1])
    assert lines[-1].text == "- Lưu: VT, TH."
    signature = [
        state_page.piece(t) for t in ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Thị Hoa")
    ]
    assert [p.y for p in signature] == sorted((p.y for p in signature), reverse=True)
    assert all(_is_bold(p.font) for p in signature)
    assert not any("/" in p.text for p in signature[:3])  # the State never uses the Party slash


def test_state_body_ends_with_the_final_mark(state_page: ReadPage) -> None:
    assert any(p.text.endswith("thực hiện./.") or p.text == "hiện./." for p in state_page.pieces)


# --------------------------------------------------------------------------- file-level


@pytest.mark.parametrize("fmt", ["party", "state"])
def test_font_is_embedded(fmt: str, request: pytest.FixtureRequest) -> None:
    page: ReadPage = request.getfixturevalue(f"{fmt}_page")
    assert page.fonts
    for font in page.fonts.values():
        assert "LiberationSerif" in str(font["/BaseFont"])
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"


def _long_notice(
    party_body: IssuingBody, settings: NoticeSettings, make_record: Callable[..., MeetingRecord]
) -> bytes:
    draft = issue_notice(
        draft_notice(make_record(20), party_body, settings, date(2026, 2, 20)), 7, date(2026, 2, 20)
    )
    return _render(draft, party_body, settings)


def test_page_numbers_top_centre_from_page_two(
    party_body: IssuingBody,
    party_settings: NoticeSettings,
    make_record: Callable[..., MeetingRecord],
    pdf_pages: Pages,
) -> None:
    pages = pdf_pages(_long_notice(party_body, party_settings, make_record))
    assert len(pages) >= 3
    first = Layout(pages[0], party_settings)
    assert not [p for p in pages[0].pieces if p.y > first.top]  # nothing in page 1's top margin
    for number, page in enumerate(pages[1:], start=2):
        layout = Layout(page, party_settings)
        in_margin = [p for p in page.pieces if p.y > layout.top]
        assert [p.text for p in in_margin] == [str(number)]
        assert abs(page.box(str(number)).centre - layout.centre) < 1.5
        assert in_margin[0].size == party_settings.size_page_number


def test_page_numbers_can_be_turned_off(
    party_body: IssuingBody,
    party_settings: NoticeSettings,
    make_record: Callable[..., MeetingRecord],
    pdf_pages: Pages,
) -> None:
    settings = replace(party_settings, page_numbers=PageNumbers.NONE)
    pages = pdf_pages(_long_notice(party_body, settings, make_record))
    layout = Layout(pages[1], settings)
    assert not [p for p in pages[1].pieces if p.y > layout.top]


@pytest.mark.parametrize("fmt", ["party", "state"])
def test_text_stays_inside_the_margins(
    fmt: str,
    request: pytest.FixtureRequest,
    make_record: Callable[..., MeetingRecord],
    pdf_pages: Pages,
) -> None:
    body: IssuingBody = request.getfixturevalue(f"{fmt}_body")
    settings: NoticeSettings = replace(request.getfixturevalue(f"{fmt}_settings"), margin_left_mm=35)
    record = make_record(20, state=fmt == "state")
    draft = draft_notice(record, body, settings, date(2026, 2, 20))
    for page in pdf_pages(_render(draft, body, settings)):
        layout = Layout(page, settings)
        body_pieces = [p for p in page.pieces if p.y <= layout.top]
        assert abs(min(p.x for p in body_pieces) - layout.left) < 0.01  # starts at the margin, not inside it
        assert min(p.y for p in body_pieces) >= layout.bottom
        for piece in body_pieces[:: max(1, len(body_pieces) // 15)]:
            assert page.box(piece.text).right <= layout.right + 0.5


def test_unissued_draft_shows_a_blank_number(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings, pdf_pages: Pages
) -> None:
    page = pdf_pages(_render(replace(party_draft, number=None), party_body, party_settings))[0]
    number = page.piece("Số")
    assert number.text.replace("\xa0", " ") == "Số     -TB/TU"


def test_same_draft_gives_the_same_bytes(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings
) -> None:
    assert _render(party_draft, party_body, party_settings) == _render(
        party_draft, party_body, party_settings
    )


def test_summary_dashes_are_a_party_choice(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings, pdf_pages: Pages
) -> None:
    settings = replace(party_settings, summary_underline=SummaryUnderline.DASHES)
    page = pdf_pages(_render(party_draft, party_body, settings))[0]
    dashes = page.piece("-----")
    assert dashes.y < page.piece("kết luận của").y
    assert abs(page.box("-----").centre - Layout(page, settings).centre) < 1.5


def test_draft_and_settings_of_different_formats_are_refused(
    party_draft: NoticeDraft, party_body: IssuingBody, state_settings: NoticeSettings
) -> None:
    with pytest.raises(InvalidInput) as err:
        build_document(party_draft, party_body, state_settings)
    assert err.value.code == "notice_format_mismatch"


def test_sizes_come_from_the_settings(
    party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings, pdf_pages: Pages
) -> None:
    settings = replace(party_settings, size_body=15, size_title=15, margin_left_mm=35)
    page = pdf_pages(_render(party_draft, party_body, settings))[0]
    assert page.piece("THÔNG BÁO").size == 15
    opening = page.piece("Ngày 05/7/2025")
    assert opening.size == 15
    assert abs(opening.x - (35 + settings.first_line_indent_mm) * MM) < 0.5


def test_state_body_under_a_superior_body(
    state_draft: NoticeDraft, state_settings: NoticeSettings, state_body: IssuingBody, pdf_pages: Pages
) -> None:
    body = replace(state_body, name="Sở Tài chính", parent="UBND tỉnh Gia Lai", symbol="STC")
    draft = replace(state_draft, symbol=body.symbol)
    page = pdf_pages(_render(draft, body, state_settings))[0]
    parent, name = page.piece("UBND TỈNH GIA LAI"), page.piece("SỞ TÀI CHÍNH")
    assert not _is_bold(parent.font) and _is_bold(name.font) and parent.y > name.y
    rule = page.rule_under(name)  # the short rule is under the issuing body, not its superior
    assert rule.length < page.box("SỞ TÀI CHÍNH").right - page.box("SỞ TÀI CHÍNH").left
    assert page.piece("Số: 05/TB-STC")


@pytest.mark.parametrize(
    ("fmt", "written", "printed"),
    [
        ("party", "Lưu: Văn phòng Tỉnh ủy", "- Lưu Văn phòng Tỉnh ủy."),
        ("state", "Lưu VT, TH", "- Lưu: VT, TH."),
    ],
)
def test_file_copy_line_follows_the_format(
    fmt: str, written: str, printed: str, request: pytest.FixtureRequest, pdf_pages: Pages
) -> None:
    """Party: no colon after "Lưu"; State: "Lưu:"; whatever the office typed."""
    draft: NoticeDraft = replace(request.getfixturevalue(f"{fmt}_draft"), file_copy=written)
    body: IssuingBody = request.getfixturevalue(f"{fmt}_body")
    page = pdf_pages(_render(draft, body, request.getfixturevalue(f"{fmt}_settings")))[0]
    assert page.piece(printed)
