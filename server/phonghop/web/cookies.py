"""Signed session cookies and the CSRF and Origin checks.

The cookie holds ``<token>.<hmac>``: the random session token (whose hash is the
session row's id) signed with the secret key, so a forged or truncated cookie is turned
away before any database read. State-changing requests must carry the session's CSRF
token in ``X-CSRF-Token`` and, when the browser sends ``Origin``, come from our origin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from phonghop.errors import PermissionDenied

SESSION_COOKIE = "phonghop_session"
#: A browser that signed in to an account before: its sign-ins are never throttled.
DEVICE_COOKIE = "phonghop_device"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def sign(secret: str, token: str) -> str:
    mac = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return token + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def unsign(secret: str, value: str | None) -> str | None:
    if not value or "." not in value:
        return None
    token = value.rsplit(".", 1)[0]
    # Bytes: compare_digest refuses str with non-ASCII characters, and a cookie may hold any.
    expected = sign(secret, token).encode("utf-8", "surrogatepass")
    return token if hmac.compare_digest(expected, value.encode("utf-8", "surrogatepass")) else None


def origin_allowed(headers: Mapping[str, str], scheme: str, allowed: tuple[str, ...]) -> bool:
    """Whether the request's ``Origin`` (if any) is this server or an allowed origin.

    Browsers always send Origin on cross-site requests and on websocket handshakes, so a
    missing Origin means a non-browser client (the CLI, a test, a native tablet app).
    """
    origin = headers.get("origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    host = headers.get("host", "")
    own = {f"http://{host}", f"https://{host}"} if scheme in ("http", "https", "ws", "wss") else set()
    return origin in own or origin in allowed


def check_csrf(method: str, headers: Mapping[str, str], expected: str | None) -> None:
    if method in SAFE_METHODS:
        return
    # Bytes, not str: compare_digest refuses a str with non-ASCII characters, and a
    # header may hold any byte (Starlette decodes headers as Latin-1).
    supplied = headers.get(CSRF_HEADER, "").encode("utf-8", "surrogatepass")
    if not expected or not hmac.compare_digest(supplied, expected.encode()):
        raise PermissionDenied("csrf_failed")
