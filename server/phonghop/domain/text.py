"""Vietnamese text: normalisation, comparison and diacritics-insensitive search keys.

* Text is stored in Unicode NFC; PDF text layers and some systems hand us NFD.
* Two tone-mark placements are in use ("hòa"/"hoà", "thủy"/"thuỷ"): :func:`compare_key`
  moves the tone mark of every syllable to one canonical place so both compare equal.
* :func:`fold` strips every mark for search without diacritics; "Đ"/"đ" does not
  decompose in Unicode, so it is mapped to "d" explicitly ("dang uy" finds "Đảng ủy").
"""

from __future__ import annotations

import re
import unicodedata

# The five Vietnamese tone marks as combining characters (grave, acute, hook above,
# tilde, dot below). Circumflex, breve and horn are part of the letter, not the tone.
TONE_MARKS = frozenset("\u0300\u0301\u0309\u0303\u0323")
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """NFC, with runs of white space folded to one space and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _canonical_syllable(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    rest = "".join(ch for ch in decomposed if ch not in TONE_MARKS)
    return rest + "".join(tones)


def compare_key(text: str) -> str:
    """A key under which spellings that differ only in tone-mark placement are equal.

    Case is folded too: ``compare_key("ỦY") == compare_key("uỷ")``.
    """
    lowered = unicodedata.normalize("NFC", text).casefold()
    return _WORD.sub(lambda m: _canonical_syllable(m.group(0)), " ".join(lowered.split()))


def fold(text: str) -> str:
    """Lower case, no diacritics at all, "đ" as "d": the key for diacritics-free search."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("đ", "d").split())


def matches(query: str, text: str) -> bool:
    """Whether ``query`` occurs in ``text``.

    A query typed with diacritics must match them (modulo tone-mark placement); a query
    typed without any diacritics matches with or without them.
    """
    if fold(query) == " ".join(query.casefold().split()):
        return fold(query) in fold(text)
    return compare_key(query) in compare_key(text)


def sort_key_given_name(full_name: str) -> tuple[str, str]:
    """Vietnamese alphabetical order: by the given name (last word), then the full name."""
    words = normalize(full_name).split()
    given = words[-1] if words else ""
    return (fold(given) + "\x00" + compare_key(given), fold(full_name) + "\x00" + compare_key(full_name))
