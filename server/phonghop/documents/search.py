"""Finding words in the text layers of meeting documents, the way Vietnamese users type.

Delegates type on a tablet keyboard, often without diacritics ("dang uy") and with
either tone-mark placement ("hoà" or "hòa"). Whether a page matches is decided by
``phonghop.domain.text.matches`` alone, so search here and everywhere else in phonghop
agree. This module adds where the first match is, to show a snippet around it: the
page text is cut into words, each word is keyed the way ``matches`` keys text, and a
position in the joined keys maps back to the word it came from.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from phonghop.domain.text import compare_key, fold, matches

K = TypeVar("K", bound=Hashable)

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]+")
_ELLIPSIS = "…"


@dataclass(frozen=True)
class Hit(Generic[K]):
    """A page that matches. ``highlight`` is the (start, end) of the matched words inside
    ``snippet``, for the client to mark."""

    key: K
    page_no: int
    snippet: str
    highlight: tuple[int, int] = (0, 0)


def search_pages(
    query: str,
    pages: Iterable[tuple[K, int, str]],
    *,
    context_chars: int = 60,
    limit: int | None = None,
) -> list[Hit[K]]:
    """Pages whose text contains ``query``, in the order given, with a snippet each.

    ``pages`` yields ``(key, page_no, text)``; ``key`` is the caller's document id. A
    query without any diacritics matches with or without them ("dang uy" finds "Đảng
    ủy"); one with diacritics must match them, up to tone-mark placement ("hoà" finds
    "hòa"). An empty query finds nothing. Pure CPU work on text already in memory.
    """
    if not query.strip():
        return []
    plain = fold(query) == " ".join(query.casefold().split())
    needle = fold(query) if plain else compare_key(query)
    hits: list[Hit[K]] = []
    for key, page_no, text in pages:
        if not matches(query, text):
            continue
        snippet, highlight = _snippet(text, needle, plain, context_chars)
        hits.append(Hit(key=key, page_no=page_no, snippet=snippet, highlight=highlight))
        if limit is not None and len(hits) >= limit:
            break
    return hits


def _snippet(text: str, needle: str, plain: bool, context_chars: int) -> tuple[str, tuple[int, int]]:
    located = _locate(text, needle, plain)
    if located is None:  # cannot happen if the keys agree with matches(); stay useful anyway
        start = end = 0
    else:
        start, end = located
    left = max(0, start - context_chars)
    right = min(len(text), end + context_chars)
    # Widen to word boundaries so the snippet does not start or end mid-word.
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    before = " ".join(text[left:start].split())
    match = " ".join(text[start:end].split())
    after = " ".join(text[end:right].split())
    prefix = (_ELLIPSIS if left > 0 else "") + before + (" " if before and text[start - 1].isspace() else "")
    suffix = (" " if after and text[end].isspace() else "") + after + (_ELLIPSIS if right < len(text) else "")
    return prefix + match + suffix, (len(prefix), len(prefix) + len(match))


def _locate(text: str, needle: str, plain: bool) -> tuple[int, int] | None:
    """Start and end, in ``text``, of the words covering the first match of ``needle``."""
    keys: list[str] = []
    starts: list[int] = []  # position in the joined keys where each token's key starts
    spans: list[tuple[int, int]] = []
    position = 0
    for token in _TOKEN.finditer(text):
        word = token.group(0)
        key = " " if word.isspace() else (fold(word) if plain else compare_key(word))
        keys.append(key)
        starts.append(position)
        spans.append(token.span())
        position += len(key)
    joined = "".join(keys)
    found = joined.find(needle)
    if found < 0:
        return None
    first = _token_at(starts, found)
    last = _token_at(starts, found + max(len(needle), 1) - 1)
    return spans[first][0], spans[last][1]


def _token_at(starts: list[int], position: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low
