"""Every error code the document library can raise has a message in Vietnamese and English."""

from __future__ import annotations

import json
import re
import string
from importlib import resources
from pathlib import Path

import pytest

import phonghop.documents
from phonghop.translations import LANGUAGES, catalog, error_message

SOURCE = Path(phonghop.documents.__file__).parent
RAISED = re.compile(
    r"\b(?:InvalidInput|NotFound|PayloadTooLarge|UnsupportedMedia|Unavailable)\(\s*\"([a-z_]+)\""
)


def _codes() -> set[str]:
    codes: set[str] = set()
    for module in SOURCE.glob("*.py"):
        codes |= set(RAISED.findall(module.read_text(encoding="utf-8")))
    return codes


def _own_file(lang: str) -> dict[str, str]:
    text = (resources.files("phonghop") / "locales" / lang / "documents.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def test_the_scan_finds_the_codes() -> None:
    assert {"pdf_encrypted", "document_too_large", "pdf_render_timeout"} <= _codes()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_raised_code_has_a_message(lang: str) -> None:
    missing = sorted(code for code in _codes() if f"error.{code}" not in catalog(lang))
    assert missing == []


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    vi, en = _own_file("vi"), _own_file("en")
    assert vi.keys() == en.keys()
    for key in vi:
        fields_vi = {name for _, name, _, _ in string.Formatter().parse(vi[key]) if name}
        fields_en = {name for _, name, _, _ in string.Formatter().parse(en[key]) if name}
        assert fields_vi == fields_en, key


def test_messages_fill_their_parameters() -> None:
    assert error_message("document_too_large", "vi", limit_mb=50) == (
        "Tệp tài liệu vượt quá dung lượng cho phép (50 MB)."
    )
    assert "2000" in error_message("pdf_too_many_pages", "en", limit=2000)
