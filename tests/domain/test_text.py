import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from phonghop.domain.text import compare_key, fold, matches, normalize, sort_key_given_name


def test_nfd_input_is_stored_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Đảng ủy  tỉnh")
    assert normalize(nfd) == "Đảng ủy tỉnh"
    assert unicodedata.is_normalized("NFC", normalize(nfd))


def test_both_tone_mark_placements_compare_equal() -> None:
    assert compare_key("hòa bình") == compare_key("hoà bình")
    assert compare_key("Thủy lợi") == compare_key("thuỷ lợi")
    assert compare_key("ỦY BAN") == compare_key("uỷ ban")
    assert compare_key("hòa") != compare_key("hóa")


def test_fold_maps_d_stroke() -> None:
    assert fold("Đảng ủy") == "dang uy"
    assert fold("ĐẢNG CỘNG SẢN VIỆT NAM") == "dang cong san viet nam"


def test_search_with_and_without_diacritics() -> None:
    text = "Ban Thường vụ Đảng ủy khối cơ quan"
    assert matches("dang uy", text)
    assert matches("Đảng uỷ", text)
    assert not matches("đàng", text)  # typed with marks: the marks must match
    assert not matches("tinh uy", text)


def test_vietnamese_sort_by_given_name() -> None:
    names = ["Nguyễn Văn Thành", "Trần Quốc Anh", "Lê Thị Bình"]
    assert sorted(names, key=sort_key_given_name) == ["Trần Quốc Anh", "Lê Thị Bình", "Nguyễn Văn Thành"]


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese(text: str) -> None:
    assert fold(fold(text)) == fold(text)
