"""Per-format defaults, and the JSON form the server keeps per issuing body."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest

from phonghop.domain.notice import (
    NoticeFormat,
    NoticeSettings,
    OpeningPattern,
    PageNumbers,
    SummaryUnderline,
)
from phonghop.errors import InvalidInput


def test_party_defaults_follow_the_party_guidance() -> None:
    s = NoticeSettings.defaults(NoticeFormat.PARTY)
    assert s.size_national == 15  # ĐẢNG CỘNG SẢN VIỆT NAM
    assert s.size_issuer == 14 and s.size_parent == 14 and s.size_number == 14 and s.size_date == 14
    assert 15 <= s.size_title <= 16
    assert 14 <= s.size_summary <= 15 and 14 <= s.size_body <= 15
    assert (s.size_recipients_heading, s.size_recipients) == (14, 12)
    assert s.recipients_line_end == ";"
    assert s.summary_underline is SummaryUnderline.NONE
    assert s.final_mark == "."


def test_state_defaults_follow_decree_30() -> None:
    s = NoticeSettings.defaults(NoticeFormat.STATE)
    assert 12 <= s.size_national <= 13  # CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
    assert 13 <= s.size_motto <= 14  # Độc lập - Tự do - Hạnh phúc
    assert 12 <= s.size_issuer <= 13
    assert 13 <= s.size_summary <= 14 and 13 <= s.size_body <= 14
    assert (s.size_recipients_heading, s.size_recipients) == (12, 11)
    assert s.summary_underline is SummaryUnderline.RULE
    assert 1 / 3 <= s.summary_rule_fraction <= 1 / 2
    assert 1 / 3 <= s.issuer_rule_fraction <= 1 / 2


@pytest.mark.parametrize("fmt", list(NoticeFormat))
def test_page_and_paragraph_defaults_of_both_formats(fmt: NoticeFormat) -> None:
    s = NoticeSettings.defaults(fmt)
    assert 20 <= s.margin_top_mm <= 25 and 20 <= s.margin_bottom_mm <= 25
    assert 30 <= s.margin_left_mm <= 35 and 15 <= s.margin_right_mm <= 20
    assert 10 <= s.first_line_indent_mm <= 12.7
    assert s.paragraph_spacing_pt >= 6
    assert s.page_numbers is PageNumbers.FROM_PAGE_2
    assert s.include_votes is False
    assert s.opening_pattern is OpeningPattern.MEETING


@pytest.mark.parametrize("fmt", list(NoticeFormat))
def test_round_trip_through_json(fmt: NoticeFormat) -> None:
    s = NoticeSettings.defaults(fmt)
    text = json.dumps(s.to_dict())
    assert NoticeSettings.from_dict(json.loads(text)) == s


def test_from_dict_overrides_the_format_defaults() -> None:
    s = NoticeSettings.from_dict(
        {"format": "state", "recipients_line_end": ",", "opening_pattern": "session", "size_body": 13}
    )
    assert s.recipients_line_end == ","
    assert s.opening_pattern is OpeningPattern.SESSION
    assert s.size_body == 13.0
    assert s.size_recipients == 11  # untouched State default


def _refused(data: Any) -> str:
    with pytest.raises(InvalidInput) as err:
        NoticeSettings.from_dict(data)
    assert err.value.code == "notice_setting_invalid"
    return str(err.value.params["field"])


def test_unknown_key_is_refused_and_named() -> None:
    assert _refused({"format": "party", "font_colour": "red"}) == "font_colour"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("size_body", 100),
        ("size_body", 2),
        ("size_body", math.nan),
        ("size_body", "14"),
        ("size_body", True),
        ("margin_left_mm", 0),
        ("first_line_indent_mm", -1),
        ("paragraph_spacing_pt", 99),
        ("line_spacing", 0.5),
        ("summary_rule_fraction", 0),
        ("recipients_line_end", "."),
        ("final_mark", "!"),
        ("opening_pattern", "speech"),
        ("page_numbers", "bottom"),
        ("include_votes", "yes"),
        ("header_left_width_mm", 150),
    ],
)
def test_out_of_range_or_mistyped_values_are_refused(key: str, value: Any) -> None:
    assert _refused({"format": "party", key: value}) == key


@pytest.mark.parametrize("data", [{}, {"format": "royal"}, {"format": None}])
def test_format_is_required(data: dict[str, Any]) -> None:
    assert _refused(data) == "format"


def test_integers_are_accepted_for_sizes() -> None:
    assert NoticeSettings.from_dict({"format": "party", "size_body": 15}).size_body == 15.0


def test_every_setting_is_documented() -> None:
    """Office staff edit these: a setting without a line in the docstring is a bug."""
    doc = NoticeSettings.__doc__ or ""
    undocumented = [f.name for f in dataclasses.fields(NoticeSettings) if f"``{f.name}``" not in doc]
    assert not undocumented
