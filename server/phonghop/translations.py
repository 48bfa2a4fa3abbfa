"""User-visible strings of the server, read from ``locales/<lang>/*.json``.

Each language folder may hold several files (one per area: ``errors.json``,
``documents.json``...); they are merged, and a key defined twice is a bug caught at load.
Vietnamese is the default language; English is the other one every string must have.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


@cache
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language, merged from its files."""
    merged: dict[str, str] = {}
    folder = resources.files("phonghop") / "locales" / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        for key, value in data.items():
            if key in merged:
                raise RuntimeError(f"translation key {key!r} defined twice in locales/{lang}")
            merged[key] = value
    return merged


def pick_language(accept_language: str | None) -> str:
    """The first supported language named in an Accept-Language header (or ``?lang=``)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    for part in accept_language.split(","):
        tag = part.split(";", 1)[0].strip().lower()
        base = tag.split("-", 1)[0]
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The string for ``key`` in ``lang`` with ``{name}`` placeholders filled.

    A missing key falls back to Vietnamese, then to the key itself, so a gap never turns
    into a server error in front of a user (tests make sure there is no gap).
    """
    template = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def error_message(code: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    return translate(f"error.{code}", lang, **params)
