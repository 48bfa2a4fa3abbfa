"""Security headers on every response, the HTTP-to-HTTPS redirect, and the CA certificate.

The client has no inline script or style (tests/browser checks every page against the
same policy), so the Content-Security-Policy can forbid both. Pages and page images come
from the server itself only: nothing is fetched from elsewhere on a closed LAN.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phonghop import metrics
from phonghop.errors import NotFound, PermissionDenied
from phonghop.web.context import app_state, public_base, qr_svg

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; manifest-src 'self'; font-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),  # the console frames the notice PDF preview
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")


_MEETING_PATH = re.compile(r"^/(?:api|ws)/meetings/(\d+)")


class SecurityHeaders:
    """Pure ASGI middleware (no buffering): adds the headers to each HTTP response start,
    and names the request (``X-Request-ID``, kept from the proxy when it sent one) and the
    meeting it concerns for the log lines written while it is served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")[:64]
        rid = given if given.replace("-", "").isalnum() else secrets.token_hex(8)
        metrics.request_id.set(rid)
        found = _MEETING_PATH.match(scope.get("path", ""))
        metrics.meeting_id.set(int(found.group(1)) if found else None)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [h for h in HEADERS if h[0] not in present]
                if secure:
                    extra.append(HSTS)
                extra.append((b"x-request-id", rid.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _hostname(host_header: str) -> str:
    """The Host header without its port: "10.0.0.5:80" -> "10.0.0.5", "[::1]:80" -> "[::1]"."""
    host = host_header.strip() or "localhost"
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0]


def redirect_app(https_port: int) -> ASGIApp:
    """The plain-HTTP listener when HTTPS is on: every request goes to the same URL on HTTPS."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # run it with lifespan="off"
            return
        host = _hostname(dict(scope["headers"]).get(b"host", b"").decode("latin-1"))
        port = "" if https_port == 443 else f":{https_port}"
        query = scope.get("query_string", b"").decode("latin-1")
        target = f"https://{host}{port}{scope['path']}" + (f"?{query}" if query else "")
        await send(
            {
                "type": "http.response.start",
                "status": 308,
                "headers": [(b"location", target.encode("latin-1")), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    return app


# -- the office's CA certificate, for tablets to trust ---------------------------------------------


def _ca_pem(request: Request) -> bytes | None:
    path = app_state(request).settings.tls_dir / "ca.crt"
    return path.read_bytes() if path.is_file() else None


async def tls_info(request: Request) -> Response:
    """What the console shows on its "install the certificate on tablets" card."""
    pem = _ca_pem(request)
    info: dict[str, object] = {"https": request.url.scheme == "https", "ca_available": pem is not None}
    if pem is not None:
        cert = x509.load_pem_x509_certificate(pem)
        info.update(
            ca_url=public_base(request) + "/tls/ca.crt",
            ca_sha256=hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(),
            ca_expires=cert.not_valid_after_utc.date().isoformat(),
        )
    return JSONResponse(info)


async def ca_certificate(request: Request) -> Response:
    pem = _ca_pem(request)
    if pem is None:
        raise NotFound("tls_ca_not_found")
    return Response(
        pem,
        media_type="application/x-x509-ca-cert",
        headers={
            "Content-Disposition": 'attachment; filename="phonghop-ca.crt"',
            "Cache-Control": "no-cache",
        },
    )


async def ca_qr(request: Request) -> Response:
    if _ca_pem(request) is None:
        raise NotFound("tls_ca_not_found")
    svg = qr_svg(public_base(request) + "/tls/ca.crt", scale=8)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})


async def metrics_page(request: Request) -> Response:
    """Prometheus text format; for the machine itself or a bearer of the metrics token."""
    state = app_state(request)
    token = state.settings.metrics_token
    client = request.client.host if request.client else ""
    local = client in ("127.0.0.1", "::1", "localhost", "testclient")
    given = request.headers.get("authorization", "")
    if not local and not (token and secrets.compare_digest(given, f"Bearer {token}")):
        raise PermissionDenied("metrics_forbidden")
    files = state.files
    text = metrics.exposition(state.hub, files.pages.stats, state.bus)
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")


routes: list[BaseRoute] = [
    Route("/metrics", metrics_page, methods=["GET"]),
    Route("/api/tls", tls_info, methods=["GET"]),
    Route("/tls/ca.crt", ca_certificate, methods=["GET"]),
    Route("/api/tls/ca-qr.svg", ca_qr, methods=["GET"]),
]
