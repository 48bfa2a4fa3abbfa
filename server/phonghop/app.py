"""``create_app(settings)``: routes and lifespan, no logic."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from phonghop import __version__
from phonghop.config import Settings
from phonghop.documents.files import PAGE_WIDTHS, DocumentFiles
from phonghop.documents.premark import PreMarker
from phonghop.documents.rendering import RenderSettings
from phonghop.errors import PhonghopError
from phonghop.realtime._transport import CaptureTransport
from phonghop.realtime.bus import RedisBus, create_bus
from phonghop.realtime.changes import ChangeFeed
from phonghop.realtime.hub import Hub
from phonghop.realtime.replay import events_after, last_seqs
from phonghop.services.accounts import Passwords
from phonghop.services.audit import PageViews
from phonghop.services.ballots import ballot_queue
from phonghop.services.page_grants import PageGrants
from phonghop.services.roster import JoinLists
from phonghop.storage.db import Database
from phonghop.web import annotations as annotation_api
from phonghop.web import (
    api,
    changes,
    documents,
    followup,
    notices,
    notifications,
    openapi,
    opinions,
    polls,
    security,
    socket,
)
from phonghop.web import comments as comment_api
from phonghop.web import displays as displays_api
from phonghop.web import identity as identity_api
from phonghop.web import invitations as invitation_api
from phonghop.web import minutes as minutes_api
from phonghop.web import preparation as preparation_api
from phonghop.web import statistics as statistics_api
from phonghop.web.context import AppState, app_state
from phonghop.web.csrf import CsrfGuard
from phonghop.web.errors import (
    client_gone_handler,
    database_error_handler,
    error_body,
    http_error_handler,
    phonghop_error_handler,
    pool_timeout_handler,
    unexpected_error_handler,
)
from phonghop.web.hygiene import QueryGuard
from phonghop.web.security import SecurityHeaders
from phonghop.web.static import ClientFiles

CLIENT_DIR = Path(__file__).resolve().parent.parent.parent / "client_web"


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> Response:
    """ "Send me traffic": 503 only when this instance cannot serve (its database does not
    answer, or it is shutting down). A Redis outage only degrades it: tablets on this
    instance get every event at once, those on others from the log a moment later."""
    state = app_state(request)
    checks: dict[str, str] = {}
    if state.stopping:
        checks["instance"] = "error: shutting down"
    bus = state.bus
    if bus is not None and bus.name == "redis":
        checks["redis"] = "ok" if bus.healthy else "degraded: not connected"
    try:
        async with state.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    ready = not any(v.startswith("error") for v in checks.values())
    status = "unavailable" if not ready else "ok" if all(v == "ok" for v in checks.values()) else "degraded"
    body: dict[str, Any] = {"status": status, "checks": checks}
    if not ready:
        body.update(error_body("service_unavailable", "vi"))
    return JSONResponse(body, status_code=200 if ready else 503)


async def root(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=302)


def create_app(settings: Settings, *, client_dir: Path | None = None) -> CaptureTransport:
    settings = settings.with_secret()
    client = client_dir or CLIENT_DIR

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )
        hub = Hub(
            lambda meeting_id, after: events_after(db, meeting_id, after),
            lambda ids: last_seqs(db, ids),
        )
        bus = create_bus(settings.redis_url, settings.database_url)
        grants = PageGrants(db, ttl=settings.page_grant_seconds)
        ballots = ballot_queue(db, settings.secret_ballot_batch)
        join_lists = JoinLists()
        change_feed = ChangeFeed()

        files = DocumentFiles(
            blob_dir=settings.blob_dir,
            cache_dir=settings.cache_dir,
            max_upload_bytes=settings.max_upload_mb << 20,
            render=RenderSettings(widths=PAGE_WIDTHS, workers=max(1, settings.render_workers)),
        )
        premarker = PreMarker(settings.cache_dir, files.pages, files.render)

        def on_event(event: dict[str, Any]) -> None:
            grants.on_event(event)
            premarker.on_event(event)
            ballots.on_event(event)
            join_lists.on_event(event)
            if event.get("type") == "access.ended":
                change_feed.end_access(event)
            hub.deliver(event)

        if isinstance(bus, RedisBus):  # other instances' boxes (docs/voting.md)
            ballots.bus, bus.on_signal = bus, ballots.on_signal
        bus.on_change = change_feed.deliver
        await bus.start(on_event, hub.catch_up)
        db.publisher = bus.publish
        db.change_publisher = bus.publish_changes
        files.start()
        page_views = PageViews(db)
        state = AppState(
            settings=settings,
            db=db,
            passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
            hub=hub,
            changes=change_feed,
            bus=bus,
            files=files,
            page_views=page_views,
            grants=grants,
            join_lists=join_lists,
            premarker=premarker,
            db_gate=asyncio.Semaphore(socket.DB_GATE),
        )
        # Everything allocated so far lives as long as the process: keep it out of the
        # collector's way, so a full collection does not stall a page turn.
        scheduled = None
        if settings.backup_every_hours > 0:
            from phonghop.ops.backup import run_schedule

            scheduled = asyncio.get_running_loop().create_task(run_schedule(settings))
        reminders = None
        if settings.reminder_interval > 0:
            from phonghop.services.reminders import run_schedule as run_reminder_schedule

            reminders = asyncio.get_running_loop().create_task(run_reminder_schedule(db, settings))
        gc.freeze()
        try:
            yield {"phonghop": state}
        finally:
            state.stopping = True  # /readyz: take this instance out of rotation
            for task in (scheduled, reminders):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await ballots.stop()
            await hub.close_all()
            await change_feed.close_all()
            await page_views.stop()
            await premarker.close()
            await bus.stop()
            ballots.bus = None
            files.close()
            await db.dispose()

    routes: list[BaseRoute] = [
        Route("/", root),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *api.routes,
        *identity_api.routes,
        *displays_api.routes,
        *documents.routes,
        *preparation_api.routes,
        *polls.routes,
        *annotation_api.routes,
        *notices.routes,
        *minutes_api.routes,
        *followup.routes,
        *invitation_api.routes,
        *opinions.routes,
        *comment_api.routes,
        *statistics_api.routes,
        *notifications.routes,
        *security.routes,
        *socket.routes,
        *changes.routes,
        *openapi.routes,
    ]
    if client.is_dir():
        routes.append(Mount("/", app=ClientFiles(directory=client, html=True), name="client"))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            PhonghopError: phonghop_error_handler,
            HTTPException: http_error_handler,
            ClientDisconnect: client_gone_handler,
            DBAPIError: database_error_handler,
            OverflowError: database_error_handler,
            PoolTimeout: pool_timeout_handler,
            Exception: unexpected_error_handler,
        },
    )
    return CaptureTransport(SecurityHeaders(CsrfGuard(QueryGuard(app), settings.allowed_origins)))
