"""The sections of a draft, found in its pages' text: where a comment on page 4 belongs.

A heading is a line that starts with "Phần I"/"Phần thứ nhất", "Chương II", "Mục 2",
"Điều 5." (any case), or a numbered heading: a Roman numeral ("I. KẾT QUẢ...") or a
number ("1. Công tác chính trị") followed by a dot. Numbered lines are weaker evidence:

* In a draft with articles (Điều), "1.", "2." are clauses (khoản) inside an article and
  Roman numerals are not used for sections, so numbered lines are not headings there.
* A numbered line as long as the page's full lines is the first line of a paragraph
  (an item of a list), not a heading: a heading is shorter than 80% of the longest line.

The section of a place in the draft is the last heading on or before it; none: the
general comments (ý kiến chung). For a mark on a page, "before" is measured by the line's
share of the page: a heading on line 30 of 40 is at about 75% of the page height.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from phonghop.domain.text import compare_key, normalize

_KEYWORD = re.compile(
    r"^(?P<label>(?:phần|chương|mục)\s+(?:[ivxlc]+|\d+|thứ\s+\w+)|điều\s+\d+[a-zđ]?)(?=$|[\s.:,;\-–—])",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^điều\s+\d+[a-zđ]?\s*(?:$|[.:])", re.IGNORECASE)
_ROMAN = re.compile(r"^(?P<label>[IVXL]{1,6})\.\s+\S")
_NUMBER = re.compile(r"^(?P<label>\d{1,2})\.\s+\S")
_VALID_ROMAN = re.compile(r"^(?=[IVXL])L?X{0,3}(IX|IV|V?I{0,3})$")

MAX_TITLE = 200
#: A numbered line at most this share of the page's longest line can be a heading.
SHORT_LINE = 0.8


@dataclass(frozen=True)
class Heading:
    """One heading: ``label`` is how a table names it ("Điều 5", "Chương II", or the
    numbered line itself), ``title`` the whole line; ``order`` its rank in the draft."""

    order: int
    page: int
    #: Where on the page, as a share of its lines (0 = first line).
    position: float
    label: str
    title: str


def _label_of_keyword(raw: str) -> str:
    """ "CHƯƠNG IV" -> "Chương IV", "PHẦN THỨ NHẤT" -> "Phần thứ nhất"."""
    first, *rest = normalize(raw).split()
    words = [w.upper() if re.fullmatch(r"[ivxlc]+", w, re.IGNORECASE) else w.lower() for w in rest]
    return " ".join([first[:1].upper() + first[1:].lower(), *words])


def find_headings(pages: Sequence[str]) -> list[Heading]:
    """The headings of a draft whose page ``n`` has the text ``pages[n - 1]``."""
    split = [[normalize(line) for line in text.split("\n")] for text in pages]
    has_articles = any(_ARTICLE.match(line) for lines in split for line in lines)
    out: list[Heading] = []
    for page_no, lines in enumerate(split, start=1):
        longest = max((len(line) for line in lines), default=0)
        count = max(1, len(lines))
        for index, line in enumerate(lines):
            if not line:
                continue
            label = ""
            keyword = _KEYWORD.match(line)
            if keyword and (not keyword.group("label").lower().startswith("điều") or _ARTICLE.match(line)):
                label = _label_of_keyword(keyword.group("label"))
            elif not has_articles and len(line) <= SHORT_LINE * longest:
                roman = _ROMAN.match(line)
                number = _NUMBER.match(line)
                if (roman and _VALID_ROMAN.match(roman.group("label"))) or number:
                    label = line[:80]
            if label:
                out.append(Heading(len(out), page_no, index / count, label, line[:MAX_TITLE]))
    return out


def section_at(headings: Sequence[Heading], page: int, position: float | None = None) -> Heading | None:
    """The last heading on or before ``page`` (above ``position`` on that page, when the
    place on the page is known)."""
    found = None
    for heading in headings:
        if heading.page > page:
            break
        if heading.page == page and position is not None and heading.position > position:
            break
        found = heading
    return found


def match_section(headings: Sequence[Heading], written: str) -> Heading | None:
    """The heading a section written by hand names: "điều 5", "Điều 5, khoản 2" and
    "ĐIỀU 5" all name "Điều 5"; "Điều 50" does not."""
    key = compare_key(written)
    if not key:
        return None
    best = None
    for heading in headings:
        label = compare_key(heading.label)
        if key == label or key == compare_key(heading.title):
            return heading
        if key.startswith(label) and not key[len(label)].isalnum() and best is None:
            best = heading
    return best
