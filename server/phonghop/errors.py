"""Errors a user or a client can cause.

Every error carries a stable ``code`` (snake_case, never renamed once released), an HTTP
status and named parameters. The human message is not written here: it lives in the
translation files ``locales/<lang>/*.json`` under the key ``error.<code>``, in Vietnamese
and English, and a test fails when a code raised anywhere in the package has no message.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PhonghopError(Exception):
    """Base class. ``raise NotFound("meeting_not_found", meeting_id=3)``."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        self.code = code or self.default_code
        self.params = params
        super().__init__(self.code if not params else f"{self.code} {params}")


class InvalidInput(PhonghopError):
    """The request is malformed or a field fails validation (422)."""

    status = 422
    default_code = "invalid_input"


class Unauthenticated(PhonghopError):
    status = 401
    default_code = "not_authenticated"


class PermissionDenied(PhonghopError):
    status = 403
    default_code = "permission_denied"


class NotFound(PhonghopError):
    status = 404
    default_code = "not_found"


class Conflict(PhonghopError):
    """The request is valid but the current state forbids it (409)."""

    status = 409
    default_code = "conflict"


class InvalidTransition(Conflict):
    """A state machine refused a transition (meeting lifecycle, poll, notice...)."""

    default_code = "invalid_transition"


class PayloadTooLarge(PhonghopError):
    status = 413
    default_code = "payload_too_large"


class UnsupportedMedia(PhonghopError):
    status = 415
    default_code = "unsupported_media_type"


class RateLimited(PhonghopError):
    status = 429
    default_code = "rate_limited"


class Unavailable(PhonghopError):
    """A dependency (database, Redis, a worker) cannot serve right now (503)."""

    status = 503
    default_code = "service_unavailable"
