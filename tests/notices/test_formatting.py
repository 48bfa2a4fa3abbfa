"""Dates, numbers, percentages and vote sentences as a Vietnamese notice writes them."""

from __future__ import annotations

from datetime import date

import pytest

from phonghop.domain.notice import (
    NoticeFormat,
    RecordedVote,
    VoteOption,
    format_count,
    format_number,
    format_percent,
    format_place_date,
    format_short_date,
    format_vn_date,
    vote_sentence,
)
from phonghop.errors import InvalidInput


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 5), "ngày 05 tháng 3 năm 2026"),  # day below 10: zero; March: none
        (date(2026, 2, 20), "ngày 20 tháng 02 năm 2026"),  # February: zero
        (date(2026, 1, 9), "ngày 09 tháng 01 năm 2026"),  # January: zero, day zero
        (date(2025, 12, 31), "ngày 31 tháng 12 năm 2025"),
        (date(2025, 10, 1), "ngày 01 tháng 10 năm 2025"),
        (date(2025, 7, 15), "ngày 15 tháng 7 năm 2025"),
    ],
)
def test_long_date_pads_day_below_ten_and_january_february_only(day: date, expected: str) -> None:
    assert format_vn_date(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 7, 15), "15/7/2025"),
        (date(2026, 3, 5), "05/3/2026"),
        (date(2026, 1, 9), "09/01/2026"),
        (date(2026, 2, 20), "20/02/2026"),
        (date(2025, 11, 1), "01/11/2025"),
    ],
)
def test_short_body_date_follows_the_same_zero_rule(day: date, expected: str) -> None:
    assert format_short_date(day) == expected


def test_place_and_date_line() -> None:
    assert format_place_date("Gia Lai", date(2026, 2, 20)) == "Gia Lai, ngày 20 tháng 02 năm 2026"


@pytest.mark.parametrize(
    ("fmt", "number", "symbol", "expected"),
    [
        (NoticeFormat.PARTY, 127, "TU", "Số 127-TB/TU"),
        (NoticeFormat.PARTY, 6, "TU", "Số 06-TB/TU"),
        (NoticeFormat.PARTY, 12, "TU", "Số 12-TB/TU"),
        (NoticeFormat.PARTY, 2927, "TU", "Số 2927-TB/TU"),
        (NoticeFormat.PARTY, 12345, "TU", "Số 12345-TB/TU"),
        (NoticeFormat.STATE, 5, "UBND", "Số: 05/TB-UBND"),
        (NoticeFormat.STATE, 10, "VP", "Số: 10/TB-VP"),
        (NoticeFormat.STATE, 1234, "SCT", "Số: 1234/TB-SCT"),
    ],
)
def test_number_line(fmt: NoticeFormat, number: int, symbol: str, expected: str) -> None:
    assert format_number(fmt, number, symbol) == expected


def test_party_number_has_no_colon_and_state_number_has_one() -> None:
    assert not format_number(NoticeFormat.PARTY, 1, "TU").startswith("Số:")
    assert format_number(NoticeFormat.STATE, 1, "UBND").startswith("Số: ")


def test_unissued_number_leaves_a_blank() -> None:
    assert format_number(NoticeFormat.PARTY, None, "TU") == "Số     -TB/TU"
    assert format_number(NoticeFormat.STATE, None, "UBND") == "Số:     /TB-UBND"


@pytest.mark.parametrize("bad", [0, -3, True])
def test_number_must_be_positive(bad: int) -> None:
    with pytest.raises(InvalidInput) as err:
        format_number(NoticeFormat.PARTY, bad, "TU")
    assert err.value.code == "notice_number_invalid"


@pytest.mark.parametrize(
    ("count", "base", "expected"),
    [
        (13, 15, "86,67"),
        (2, 15, "13,33"),
        (2, 3, "66,67"),
        (1, 8, "12,5"),
        (15, 15, "100"),
        (0, 15, "0"),
        (1, 800, "0,13"),  # 0.125 rounds half up, not to even
        (1500, 1586, "94,58"),
    ],
)
def test_percent_rounds_half_up_to_two_decimals_with_a_decimal_comma(
    count: int, base: int, expected: str
) -> None:
    assert format_percent(count, base) == expected


def test_counts_group_thousands_with_a_dot() -> None:
    assert format_count(1586) == "1.586"
    assert format_count(15) == "15"


def _vote(yes: int, no: int, base: int, *, passed: bool, unit: str = "đồng chí") -> RecordedVote:
    return RecordedVote(
        subject="về Đề án phát triển du lịch",
        options=(VoteOption("Tán thành", yes), VoteOption("Không tán thành", no)),
        base_count=base,
        rule="quá nửa tổng số thành viên tán thành",
        passed=passed,
        unit=unit,
    )


def test_vote_sentence_in_words_and_figures_against_the_base() -> None:
    sentence = vote_sentence(_vote(13, 2, 15, passed=True))
    assert "13/15 đồng chí tán thành (86,67% tổng số)" in sentence
    assert "2/15 đồng chí không tán thành (13,33% tổng số)" in sentence
    assert sentence.startswith("Kết quả biểu quyết về Đề án phát triển du lịch: ")
    assert "quá nửa tổng số thành viên tán thành" in sentence
    assert sentence.endswith("nội dung được thông qua.")


def test_failed_vote_says_so() -> None:
    sentence = vote_sentence(_vote(7, 6, 15, passed=False))
    assert "7/15 đồng chí tán thành (46,67% tổng số)" in sentence
    assert sentence.endswith("nội dung không được thông qua.")
    assert "được thông qua." not in sentence.replace("không được thông qua.", "")


def test_vote_sentence_for_a_congress_groups_thousands() -> None:
    sentence = vote_sentence(_vote(1500, 80, 1586, passed=True, unit="đại biểu"))
    assert "1.500/1.586 đại biểu tán thành (94,58% tổng số)" in sentence


@pytest.mark.parametrize(
    "kwargs",
    [
        {"options": (VoteOption("Tán thành", 16),), "base_count": 15},
        {"options": (VoteOption("Tán thành", -1),), "base_count": 15},
        {"options": (), "base_count": 15},
        {"options": (VoteOption("Tán thành", 0),), "base_count": 0},
    ],
)
def test_impossible_votes_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as err:
        RecordedVote(subject="x", rule="r", passed=True, **kwargs)  # type: ignore[arg-type]
    assert err.value.code == "notice_record_invalid"
