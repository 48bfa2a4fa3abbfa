"""What every endpoint needs: the lifespan's shared objects, body parsing, the session."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from pydantic import BaseModel, ValidationError
from starlette.requests import HTTPConnection, Request

from phonghop import clock
from phonghop.config import Settings
from phonghop.domain.hygiene import MAX_DEPTH, TextRefused, clean
from phonghop.errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PhonghopError,
    Unauthenticated,
    UnsupportedMedia,
)
from phonghop.services.accounts import Passwords, SessionInfo, resolve_session
from phonghop.storage.db import Database, UnitOfWork
from phonghop.web.cookies import SAFE_METHODS, SESSION_COOKIE, check_csrf, origin_allowed, unsign
from phonghop.web.errors import validation_to_error

if TYPE_CHECKING:
    from phonghop.documents.files import DocumentFiles
    from phonghop.documents.premark import PreMarker
    from phonghop.realtime.bus import Bus
    from phonghop.realtime.changes import ChangeFeed
    from phonghop.realtime.hub import Hub
    from phonghop.services.audit import PageViews
    from phonghop.services.page_grants import PageGrants
    from phonghop.services.roster import JoinLists

MAX_JSON_BYTES = 256 * 1024
#: The largest id each database can hold in our ``Integer`` primary keys: a path id above it
#: names nothing (404), instead of failing in the driver.
MAX_ID = {"postgresql": 2**31 - 1, "sqlite": 2**63 - 1}
#: Integers in JSON bodies and frames beyond what any column holds (64-bit signed).
MAX_INT = 2**63 - 1
M = TypeVar("M", bound=BaseModel)


@dataclass
class AppState:
    """Shared resources, created in the lifespan (``app.create_app``) and reached through
    ``request.state``."""

    settings: Settings
    db: Database
    passwords: Passwords
    hub: Hub
    #: The consoles' change signals (``/ws/changes``).
    changes: ChangeFeed
    bus: Bus
    files: DocumentFiles
    page_views: PageViews
    grants: PageGrants
    join_lists: JoinLists
    premarker: PreMarker
    #: Handshakes and resumes reading the database at once (``web.socket.DB_GATE``).
    db_gate: asyncio.Semaphore
    #: Set when the instance shuts down: /readyz takes it out of rotation.
    stopping: bool = False


def app_state(conn: HTTPConnection) -> AppState:
    state: AppState = conn.state.phonghop
    return state


async def read_json(request: Request, model: type[M]) -> M:
    if "json" not in request.headers.get("content-type", ""):
        raise UnsupportedMedia("json_required")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise PayloadTooLarge("body_too_large", limit_kb=MAX_JSON_BYTES // 1024)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise PayloadTooLarge("body_too_large", limit_kb=MAX_JSON_BYTES // 1024)
    try:
        data = parse_json(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_to_error(exc) from None


def parse_json(raw: str | bytes | bytearray) -> Any:
    """JSON from a client, through the text rules of ``domain/hygiene.py``: ValueError when
    it is not JSON; ``json_too_deep`` (400), ``text_invalid`` or ``number_out_of_range``
    (422) when it breaks a rule."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise PhonghopError("json_too_deep", limit=MAX_DEPTH) from None
    return checked(data)


def checked(data: Any) -> Any:
    """Parsed JSON through the text and number rules (see :func:`parse_json`)."""
    try:
        data = clean(data)
    except TextRefused as exc:
        if exc.problem == "too_deep":
            raise PhonghopError("json_too_deep", limit=MAX_DEPTH) from None
        raise InvalidInput("text_invalid", field=exc.field or "body", problem=exc.problem) from None
    field = _huge_int(data, "")
    if field is not None:
        raise InvalidInput("number_out_of_range", field=field or "body")
    return data


def _huge_int(value: Any, field: str) -> str | None:
    """The path of the first integer no column can hold, if any (depth already capped)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return field if not -MAX_INT <= value <= MAX_INT else None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = _huge_int(item, f"{field}.{key}" if field else str(key))
        if found is not None:
            return found
    return None


def public_base(conn: HTTPConnection) -> str:
    """The server's address as tablets reach it (``PHONGHOP_PUBLIC_URL``, else this
    request's), without a trailing slash: the base of every link and QR code."""
    return (app_state(conn).settings.public_url or str(conn.base_url)).rstrip("/")


def qr_svg(text: str, *, scale: int) -> bytes:
    """``text`` as a QR code: a standalone SVG document (with xmlns), so that browsers
    draw it in an <img>; error correction M, as a printed or projected code needs."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", xmldecl=False, scale=scale, border=2)
    return buffer.getvalue()


def office_zone(conn: HTTPConnection) -> tzinfo:
    """The offices' time zone (``settings.timezone``), in which dates and deadlines are
    read and shown; UTC+7 if the name is unknown to this machine's zone database."""
    try:
        return ZoneInfo(app_state(conn).settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=7))


def office_today(conn: HTTPConnection) -> date:
    """Today's date in the offices' time zone."""
    return clock.today(office_zone(conn))


def download_headers(filename: str, *, fallback: str | None = None, inline: bool = False) -> dict[str, str]:
    """The headers of a file the server makes for one person: never cached, with its name.
    ``filename`` may be Vietnamese (sent as RFC 5987 ``filename*``); clients that only read
    ``filename`` get ``fallback``, a plain-ASCII name (``filename`` itself when it is ASCII)."""
    plain = fallback or filename
    if not plain.isascii():
        raise ValueError(f"a download needs an ASCII fallback name, not {plain!r}")
    disposition = f'{"inline" if inline else "attachment"}; filename="{plain}"'
    if plain != filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}"
    return {"Cache-Control": "private, no-store", "Content-Disposition": disposition}


def path_int(conn: HTTPConnection, name: str) -> int:
    """An ``{name:int}`` path parameter (the route's converter has made it an int)."""
    value = conn.path_params[name]
    assert isinstance(value, int)
    if value > MAX_ID.get(app_state(conn).db.engine.dialect.name, 2**31 - 1):
        raise NotFound("not_found")
    return value


def query_int(
    conn: HTTPConnection,
    name: str,
    default: int | None = None,
    low: int | None = None,
    high: int | None = None,
) -> int | None:
    """An integer query parameter, ``default`` when absent; ``invalid_query`` when it is not
    an integer or lies outside ``low``..``high`` (by default, what an ``Integer`` column
    holds on every database)."""
    raw = conn.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput("invalid_query", field=name) from None
    low = -MAX_ID["postgresql"] if low is None else low
    high = MAX_ID["postgresql"] if high is None else high
    if value < low or value > high:
        raise InvalidInput("invalid_query", field=name)
    return value


def check_origin(conn: HTTPConnection) -> None:
    state = app_state(conn)
    if not origin_allowed(conn.headers, conn.url.scheme, state.settings.allowed_origins):
        raise PermissionDenied("origin_not_allowed")


def session_token(conn: HTTPConnection) -> str | None:
    return unsign(app_state(conn).settings.secret_key, conn.cookies.get(SESSION_COOKIE))


async def authenticate(request: Request, uow: UnitOfWork, *, display: bool = False) -> SessionInfo:
    """The caller's session; for a state-changing request (by the method it really has,
    never one an endpoint names) also the Origin and CSRF checks. ``web/csrf.py`` has made
    the cheap part of them before routing; this compares the token with the session's.

    A room display's session (``services.displays``) is refused (``display_read_only``)
    unless the endpoint says ``display=True``: the few reads the room display makes."""
    token = session_token(request)
    if token is None:
        raise Unauthenticated("not_authenticated")
    info = await resolve_session(uow, token)
    if info.actor.display and not (display and request.method in SAFE_METHODS):
        raise PermissionDenied("display_read_only")
    if request.method not in SAFE_METHODS:
        check_origin(request)
        check_csrf(request.method, request.headers, info.csrf_token)
    return info
