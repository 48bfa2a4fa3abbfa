"""Finding the error codes the package raises, for the tests that check their messages."""

from __future__ import annotations

import ast
from pathlib import Path

from phonghop.errors import PhonghopError


def _error_classes() -> set[str]:
    found, todo = {PhonghopError.__name__}, [PhonghopError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub.__name__)
            todo.append(sub)
    return found


def raised_codes(path: Path, functions: set[str] | None = None) -> set[str]:
    """The codes raised as ``SomeError("code")`` in ``path`` (only in ``functions`` if given)."""
    classes = _error_classes()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: list[ast.AST] = [tree]
    if functions is not None:
        roots = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions
        ]
        missing = functions - {getattr(r, "name", "") for r in roots}
        assert not missing, f"{path.name} no longer has {sorted(missing)}: update the caller's list"
    codes = set()
    for root in roots:
        for node in ast.walk(root):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in classes
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                codes.add(node.args[0].value)
    return codes
