"""Every notification the server can make has its sentence in Vietnamese and English, with
the same placeholders in both."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import phonghop
from phonghop.translations import catalog

SERVER = Path(phonghop.__file__).parent
#: Kinds the code builds from a value (``f"task_{which}"``, ``f"draft_{action}"``...).
BUILT = {
    "task_before",
    "task_due",
    "draft_approved",
    "draft_returned",
    "draft_published",
    "invitation_absent",
    "invitation_substitute",
    "invitation_with_code",
}


def made_kinds() -> set[str]:
    """The literal ``kind=`` of every notify(...) and Reminder(...) call in the package
    (kinds built at run time are listed in :data:`BUILT`)."""
    kinds: set[str] = set()
    for path in SERVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in ("notify", "Reminder"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                    kinds.add(str(keyword.value.value))
    return kinds


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_kind_is_translated_with_the_same_placeholders() -> None:
    kinds = made_kinds() | BUILT
    assert len(kinds) >= 10, kinds  # the scan still finds the calls
    vi, en = catalog("vi"), catalog("en")
    for kind in sorted(kinds):
        key = f"notification.{kind}"
        assert key in vi and key in en, key
        assert fields(vi[key]) == fields(en[key]), key
