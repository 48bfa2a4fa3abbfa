"""Statistics over HTTP (docs/api.md, "Statistics"): the body's figures for a period as
JSON, and the same as an XLSX workbook (one sheet per section) or a DOCX report.

``from``/``to`` are office dates (``settings.timezone``), both included; "today" (which
tasks are overdue, the default year) is the office's date too.
"""

from __future__ import annotations

import asyncio
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from phonghop import clock
from phonghop.exports.tables import write_docx_tables, write_xlsx_sheets
from phonghop.services import statistics
from phonghop.web.context import app_state, authenticate, download_headers, office_zone
from phonghop.web.errors import request_language

_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _period(request: Request, today: date) -> statistics.Period:
    query = request.query_params
    return statistics.parse_period(query.get("from"), query.get("to"), today)


async def get_statistics(request: Request) -> Response:
    tz = office_zone(request)
    today = clock.today(tz)
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        stats = await statistics.statistics(uow, info.actor, _period(request, today), today=today, tz=tz)
    return JSONResponse(stats)


async def _export(request: Request, kind: str) -> Response:
    tz = office_zone(request)
    today = clock.today(tz)
    lang = request_language(request)
    async with app_state(request).db.unit(write=False) as uow:
        info = await authenticate(request, uow)
        period = _period(request, today)
        stats = await statistics.statistics(uow, info.actor, period, today=today, tz=tz)
        tables = await statistics.export_tables(uow, info.actor, stats, lang)
    write = write_xlsx_sheets if kind == "xlsx" else write_docx_tables
    content = await asyncio.to_thread(write, tables)
    name = f"thong-ke_{period.start.isoformat()}_{period.end.isoformat()}.{kind}"
    return Response(content, media_type=_MEDIA[kind], headers=download_headers(name))


async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


async def export_docx(request: Request) -> Response:
    return await _export(request, "docx")


routes: list[BaseRoute] = [
    Route("/api/statistics", get_statistics, methods=["GET"]),
    Route("/api/statistics.xlsx", export_xlsx, methods=["GET"]),
    Route("/api/statistics.docx", export_docx, methods=["GET"]),
]
