"""The minutes' pure rules: what a save stores, and a conclusion section as notice points."""

from __future__ import annotations

import unicodedata

import pytest

from phonghop.domain.minutes import MAX_SECTION, clean_sections, conclusion_points, section_keys
from phonghop.errors import InvalidInput


def test_the_sections_are_the_opening_each_item_record_and_conclusion_and_the_closing() -> None:
    assert section_keys([4, 2]) == [
        "opening",
        "item:4:record",
        "item:4:conclusion",
        "item:2:record",
        "item:2:conclusion",
        "closing",
    ]


def test_a_save_stores_nfc_lines_with_spaces_folded_and_no_empty_lines() -> None:
    typed = unicodedata.normalize("NFD", "  Đồng chí   Hùng phát biểu.\r\n\n\tThống nhất.  ")
    assert clean_sections({"item:4:record": typed}, [4]) == {
        "item:4:record": "Đồng chí Hùng phát biểu.\nThống nhất."
    }
    assert clean_sections({"closing": "  \n "}, [4]) == {"closing": ""}


@pytest.mark.parametrize(
    "sections",
    [{"item:5:record": "x"}, {"item:4:notes": "x"}, {"Opening": "x"}, {"opening": "x" * (MAX_SECTION + 1)}],
)
def test_a_section_the_meeting_does_not_have_or_too_long_is_refused(sections: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_sections(sections, [4])
    assert refused.value.code == "minutes_invalid" and refused.value.params == {"field": next(iter(sections))}


def test_a_conclusion_section_gives_one_point_per_line_without_the_list_marks() -> None:
    text = (
        "- Thống nhất chủ trương.\n\n2. Giao Sở Tài chính chủ trì.\n"
        "+ Báo cáo trước 15/12.\nb) Ý kiến khác.\n2027 là năm bản lề."
    )
    assert conclusion_points(text) == (
        "Thống nhất chủ trương.",
        "Giao Sở Tài chính chủ trì.",
        "Báo cáo trước 15/12.",
        "Ý kiến khác.",
        "2027 là năm bản lề.",
    )
    assert conclusion_points(" \n ") == ()
