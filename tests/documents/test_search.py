from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from phonghop.documents import search_pages
from phonghop.domain.text import fold

PAGES = [
    ("to-trinh", 1, "TỜ TRÌNH\nvề dự thảo Kế hoạch phát triển kinh tế - xã hội năm 2027"),
    ("to-trinh", 2, "Đảng ủy Ủy ban nhân dân tỉnh kính trình Ban Thường vụ Tỉnh ủy cho ý kiến."),
    ("bao-cao", 1, "Công tác hòa giải ở cơ sở và thủy lợi nội đồng được quan tâm."),
    ("bao-cao", 3, "Dang uy xa da hop (van ban go khong dau)."),
]


def _found(query: str) -> list[tuple[str, int]]:
    return [(hit.key, hit.page_no) for hit in search_pages(query, PAGES)]


def test_query_without_diacritics_finds_text_with_and_without_them() -> None:
    assert _found("dang uy") == [("to-trinh", 2), ("bao-cao", 3)]
    assert _found("DANG UY") == [("to-trinh", 2), ("bao-cao", 3)]


def test_query_with_diacritics_must_match_them() -> None:
    assert _found("Đảng ủy") == [("to-trinh", 2)]
    assert _found("đăng") == []


def test_tone_mark_placement_does_not_matter() -> None:
    assert _found("hoà giải") == [("bao-cao", 1)]
    assert _found("hòa giải") == [("bao-cao", 1)]
    assert _found("thuỷ lợi") == [("bao-cao", 1)]
    assert _found("UỶ BAN") == [("to-trinh", 2)]


def test_snippet_surrounds_the_first_match_and_marks_it() -> None:
    text = " ".join(["Mở đầu dài dòng."] * 20) + " Kết luận: giải ngân vốn đầu tư công. " + "Phần cuối. " * 20
    [hit] = search_pages("giai ngan", [("doc", 7, text)], context_chars=30)

    start, end = hit.highlight
    assert hit.snippet[start:end] == "giải ngân"
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet) < 110
    assert (hit.key, hit.page_no) == ("doc", 7)


def test_snippet_folds_line_breaks() -> None:
    [hit] = search_pages("kế hoạch", PAGES[:1])
    assert "\n" not in hit.snippet
    assert hit.snippet.startswith("TỜ TRÌNH về dự thảo")
    assert hit.snippet[slice(*hit.highlight)] == "Kế hoạch"


def test_empty_query_and_limit() -> None:
    assert search_pages("   ", PAGES) == []
    assert len(search_pages("a", PAGES, limit=2)) == 2


VIETNAMESE_WORDS = st.sampled_from(
    [
        "Đảng",
        "ủy",
        "hòa",
        "hoà",
        "thủy",
        "lợi",
        "Nghị",
        "quyết",
        "chuyển",
        "đổi",
        "số",
        "Sông",
        "Lam",
        "2027",
        "ĐẢNG",
    ]
)


@given(words=st.lists(VIETNAMESE_WORDS, min_size=1, max_size=30), data=st.data())
def test_any_run_of_words_typed_without_diacritics_is_found_and_highlighted(
    words: list[str], data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(words) - 1))
    stop = data.draw(st.integers(start + 1, len(words)))
    query = fold(" ".join(words[start:stop]))
    text = " ".join(words)

    [hit] = search_pages(query, [("doc", 1, text)])

    assert query in fold(hit.snippet[slice(*hit.highlight)])
