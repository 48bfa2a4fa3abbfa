"""The gate in front of every state-changing HTTP request (issue #22, point 2).

Before routing, so that no endpoint can forget it and no body is read first: a
POST/PUT/PATCH/DELETE must come from an allowed ``Origin`` (or send none), else 403
``origin_not_allowed``; and a request that carries a session cookie must carry the
``X-CSRF-Token`` header, else 403 ``csrf_failed``. ``context.authenticate`` then compares
the header with the session's token, for the method the request really has.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from phonghop import metrics
from phonghop.web.cookies import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, origin_allowed
from phonghop.web.errors import error_body, request_language

#: The state-changing routes that take no CSRF token, each for a reason (they still need an
#: allowed Origin). tests/web/test_csrf_routes.py checks that every entry is still needed.
CSRF_EXEMPT = frozenset(
    {
        # Signing in: the browser may hold a stale or foreign session cookie whose token it
        # never had (a reload after expiry); the password is the proof, not a session.
        ("POST", "/api/session"),
        # A tablet joining with the meeting's code: the same, the code is the proof.
        ("POST", "/api/join"),
        # A projector opening the room display's link: the same, the link's token is the proof.
        ("POST", "/api/display/open"),
    }
)


class CsrfGuard:
    """Pure ASGI middleware; see the module's docstring."""

    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.allowed_origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "GET")
        if scope["type"] != "http" or method in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        code = None
        if not origin_allowed(headers, scope.get("scheme", "http"), self.allowed_origins):
            code = "origin_not_allowed"
        elif (
            (method, scope["path"]) not in CSRF_EXEMPT
            and not headers.get(CSRF_HEADER)
            and cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
        ):
            code = "csrf_failed"
        if code is None:
            await self.app(scope, receive, send)
            return
        metrics.errors[(code, "http")] += 1
        body = error_body(code, request_language(Request(scope)))
        await JSONResponse(body, status_code=403)(scope, receive, send)
