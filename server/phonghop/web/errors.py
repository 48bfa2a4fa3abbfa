"""One JSON shape for every error: ``{"error": {"code", "message", "params"}}``.

The message is in the request's language (``?lang=``, else Accept-Language, else
Vietnamese); the code is stable and is what clients branch on.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from phonghop import metrics
from phonghop.errors import InvalidInput, PhonghopError
from phonghop.services.page_grants import server_busy
from phonghop.translations import error_message, pick_language

log = logging.getLogger("phonghop.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def request_language(request: Request) -> str:
    return pick_language(request.query_params.get("lang") or request.headers.get("accept-language"))


def error_body(code: str, lang: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    params = params or {}
    return {"error": {"code": code, "message": error_message(code, lang, **params), "params": params}}


def error_response(request: Request, exc: PhonghopError) -> JSONResponse:
    metrics.errors[(exc.code, "http")] += 1
    retry = exc.params.get("retry_after")
    headers = {"Retry-After": str(retry)} if exc.status == 503 and isinstance(retry, int) else None
    return JSONResponse(
        error_body(exc.code, request_language(request), exc.params), status_code=exc.status, headers=headers
    )


def validation_to_error(exc: ValidationError) -> InvalidInput:
    """Pydantic's report as our ``invalid_input`` with the offending fields named."""
    fields = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        fields.append({"field": loc, "problem": err["type"]})
    first = fields[0]["field"] if fields else "body"
    return InvalidInput("invalid_input", field=first, fields=fields)


async def phonghop_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PhonghopError)
    return error_response(request, exc)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    metrics.errors[(code, "http")] += 1
    return JSONResponse(
        error_body(code, request_language(request)), status_code=exc.status_code, headers=exc.headers
    )


def out_of_range(exc: BaseException) -> bool:
    """Whether the database driver refused a value sent by the client (an integer beyond
    the column's type, say ``2**40`` for an ``integer`` id on PostgreSQL)."""
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, OverflowError) or type(seen).__name__ == "DataError":
            return True
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "orig", None)
    return False


async def client_gone_handler(request: Request, exc: Exception) -> JSONResponse:
    """The client hung up while sending its body (an upload cut off by the Wi-Fi, a tab
    closed): nothing is wrong with the server and nobody reads the answer. Logged as
    such, counted as ``client_disconnected``, never as ``internal_error``."""
    log.info("client hung up while sending %s %s", request.method, request.url.path)
    metrics.errors[("client_disconnected", "http")] += 1
    return JSONResponse(error_body("client_disconnected", request_language(request)), status_code=400)


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A driver error: ``value_out_of_range`` when the client's value caused it, else as
    any unexpected error."""
    if out_of_range(exc):
        return error_response(request, InvalidInput("value_out_of_range"))
    return await unexpected_error_handler(request, exc)


async def pool_timeout_handler(request: Request, exc: Exception) -> JSONResponse:
    """Every pooled connection stayed busy for the pool's timeout: overload, not a bug.
    503 with Retry-After, so that clients come back rather than give up."""
    assert isinstance(exc, PoolTimeout)
    log.warning("no database connection for %s %s: answered 503", request.method, request.url.path)
    return error_response(request, server_busy())


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    metrics.errors[("internal_error", "http")] += 1
    return JSONResponse(error_body("internal_error", request_language(request)), status_code=500)
