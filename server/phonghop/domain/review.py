"""The review of a unit's draft (dự thảo) by the office, as pure rules.

    submitted ──approve──▶ approved ──publish──▶ published
        │  ▲ └──────────────publish────────────────▲
     return └─resubmit── returned ◀──return── approved

A unit uploads a draft (``submitted``); the office approves it, or returns it with a
reason; a returned draft comes back as ``submitted`` with a new version; the office
publishes an approved draft, or approves and publishes a submitted one in one step. An
office upload is ``published`` at once. Only published documents reach the tablets.

A refused transition raises :class:`~phonghop.errors.InvalidTransition` with the code
``document_not_reviewable``.
"""

from __future__ import annotations

from enum import StrEnum

from phonghop.errors import InvalidInput, InvalidTransition

MAX_REASON = 2000


class ReviewState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    PUBLISHED = "published"


class ReviewAction(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    PUBLISH = "publish"
    RESUBMIT = "resubmit"


_TRANSITIONS: dict[tuple[ReviewState, ReviewAction], ReviewState] = {
    (ReviewState.SUBMITTED, ReviewAction.APPROVE): ReviewState.APPROVED,
    (ReviewState.SUBMITTED, ReviewAction.RETURN): ReviewState.RETURNED,
    (ReviewState.SUBMITTED, ReviewAction.PUBLISH): ReviewState.PUBLISHED,
    (ReviewState.SUBMITTED, ReviewAction.RESUBMIT): ReviewState.SUBMITTED,
    (ReviewState.APPROVED, ReviewAction.RETURN): ReviewState.RETURNED,
    (ReviewState.APPROVED, ReviewAction.PUBLISH): ReviewState.PUBLISHED,
    (ReviewState.RETURNED, ReviewAction.RESUBMIT): ReviewState.SUBMITTED,
}


def transition(state: ReviewState, action: ReviewAction) -> ReviewState:
    try:
        return _TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition("document_not_reviewable", state=state.value, action=action.value) from None


def allowed_actions(state: ReviewState) -> list[ReviewAction]:
    """The office's review actions possible from ``state`` (resubmitting is the unit's)."""
    return [a for (s, a) in _TRANSITIONS if s is state and a is not ReviewAction.RESUBMIT]


def is_draft(state: ReviewState) -> bool:
    """Not published yet: only the console's controllers and the drafting unit see it."""
    return state is not ReviewState.PUBLISHED


def check_reason(reason: str | None) -> str:
    """The reason for returning a draft: required, at most :data:`MAX_REASON` characters."""
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("review_reason_required")
    if len(text) > MAX_REASON:
        raise InvalidInput("review_reason_too_long", limit=MAX_REASON)
    return text
