"""The append-only audit log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert

from phonghop.domain.permissions import Actor
from phonghop.storage.db import Database, UnitOfWork
from phonghop.storage.models import AuditEntry, utcnow

log = logging.getLogger("phonghop.audit")


def record_audit(
    uow: UnitOfWork,
    actor: Actor | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    remote_addr: str = "",
    **detail: Any,
) -> None:
    uow.session.add(
        AuditEntry(
            body_id=actor.body_id if actor else None,
            actor_user_id=actor.user_id if actor else None,
            actor_participant_id=actor.participant_id if actor else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            detail=detail,
            remote_addr=remote_addr,
        )
    )


_AUDIT_LOG = cast(Table, AuditEntry.__table__)

#: Who saw which document, and how (one audit row gathers their pages of one flush):
#: (body_id, user_id, participant_id, document_id, action, extra detail as sorted items).
_ViewKey = tuple[int | None, int | None, int | None, int, str, tuple[tuple[str, Any], ...]]

#: The actions :class:`PageViews` writes, several pages to a row.
PAGE_VIEW_ACTIONS = frozenset({"document.page_viewed", "document.page_served"})

#: Seconds between two writes of the page views (``PageViews``): what a crash can lose.
PAGE_VIEWS_INTERVAL = 5.0


class PageViews:
    """Which page each tablet showed (``viewer.report``) or was sent, in the audit log.

    A page turn by the presenter makes every tablet report at once: 1,600 reports per
    turn, several turns a second. A report therefore only appends its page and the time
    to the list of its reader and document (no ORM object, no database work). At most
    once per ``interval`` seconds (and at shutdown, and before the document's audit is
    listed) each list becomes one audit row, ``detail = {"pages": [...], "ms": [...]}``:
    the pages in the order shown and each one's time in milliseconds after the row's
    ``at``. So the audit keeps every page shown and when, at one row per reader and
    document per interval instead of one per page (``expand_page_views`` gives the pages
    back one by one). A failed write keeps the batch for the next try; a process killed
    loses at most the last ``interval`` seconds of page views (docs/operations.md).
    """

    def __init__(self, db: Database, interval: float = PAGE_VIEWS_INTERVAL) -> None:
        self._db = db
        self._interval = interval
        self._pending: dict[_ViewKey, list[tuple[int, float]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._waiting = False

    def record(
        self,
        actor: Actor,
        document_id: int,
        page: int,
        *,
        action: str = "document.page_viewed",
        **detail: Any,
    ) -> None:
        """Also ``document.page_served`` (a watermarked page sent): a congress turning a
        classified page is 1,600 of those in a second."""
        key = (
            actor.body_id,
            actor.user_id,
            actor.participant_id,
            document_id,
            action,
            tuple(sorted(detail.items())) if detail else (),
        )
        views = self._pending.get(key)
        if views is None:
            views = self._pending[key] = []
        views.append((page, time.monotonic()))
        task = self._task
        if task is None or task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        self._waiting = True
        try:
            await asyncio.sleep(self._interval)
        finally:
            self._waiting = False
        await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, {}
        if not batch:
            return
        # Each view's wall-clock time, from how long before this moment it was recorded.
        now, mono = utcnow(), time.monotonic()
        rows = []
        for (body_id, user_id, participant_id, document_id, action, extra), views in batch.items():
            first = views[0][1]
            rows.append(
                {
                    "at": now - timedelta(seconds=mono - first),
                    "body_id": body_id,
                    "actor_user_id": user_id,
                    "actor_participant_id": participant_id,
                    "action": action,
                    "target_type": "document",
                    "target_id": str(document_id),
                    "detail": {
                        **dict(extra),
                        "pages": [page for page, _ in views],
                        "ms": [round((at - first) * 1000) for _, at in views],
                    },
                    "remote_addr": "",
                    "note": "",
                }
            )
        try:
            async with self._db.unit() as uow:
                await uow.session.execute(insert(_AUDIT_LOG), rows)
        except Exception:
            log.exception(
                "could not write the page views of %d readers to the audit log; kept for the next try",
                len(batch),
            )
            for key, views in batch.items():
                self._pending.setdefault(key, [])[:0] = views

    async def stop(self) -> None:
        task = self._task
        if task is not None and not task.done():
            if self._waiting:
                task.cancel()  # still waiting: the flush below writes its batch
            with contextlib.suppress(asyncio.CancelledError):
                await task  # a flush under way finishes its transaction first
        self._task = None
        await self.flush()


def expand_page_views(at: datetime, detail: dict[str, Any]) -> list[tuple[datetime, dict[str, Any]]]:
    """The pages of one page-view audit row, one (time, detail with ``page``) each: a row
    written by :class:`PageViews` lists several; an older row names one ``page``."""
    pages, offsets = detail.get("pages"), detail.get("ms")
    if not isinstance(pages, list) or not isinstance(offsets, list) or len(pages) != len(offsets):
        return [(at, detail)]
    rest = {k: v for k, v in detail.items() if k not in ("pages", "ms")}
    return [
        (at + timedelta(milliseconds=ms), {**rest, "page": page})
        for page, ms in zip(pages, offsets, strict=True)
    ]
