"""The consoles' change signals (``/ws/changes``, docs/protocol.md "Change signals").

A signal says "this comment table / this task changed; refetch it if you show it". It is a
hint, not an event: no seq, no log, no replay; a console that reconnects refetches what it
shows. Signals come from the bus (``Bus.publish_changes``) after the commit of the change,
on every instance, and go only to the consoles whose user may read the thing
(``services.changes.may_see``). A burst on one thing is coalesced: at most one signal per
topic and id every ``window`` seconds, the last one of a burst always sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from starlette.websockets import WebSocket, WebSocketState

from phonghop.domain.hygiene import json_text
from phonghop.domain.permissions import Actor
from phonghop.services.changes import may_see

log = logging.getLogger("phonghop.realtime")

#: Close code for a console that did not read its signals: reconnect and refetch.
RESYNC_CLOSE = 4001
#: Signals waiting for one console before it is closed (it refetches on reconnect).
QUEUE = 64
#: Keys remembered for coalescing before the old ones are pruned.
PRUNE_AT = 1024

Key = tuple[str, int | None, int]


class Changed(BaseModel):
    """Something a console may show changed: refetch it (its content never travels here)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["changed"] = "changed"
    #: ``comment_table`` (id: the draft's document id) or ``tasks`` (id: the task id).
    topic: Literal["comment_table", "tasks"]
    id: int | None
    body_id: int


class Watcher:
    """One console's ``/ws/changes`` connection: a bounded queue drained by one task."""

    def __init__(self, ws: WebSocket, actor: Actor, *, session_id: str, user_id: int | None) -> None:
        self.ws = ws
        self.actor = actor
        self.session_id = session_id
        self.user_id = user_id
        self.closed = False
        self._queue: asyncio.Queue[str] = asyncio.Queue(QUEUE)
        self._writer = asyncio.get_running_loop().create_task(self._drain())

    def push(self, text: str) -> bool:
        """Queue one frame; False when the console is too far behind."""
        if self.closed:
            return True
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    async def _drain(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                await self.ws.send_text(await self._queue.get())

    async def close(self, code: int, reason: str = "") -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer
        if self.closed:
            return
        self.closed = True
        if self.ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason)


class ChangeFeed:
    """This instance's consoles, fed with the change signals of every instance."""

    def __init__(self, *, window: float = 0.25, clock: Callable[[], float] | None = None) -> None:
        self.window = window
        self._clock = clock
        self.watchers: set[Watcher] = set()
        #: When each key was last sent, and the change held back for the end of its window.
        self._sent: dict[Key, float] = {}
        self._held: dict[Key, dict[str, Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = {"received": 0, "sent": 0, "coalesced": 0}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def add(self, watcher: Watcher) -> None:
        self.watchers.add(watcher)

    def remove(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)

    def deliver(self, change: dict[str, Any]) -> None:
        """One change from the bus (this instance's or another's)."""
        self.stats["received"] += 1
        key: Key = (str(change["topic"]), change.get("id"), int(change["body_id"]))
        held = self._held.get(key)
        if held is not None:  # already waiting for the end of the window: one signal
            held["units"] = sorted({*held.get("units", ()), *change.get("units", ())})
            self.stats["coalesced"] += 1
            return
        now = self._now()
        last = self._sent.get(key)
        if last is None or now - last >= self.window:
            self._send(key, change, now)
            return
        self._held[key] = dict(change)
        self.stats["coalesced"] += 1
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to flush to
            asyncio.get_running_loop().call_later(last + self.window - now, self._flush, key)

    def _flush(self, key: Key) -> None:
        change = self._held.pop(key, None)
        if change is not None:
            self._send(key, change, self._now())

    def _send(self, key: Key, change: dict[str, Any], now: float) -> None:
        self._sent[key] = now
        if len(self._sent) > PRUNE_AT:
            for old in [k for k, at in self._sent.items() if now - at >= self.window]:
                del self._sent[old]
        signal = Changed.model_validate({"topic": key[0], "id": key[1], "body_id": key[2]})
        text = json_text(signal.model_dump())
        for watcher in tuple(self.watchers):
            if not may_see(watcher.actor, change):
                continue
            if watcher.push(text):
                self.stats["sent"] += 1
            else:
                self._drop(watcher, RESYNC_CLOSE, "resync")

    def _drop(self, watcher: Watcher, code: int, reason: str) -> None:
        self.watchers.discard(watcher)
        task = asyncio.get_running_loop().create_task(watcher.close(code, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def end_access(self, notice: dict[str, Any]) -> None:
        """Close the consoles whose session or account lost access (``access.ended``, the
        same notice that closes the meeting sockets)."""
        sessions = set(notice.get("sessions") or ())
        users = set(notice.get("users") or ())
        code = int(notice.get("close") or 4401)
        for watcher in tuple(self.watchers):
            if watcher.session_id == notice.get("keep_session"):
                continue
            if watcher.session_id in sessions or (watcher.user_id is not None and watcher.user_id in users):
                self._drop(watcher, code, "access ended")

    async def close_all(self) -> None:
        for watcher in tuple(self.watchers):
            await watcher.close(1001, "server shutting down")
        self.watchers.clear()
        for task in tuple(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
