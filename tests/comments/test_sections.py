"""Where a comment belongs in a draft: headings found in the pages' text."""

from __future__ import annotations

from phonghop.domain.sections import find_headings, match_section, section_at

LONG = "x" * 60

RESOLUTION = [
    "DỰ THẢO\nNGHỊ QUYẾT\nPHẦN THỨ NHẤT\nQuy định chung\nChương I\nNHỮNG QUY ĐỊNH CHUNG\n"
    "Điều 1. Phạm vi điều chỉnh\n1. Nghị quyết này quy định " + LONG + "\n2. Đối tượng áp dụng",
    "Mục 2\nHỖ TRỢ DOANH NGHIỆP\nĐiều 5. Mức hỗ trợ\n1. Hỗ trợ 50% chi phí " + LONG + "\n"
    "Theo quy định tại Điều 5 của Luật Ngân sách " + LONG,
    "Chương II\nTỔ CHỨC THỰC HIỆN\nĐiều 50. Hiệu lực thi hành\nNghị quyết có hiệu lực.",
]


def test_articles_chapters_and_parts_are_headings_and_clauses_are_not() -> None:
    found = [(h.page, h.label, h.title) for h in find_headings(RESOLUTION)]
    assert found == [
        (1, "Phần thứ nhất", "PHẦN THỨ NHẤT"),
        (1, "Chương I", "Chương I"),
        (1, "Điều 1", "Điều 1. Phạm vi điều chỉnh"),
        (2, "Mục 2", "Mục 2"),
        (2, "Điều 5", "Điều 5. Mức hỗ trợ"),
        (3, "Chương II", "Chương II"),
        (3, "Điều 50", "Điều 50. Hiệu lực thi hành"),
    ]


def test_a_report_numbers_its_sections_and_long_numbered_lines_are_paragraphs() -> None:
    report = [
        "BÁO CÁO\nI. KẾT QUẢ NĂM 2026\n1. Công tác chính trị, tư tưởng\nCác cấp ủy " + LONG + "\n"
        "2. Tiếp tục tổ chức thực hiện có hiệu quả Nghị quyết Đại hội " + LONG,
        "II. PHƯƠNG HƯỚNG NĂM 2027\nNội dung " + LONG + "\nVI. not a heading after all? " + LONG,
    ]
    titles = [h.title for h in find_headings(report)]
    assert titles == ["I. KẾT QUẢ NĂM 2026", "1. Công tác chính trị, tư tưởng", "II. PHƯƠNG HƯỚNG NĂM 2027"]


def test_the_section_of_a_place_is_the_last_heading_before_it() -> None:
    headings = find_headings(RESOLUTION)
    # Page 2: "Mục 2" is its first line, "Điều 5" its third of six.
    assert section_at(headings, 2, None) is not None
    assert section_at(headings, 2, None).label == "Điều 5"  # type: ignore[union-attr]
    assert section_at(headings, 2, 0.0).label == "Mục 2"  # type: ignore[union-attr]
    assert section_at(headings, 2, 0.9).label == "Điều 5"  # type: ignore[union-attr]
    assert section_at(headings, 3, 0.0).label == "Chương II"  # type: ignore[union-attr]
    assert section_at(find_headings(["Lời nói đầu\n" + LONG, "Điều 1. Áp dụng"]), 1) is None


def test_a_section_written_by_hand_names_a_heading() -> None:
    headings = find_headings(RESOLUTION)
    assert match_section(headings, "điều 5, khoản 2").title == "Điều 5. Mức hỗ trợ"  # type: ignore[union-attr]
    assert match_section(headings, "ĐIỀU 5").label == "Điều 5"  # type: ignore[union-attr]
    assert match_section(headings, "Điều 50").label == "Điều 50"  # type: ignore[union-attr]
    assert match_section(headings, "Chương II").label == "Chương II"  # type: ignore[union-attr]
    assert match_section(headings, "Điều 7") is None
    assert match_section(headings, "") is None
