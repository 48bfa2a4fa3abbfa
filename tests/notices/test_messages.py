"""Every error code the notice modules can raise has a message in Vietnamese and English."""

from __future__ import annotations

import json
import re
import string
from importlib import resources

import pytest

from phonghop.translations import LANGUAGES, error_message

SOURCES = ("domain/notice.py", "notices/model.py", "notices/pdf.py", "notices/docx.py", "notices/signing.py")
CODE = re.compile(r"\"(notice_[a-z_]+)\"")


def _codes() -> set[str]:
    package = resources.files("phonghop")
    found: set[str] = set()
    for name in SOURCES:
        found |= set(CODE.findall((package / name).read_text(encoding="utf-8")))
    return found


def _notices_catalog(lang: str) -> dict[str, str]:
    text = (resources.files("phonghop") / "locales" / lang / "notices.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_codes_are_found() -> None:
    assert {"notice_setting_invalid", "notice_pdf_unsigned", "notice_signing_key_invalid"} <= _codes()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_has_a_message(lang: str) -> None:
    catalog = _notices_catalog(lang)
    missing = sorted(code for code in _codes() if f"error.{code}" not in catalog)
    assert not missing


def test_messages_agree_on_their_placeholders() -> None:
    vi, en = _notices_catalog("vi"), _notices_catalog("en")
    assert vi.keys() == en.keys()
    for key in vi:
        assert _placeholders(vi[key]) == _placeholders(en[key]), key


def test_a_message_is_filled_in() -> None:
    assert error_message("notice_setting_invalid", "vi", field="size_body").endswith("size_body.")
    assert error_message("notice_setting_invalid", "en", field="size_body") == (
        "Invalid conclusion-notice setting: size_body."
    )
