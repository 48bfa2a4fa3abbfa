"""The review of a unit's draft: the state rules, and documents that existed before review
states did (migration 0009) being published."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from phonghop.domain.review import ReviewAction, ReviewState, allowed_actions, check_reason, transition
from phonghop.errors import InvalidInput, InvalidTransition
from phonghop.storage import migrate

S, A, R, P = ReviewState.SUBMITTED, ReviewState.APPROVED, ReviewState.RETURNED, ReviewState.PUBLISHED


def test_a_draft_goes_through_review_to_publication() -> None:
    assert transition(S, ReviewAction.APPROVE) is A
    assert transition(A, ReviewAction.PUBLISH) is P
    assert transition(S, ReviewAction.PUBLISH) is P  # approve and publish in one step
    assert transition(S, ReviewAction.RETURN) is R
    assert transition(A, ReviewAction.RETURN) is R  # the office changes its mind
    assert transition(R, ReviewAction.RESUBMIT) is S
    assert transition(S, ReviewAction.RESUBMIT) is S  # a new version while waiting


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (R, ReviewAction.APPROVE),  # a returned draft needs a new version first
        (R, ReviewAction.PUBLISH),
        (A, ReviewAction.APPROVE),
        (A, ReviewAction.RESUBMIT),  # approved: the unit can no longer replace it
        (P, ReviewAction.RETURN),
        (P, ReviewAction.PUBLISH),
        (P, ReviewAction.RESUBMIT),
    ],
)
def test_refused_transitions(state: ReviewState, action: ReviewAction) -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(state, action)
    assert refused.value.code == "document_not_reviewable"


def test_the_office_is_offered_only_what_it_may_do() -> None:
    assert allowed_actions(S) == [ReviewAction.APPROVE, ReviewAction.RETURN, ReviewAction.PUBLISH]
    assert allowed_actions(A) == [ReviewAction.RETURN, ReviewAction.PUBLISH]
    assert allowed_actions(R) == []
    assert allowed_actions(P) == []


def test_a_return_needs_a_reason() -> None:
    assert check_reason("  Bổ sung   số liệu\n quý III ") == "Bổ sung số liệu quý III"
    for empty in (None, "", " \n\t "):
        with pytest.raises(InvalidInput) as refused:
            check_reason(empty)
        assert refused.value.code == "review_reason_required"
    with pytest.raises(InvalidInput) as refused:
        check_reason("x" * 2001)
    assert refused.value.code == "review_reason_too_long"


def _fill_row(db: sqlite3.Connection, table: str, values: dict[str, object]) -> None:
    """Insert a row giving every NOT NULL column without a default a plausible value."""
    row = dict(values)
    for _cid, name, type_, notnull, default, pk in db.execute(f"PRAGMA table_info({table})"):
        if name in row or pk or not notnull or default is not None:
            continue
        upper = str(type_).upper()
        row[name] = (
            0 if ("INT" in upper or "BOOL" in upper) else ("{}" if "JSON" in upper else "2026-11-20 08:00:00")
        )
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def test_documents_that_existed_before_review_are_published(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(migrate.upgrade(url, "0008"))
    with sqlite3.connect(path) as db:
        _fill_row(
            db, "issuing_bodies", {"id": 1, "name": "TỈNH ỦY", "symbol": "TU", "notice_format": "party"}
        )
        _fill_row(db, "meetings", {"id": 1, "body_id": 1, "title": "Hội nghị", "state": "scheduled"})
        _fill_row(
            db,
            "documents",
            {"id": 7, "meeting_id": 1, "title": "Tờ trình", "created_at": "2026-11-20 08:00:00"},
        )
    asyncio.run(migrate.upgrade(url))
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT review_state, review_reason, published_at FROM documents WHERE id = 7"
        ).fetchone()
    assert row[0] == "published" and row[1] == ""
    assert str(row[2]).startswith("2026-11-20 08:00:00")
