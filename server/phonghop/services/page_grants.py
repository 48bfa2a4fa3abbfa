"""Page-access decisions on the hot path: cached, resolved in batches, refused when overloaded.

A 1,600-seat congress opening a 50-page document asks for 80,000 page images, the first
1,600 of them in the same second. Each needs a decision: whose session is this, may they
read this version? :class:`PageGrants` keeps the answer per (session token, version) for
``ttl`` seconds and drops a meeting's answers as soon as an event that can change them
passes through the bus (``document.*``: recall, new version, access change;
``participant.*``: a participant removed or their sessions revoked; ``meeting.*``;
``access.ended``: a sign-out everywhere, reset, deactivation or device taken over), on
every instance (a logout is an ``access.ended`` too). The bound on staleness is
therefore: at once where the bus is up; ``ttl`` seconds (``PHONGHOP_PAGE_GRANT_SECONDS``,
60 by default) on another instance while Redis is unreachable. An answer never outlives
its session's expiry.

A miss does not take a pooled connection of its own: misses that arrive together wait
for one loader, which resolves up to ``batch`` of them in one read-only unit of work
(the sessions, participants, meetings, versions and documents loaded with a handful of
``IN`` queries, then the ordinary checks of ``accounts.resolve_session`` and
``documents.page_access`` against those rows). When more than ``max_waiting`` misses are
queued, or the loader cannot get a connection within the pool's timeout, the request is
answered at once with ``Unavailable("server_busy")`` (503 with ``Retry-After``): the
tablet retries, and nothing waits a minute to end in a 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from phonghop.errors import PhonghopError, Unavailable
from phonghop.services import accounts, documents
from phonghop.services.documents import PageAccess
from phonghop.storage.db import Database, UnitOfWork
from phonghop.storage.models import Document, DocumentVersion, utcnow

log = logging.getLogger("phonghop.documents")

#: Seconds a tablet is told to wait before asking again when the server is busy.
RETRY_AFTER = 2

Key = tuple[str, int]


def server_busy() -> Unavailable:
    return Unavailable("server_busy", retry_after=RETRY_AFTER)


class PageGrants:
    """Recent page-access decisions by (session token, version id); see the module."""

    PREFIXES = ("document.", "participant.", "meeting.")

    def __init__(
        self,
        db: Database | None = None,
        *,
        ttl: float = 60.0,
        size: int = 50_000,
        batch: int = 400,
        max_waiting: int = 8_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.size = size
        self.batch = batch
        self.max_waiting = max_waiting
        self.clock = clock
        self._entries: dict[Key, tuple[float, int, PageAccess]] = {}
        self._waiting: dict[Key, list[asyncio.Future[PageAccess]]] = {}
        self._queued = 0
        self._loader: asyncio.Task[None] | None = None
        #: Bumped by every invalidation: a batch read before it is not cached.
        self._epoch = 0

    # -- the cache ----------------------------------------------------------------------------

    def get(self, token: str, version_id: int, now: float) -> PageAccess | None:
        entry = self._entries.get((token, version_id))
        if entry is None or entry[0] <= now:
            return None
        return entry[2]

    def put(
        self, token: str, version_id: int, access: PageAccess, now: float, *, expires_in: float | None = None
    ) -> None:
        """Keep ``access`` for ``ttl`` seconds, or ``expires_in`` (the session's rest) if shorter."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        lifetime = self.ttl if expires_in is None else min(self.ttl, expires_in)
        self._entries[(token, version_id)] = (now + lifetime, access.meeting_id, access)

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "access.ended":
            # Sessions, accounts or participants lost their access (sign-out everywhere, a
            # password reset, a deactivation, a device taken over): rare, and named by
            # session hash, account or participant rather than by token, so every decision
            # is dropped instead of being mapped back.
            self._epoch += 1
            self._entries.clear()
            return
        if str(event.get("type", "")).startswith(self.PREFIXES):
            self._epoch += 1
            meeting_id = int(event["meeting_id"])
            for key in [k for k, v in self._entries.items() if v[1] == meeting_id]:
                del self._entries[key]

    def forget_session(self, token: str) -> None:
        self._epoch += 1
        for key in [k for k in self._entries if k[0] == token]:
            del self._entries[key]

    # -- resolving misses -----------------------------------------------------------------------

    async def resolve(self, token: str, version_id: int) -> PageAccess:
        """The decision for this session and version: from the cache, else from the next
        batch; ``Unavailable("server_busy")`` when too many are already waiting."""
        hit = self.get(token, version_id, self.clock())
        if hit is not None:
            return hit
        if self.db is None:
            raise RuntimeError("PageGrants without a database only caches")
        if self._queued >= self.max_waiting:
            raise server_busy()
        future: asyncio.Future[PageAccess] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault((token, version_id), []).append(future)
        self._queued += 1
        if self._loader is None or self._loader.done():
            self._loader = asyncio.get_running_loop().create_task(self._load())
        return await future

    @property
    def waiting(self) -> int:
        """Page requests waiting for a decision from the database (a gauge for /metrics)."""
        return self._queued

    async def _load(self) -> None:
        while self._waiting:
            try:
                await self._load_batch()
            except Exception:  # every waiter of the batch was answered; keep serving
                log.exception("page access batch failed")

    async def _load_batch(self) -> None:
        """One unit of work: the connection first, then every miss that arrived meanwhile
        (up to ``batch``), so that the misses of a busy second share it."""
        assert self.db is not None
        waiters: dict[Key, list[asyncio.Future[PageAccess]]] = {}
        results: dict[Key, tuple[PageAccess, float] | BaseException] = {}
        epoch, started = self._epoch, self.clock()
        try:
            async with self.db.unit(write=False) as uow:
                await uow.session.connection()
                epoch, started = self._epoch, self.clock()
                keys = list(self._waiting)[: self.batch]
                waiters = {key: self._waiting.pop(key) for key in keys}
                self._queued -= sum(len(w) for w in waiters.values())
                results = await resolve_page_access(uow, keys)
        except PoolTimeout:
            # Every waiter would wait as long again behind this batch: all are told to retry.
            waiters.update(self._waiting)
            self._waiting, self._queued = {}, 0
            log.warning("no database connection for %d page requests: answered 503", len(waiters))
            results = dict.fromkeys(waiters, server_busy())
        except Exception as exc:
            results = dict.fromkeys(waiters, exc)
            self._answer(waiters, results, cacheable=False, started=started)
            raise
        self._answer(waiters, results, cacheable=epoch == self._epoch, started=started)

    def _answer(
        self,
        waiters: dict[Key, list[asyncio.Future[PageAccess]]],
        results: dict[Key, tuple[PageAccess, float] | BaseException],
        *,
        cacheable: bool,
        started: float,
    ) -> None:
        for key, futures in waiters.items():
            result = results[key]
            if isinstance(result, tuple):
                access, expires_in = result
                if cacheable:
                    self.put(key[0], key[1], access, started, expires_in=expires_in)
                for future in futures:
                    if not future.done():
                        future.set_result(access)
            else:
                for future in futures:
                    if not future.done():
                        future.set_exception(_fresh(result))


async def resolve_page_access(
    uow: UnitOfWork, keys: list[Key]
) -> dict[Key, tuple[PageAccess, float] | BaseException]:
    """The decision for each (token, version): the access and the seconds left in its
    session, or the error the request gets. A handful of ``IN`` queries load every row the
    ordinary checks read, so those checks find them in the unit of work."""
    results: dict[Key, tuple[PageAccess, float] | BaseException] = {}
    expiry = await accounts.preload_sessions(uow, list({token for token, _ in keys}))
    kept: list[object] = uow.session.info.setdefault("preloaded", [])
    version_ids = {version_id for _, version_id in keys}
    versions = list(
        await uow.session.scalars(select(DocumentVersion).where(DocumentVersion.id.in_(version_ids)))
    )
    kept.extend(versions)
    document_ids = {v.document_id for v in versions}
    kept.extend(await uow.session.scalars(select(Document).where(Document.id.in_(document_ids))))
    now = utcnow()
    for key in keys:
        token, version_id = key
        try:
            info = await accounts.resolve_session(uow, token)
            access = await documents.page_access(uow, info.actor, version_id, 1)
            if info.participant is not None:  # the watermark's lines need no query per page
                access = replace(access, recipient=(info.participant.full_name, info.participant.title))
        except PhonghopError as exc:
            results[key] = exc
            continue
        expires: datetime | None = expiry.get(token)
        rest = (expires - now).total_seconds() if expires is not None else 0.0
        results[key] = (access, max(0.0, rest))
    return results


def _fresh(exc: BaseException) -> BaseException:
    """A new instance per waiter: one exception object raised in many tasks would collect
    every task's traceback."""
    if isinstance(exc, PhonghopError):
        return type(exc)(exc.code, **exc.params)
    return exc
