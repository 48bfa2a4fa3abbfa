"""Text that enters the system, and text already stored: one set of rules.

Every string a client sends (HTTP bodies and queries, websocket frames, at any depth of
free-form JSON such as an annotation's ``data``) must be valid Unicode text:

* no lone surrogates (JSON allows the escape ``"\\ud800"``; UTF-8, PostgreSQL, XML and
  every export format do not);
* no C0 control characters other than tab and newline, and not the non-characters
  U+FFFE/U+FFFF (PostgreSQL refuses NUL; DOCX and XLSX refuse the rest). A carriage
  return is a line break written the Windows way: ``\\r\\n`` and a lone ``\\r`` become
  ``\\n``;
* normalised to NFC (see ``domain/text.py``: Vietnamese is stored and compared in NFC).

:func:`clean` applies them to incoming JSON and refuses what breaks them
(:class:`TextRefused`); :func:`repair` makes any stored string safe to send and to export,
for the rows written before these rules, and for the writers that must never fail.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from typing import Any

#: Deepest nesting of arrays/objects accepted in a JSON body or frame. The deepest thing
#: a client sends legitimately (an annotation's ink strokes, a notice's model) is < 10.
MAX_DEPTH = 32

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CR = re.compile("\r\n?")


class TextRefused(ValueError):
    """A string breaks the rules: ``problem`` is ``lone_surrogate``, ``control_character``
    or ``too_deep``; ``field`` the dotted path to it (``data.text``, ``items.3``)."""

    def __init__(self, problem: str, field: str) -> None:
        super().__init__(f"{problem} at {field or 'body'}")
        self.problem = problem
        self.field = field


def _problem(ch: str) -> str:
    return "lone_surrogate" if "\ud800" <= ch <= "\udfff" else "control_character"


def clean_text(text: str, field: str = "") -> str:
    """One string, NFC, with ``\\r`` line breaks as ``\\n``; TextRefused if it cannot be."""
    if "\r" in text:
        text = _CR.sub("\n", text)
    if text.isascii():
        bad = _FORBIDDEN.search(text)
        if bad:
            raise TextRefused(_problem(bad.group()), field)
        return text
    bad = _FORBIDDEN.search(text)
    if bad:
        raise TextRefused(_problem(bad.group()), field)
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def clean(value: Any, field: str = "", depth: int = 0) -> Any:
    """``value`` (parsed JSON) with every string, keys included, through :func:`clean_text`;
    TextRefused when a string cannot be cleaned or nesting passes :data:`MAX_DEPTH`."""
    if isinstance(value, str):
        return clean_text(value, field)
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise TextRefused("too_deep", field)
        out = {}
        for key, item in value.items():
            name = clean_text(key, field)
            path = f"{field}.{name}" if field else name
            out[name] = clean(item, path, depth + 1)
        return out
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise TextRefused("too_deep", field)
        return [clean(item, f"{field}.{i}" if field else str(i), depth + 1) for i, item in enumerate(value)]
    return value


def repair(text: str) -> str:
    """Any string made safe to store, send and export: lone surrogates become U+FFFD,
    forbidden controls are removed, ``\\r`` line breaks become ``\\n``, NFC."""
    if "\r" in text:
        text = _CR.sub("\n", text)
    if _FORBIDDEN.search(text):
        text = _FORBIDDEN.sub(lambda m: "\ufffd" if "\ud800" <= m.group() <= "\udfff" else "", text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def repair_all(value: Any) -> Any:
    """:func:`repair` on every string of a JSON value (keys included), at any depth."""
    if isinstance(value, str):
        return repair(value)
    if isinstance(value, dict):
        return {repair(k) if isinstance(k, str) else k: repair_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repair_all(v) for v in value]
    return value


def repaired(value: Any) -> Any:
    """``value`` with :func:`repair` applied to every string inside it: JSON values,
    tuples and (frozen) dataclasses, rebuilt only where something changed. Writers of
    exports (DOCX, XLSX) call it on their model, so stored text can never make them fail."""
    if isinstance(value, str):
        return repair(value)
    if isinstance(value, list | tuple):
        items = [repaired(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if isinstance(value, list) or type(value) is tuple else type(value)(*items)
    if isinstance(value, dict):
        out = {repaired(k): repaired(v) for k, v in value.items()}
        return value if all(out.get(k) is v for k, v in value.items()) else out
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            old = getattr(value, field.name)
            new = repaired(old)
            if new is not old:
                changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def json_text(value: Any) -> str:
    """Compact JSON text that always encodes as UTF-8: a string stored before these rules
    (a lone surrogate) is written escaped instead of making the encoder fail."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text
