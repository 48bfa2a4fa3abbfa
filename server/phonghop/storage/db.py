"""Engine, sessions and the unit of work.

Services receive a :class:`UnitOfWork`; they read and write through its session and
record the meeting events they produce, but never commit. The caller (a web endpoint,
the CLI) opens the unit of work; on a clean exit it commits and *then* hands the events
to the publisher, so no tablet ever sees an event for a change that was rolled back. The
consoles' change signals (``uow.changes``) follow the same rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

EventPublisher = Callable[[list[dict[str, Any]]], Awaitable[None]]
#: Publishes the change signals of a committed unit of work (``services.changes``).
ChangePublisher = Callable[[list[dict[str, Any]]], None]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(
    url: str,
    *,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    pool_timeout: float = 5.0,
) -> AsyncEngine:
    """The engine with a bounded pool: ``pool_size`` connections kept, ``max_overflow``
    more under load, and ``pool_timeout`` seconds to wait for one before
    ``sqlalchemy.exc.TimeoutError`` (which the web layer answers 503 with Retry-After)."""
    if url.startswith("sqlite"):
        # A small pool: opening an aiosqlite connection (a thread and a file) for every
        # unit of work costs about 1 ms of CPU, three times a pooled unit's whole overhead.
        size = 5 if pool_size is None else pool_size
        engine = create_async_engine(
            url,
            pool_size=size,
            max_overflow=10 if max_overflow is None else max_overflow,
            pool_timeout=pool_timeout,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    size = 10 if pool_size is None else pool_size
    return create_async_engine(
        url,
        pool_size=size,
        max_overflow=size if max_overflow is None else max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
    )


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int | None = None,
        max_overflow: int | None = None,
        pool_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.engine = create_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite takes one writer at a time; serialising writers inside the process turns
        # "database is locked" retries into an orderly queue. PostgreSQL needs no such lock.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.publisher: EventPublisher | None = None
        self.change_publisher: ChangePublisher | None = None

    def unit(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self, write=write)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @property
    def sync_engine(self) -> Engine:
        return self.engine.sync_engine


class UnitOfWork:
    """``async with db.unit() as uow:`` — one transaction, events published after commit."""

    def __init__(self, db: Database, *, write: bool) -> None:
        self.db = db
        self.write = write
        self.events: list[dict[str, Any]] = []
        #: Change signals for the consoles (not meeting events: no log, no seq).
        self.changes: list[dict[str, Any]] = []
        self.after_commit: list[Callable[[], Awaitable[None]]] = []
        self._session: AsyncSession | None = None
        self._locked = False

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        if self.write and self.db._write_lock is not None:
            await self.db._write_lock.acquire()
            self._locked = True
        self._session = self.db.sessionmaker()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            if exc_type is None and self.write:
                await session.commit()
            elif exc_type is not None:
                await session.rollback()
            # A read-only unit just closes: closing ends the transaction without expiring
            # what was loaded, so views can still be built from those objects.
        finally:
            await session.close()
            self._session = None
            if self._locked and self.db._write_lock is not None:
                self.db._write_lock.release()
                self._locked = False
        if exc_type is None:
            if self.events and self.db.publisher is not None:
                await self.db.publisher(self.events)
            if self.changes and self.db.change_publisher is not None:
                self.db.change_publisher(self.changes)
            for callback in self.after_commit:
                await callback()
