"""The query string through the text rules (``domain/hygiene.py``), for every route.

JSON bodies and websocket frames are checked where they are parsed
(``context.parse_json``); a query string is read in many places, so it is checked once
here, before routing: a control character or broken escape is ``text_invalid`` (422),
and decomposed text reaches the endpoint as NFC.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from phonghop import metrics
from phonghop.domain.hygiene import TextRefused, clean_text
from phonghop.translations import pick_language
from phonghop.web.errors import error_body


class QueryGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw: bytes = scope.get("query_string", b"")
        if scope["type"] != "http" or not raw:
            await self.app(scope, receive, send)
            return
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
        try:
            cleaned = [(clean_text(k, k), clean_text(v, k)) for k, v in pairs]
        except TextRefused as exc:
            metrics.errors[("text_invalid", "http")] += 1
            named = dict(pairs).get("lang") or Headers(scope=scope).get("accept-language")
            params = {"field": exc.field, "problem": exc.problem}
            response = JSONResponse(error_body("text_invalid", pick_language(named), params), status_code=422)
            await response(scope, receive, send)
            return
        if cleaned != pairs:
            scope = {**scope, "query_string": urlencode(cleaned).encode("latin-1")}
        await self.app(scope, receive, send)
