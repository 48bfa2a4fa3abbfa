"""The append-only audit log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
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

#: One page a tablet showed or was sent: (at, body_id, user_id, participant_id,
#: document_id, page, action, extra detail).
PageView = tuple[datetime, int | None, int | None, int | None, int, int, str, dict[str, Any]]


class PageViews:
    """Which page each tablet showed, from its ``viewer.report``, in the audit log.

    A page turn by the presenter makes every tablet report at once: 1,600 reports per
    turn, several turns a second. A report therefore only appends a tuple here (no ORM
    object, no database work); the tuples are written together as one multi-row INSERT
    at most once per ``interval`` seconds (and at shutdown), one audit row per page shown,
    so the audit stays complete. A failed write keeps the batch for the next try.
    """

    def __init__(self, db: Database, interval: float = 1.0) -> None:
        self._db = db
        self._interval = interval
        self._pending: list[PageView] = []
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
        self._pending.append(
            (utcnow(), actor.body_id, actor.user_id, actor.participant_id, document_id, page, action, detail)
        )
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
        batch, self._pending = self._pending, []
        if not batch:
            return
        rows = [
            {
                "at": at,
                "body_id": body_id,
                "actor_user_id": user_id,
                "actor_participant_id": participant_id,
                "action": action,
                "target_type": "document",
                "target_id": str(document_id),
                "detail": {**detail, "page": page},
                "remote_addr": "",
                "note": "",
            }
            for at, body_id, user_id, participant_id, document_id, page, action, detail in batch
        ]
        try:
            async with self._db.unit() as uow:
                await uow.session.execute(insert(_AUDIT_LOG), rows)
        except Exception:
            log.exception("could not write %d page views to the audit log; kept for the next try", len(batch))
            self._pending[:0] = batch

    async def stop(self) -> None:
        task = self._task
        if task is not None and not task.done():
            if self._waiting:
                task.cancel()  # still waiting: the flush below writes its batch
            with contextlib.suppress(asyncio.CancelledError):
                await task  # a flush under way finishes its transaction first
        self._task = None
        await self.flush()
