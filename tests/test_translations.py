"""Every error code the package can raise has a message in Vietnamese and English."""

from pathlib import Path

import phonghop
from phonghop.translations import LANGUAGES, catalog, error_message, pick_language
from tests.codes import raised_codes

PACKAGE = Path(phonghop.__file__).parent


def package_codes() -> set[str]:
    return set().union(*(raised_codes(path) for path in PACKAGE.rglob("*.py")))


def test_every_raised_code_has_both_languages() -> None:
    codes = package_codes()
    assert "meeting_not_found" in codes  # the scan itself works
    for lang in LANGUAGES:
        missing = sorted(c for c in codes if f"error.{c}" not in catalog(lang))
        assert not missing, f"no {lang} message for {missing}"


def test_languages_have_the_same_keys() -> None:
    assert set(catalog("vi")) == set(catalog("en"))


def test_messages_fill_parameters() -> None:
    assert error_message("password_too_short", "vi", min=10) == "Mật khẩu phải có ít nhất 10 ký tự."
    assert "10" in error_message("password_too_short", "en", min=10)


def test_language_negotiation_defaults_to_vietnamese() -> None:
    assert pick_language(None) == "vi"
    assert pick_language("fr-FR,fr;q=0.9") == "vi"
    assert pick_language("en-US,en;q=0.9") == "en"
