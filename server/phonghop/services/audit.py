"""The append-only audit log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

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


class PageViews:
    """Which page each tablet showed, from its ``viewer.report``, in the audit log.

    A page turn by the presenter makes every tablet report at once; writing 1,600 rows
    one transaction each would compete with the meeting's own writes, so reports are
    collected and written together at most once per ``interval`` seconds (and at shutdown).
    """

    def __init__(self, db: Database, interval: float = 1.0) -> None:
        self._db = db
        self._interval = interval
        self._pending: list[AuditEntry] = []
        self._task: asyncio.Task[None] | None = None

    def record(self, actor: Actor, document_id: int, page: int) -> None:
        self._pending.append(
            AuditEntry(
                at=utcnow(),
                body_id=actor.body_id,
                actor_user_id=actor.user_id,
                actor_participant_id=actor.participant_id,
                action="document.page_viewed",
                target_type="document",
                target_id=str(document_id),
                detail={"page": page},
            )
        )
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._interval)
        await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            async with self._db.unit() as uow:
                uow.session.add_all(batch)
        except Exception:
            log.exception("could not write %d page views to the audit log; kept for the next try", len(batch))
            self._pending[:0] = [_copy(e) for e in batch]

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()


def _copy(entry: AuditEntry) -> AuditEntry:
    return AuditEntry(
        at=entry.at,
        body_id=entry.body_id,
        actor_user_id=entry.actor_user_id,
        actor_participant_id=entry.actor_participant_id,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        detail=entry.detail,
    )
