"""The event bus between app instances.

Events are published only after their transaction committed. Every instance delivers
its own events to its hub at once, so a Redis outage never stops a meeting on one
instance; Redis carries them to the other instances. The meeting log in the database
stays the source of truth: the hub fills any gap from it, after a reconnect and on a
periodic check, so an event lost in transit is late, never missing.

The consoles' change signals (``realtime.changes``) are a second, separate kind of
message (``{"origin", "changes": [...]}``): delivered here at once, carried to the other
instances, never logged; one lost while Redis is down is lost (consoles refetch on
reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from phonghop.domain.hygiene import json_text

log = logging.getLogger("phonghop.bus")


def channel_for(database_url: str) -> str:
    """Instances share a channel only when they share a database: two installations (or
    two test runs) on one Redis never see each other's meetings."""
    return "phonghop:" + hashlib.sha256(database_url.encode()).hexdigest()[:16] + ":events"


Deliver = Callable[[dict[str, Any]], None]
CatchUp = Callable[[], Awaitable[None]]
#: A signal from another instance: (message, that instance's origin).
OnSignal = Callable[[dict[str, Any], str], None]
#: Receives every change signal, this instance's and the others' (``realtime.changes``).
OnChange = Callable[[dict[str, Any]], None]


class MemoryBus:
    """One process: publishing is delivering."""

    name = "memory"

    def __init__(self) -> None:
        self._deliver: Deliver | None = None
        self.on_change: OnChange | None = None
        self.healthy = True
        self.outages = 0

    async def start(self, deliver: Deliver, catch_up: CatchUp) -> None:
        self._deliver = deliver

    async def publish(self, events: list[dict[str, Any]]) -> None:
        if self._deliver is not None:
            for event in events:
                self._deliver(event)

    def publish_changes(self, changes: list[dict[str, Any]]) -> None:
        if self.on_change is not None:
            for change in changes:
                self.on_change(change)

    async def stop(self) -> None:
        self._deliver = None


class RedisBus:
    """Redis pub/sub between instances, with local delivery first and self-healing.

    ``healthy`` follows the last thing Redis did: a publish, a ping (every
    ``check_interval``) or a subscription that failed makes it False, the next one that
    succeeds makes it True again, whatever the fault was (Redis stopped, frozen, a reset
    connection, a failover). Each outage is logged once when it starts, once when it ends.
    """

    name = "redis"

    def __init__(self, url: str, channel: str, *, check_interval: float = 2.0) -> None:
        self.url = url
        self.channel = channel
        self.origin = secrets.token_hex(8)
        self.check_interval = check_interval
        self.healthy = False
        #: Outages seen since the start (one that was there at the start counts).
        self.outages = 0
        self._known = False  # has Redis answered or failed yet?
        self._down_since = 0.0
        self._deliver: Deliver | None = None
        self._catch_up: CatchUp | None = None
        #: Receives the other instances' signals (the ballot boxes' close, docs/voting.md).
        self.on_signal: OnSignal | None = None
        self.on_change: OnChange | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue(10_000)
        self._tasks: list[asyncio.Task[None]] = []
        self._redis: Any = None

    async def start(self, deliver: Deliver, catch_up: CatchUp) -> None:
        from redis.asyncio import Redis

        self._deliver = deliver
        self._catch_up = catch_up
        self._redis = Redis.from_url(
            self.url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=10
        )
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen()),
            loop.create_task(self._send()),
            loop.create_task(self._check()),
            loop.create_task(self._probe()),
        ]

    async def publish(self, events: list[dict[str, Any]]) -> None:
        assert self._deliver is not None
        for event in events:
            self._deliver(event)
        message = json_text({"origin": self.origin, "events": events})
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            # The other instances will read these from the log on their next check.
            log.warning("redis outbox full; dropping a notification")

    async def signal(self, message: dict[str, Any]) -> None:
        """A message for the other instances' ``on_signal``, not an event: nothing
        delivers it here, nothing stores it, and it is lost while Redis is down."""
        try:
            self._outbox.put_nowait(json_text({"origin": self.origin, "signal": message}))
        except asyncio.QueueFull:
            log.warning("redis outbox full; dropping a signal")

    def publish_changes(self, changes: list[dict[str, Any]]) -> None:
        """Change signals (after their commit): to this instance's consoles at once, to the
        other instances' through Redis."""
        if self.on_change is not None:
            for change in changes:
                self.on_change(change)
        try:
            self._outbox.put_nowait(json_text({"origin": self.origin, "changes": changes}))
        except asyncio.QueueFull:
            log.warning("redis outbox full; dropping a change signal")

    async def peers(self) -> int:
        """How many other instances listen on the bus now (a dead one's subscription
        ends with its connection)."""
        counts = await self._redis.pubsub_numsub(self.channel)
        return max(0, int(counts[0][1]) - 1) if counts else 0

    async def _send(self) -> None:
        while True:
            message = await self._outbox.get()
            try:
                await self._redis.publish(self.channel, message)
            except Exception as exc:
                self._mark(False, f"publish failed: {type(exc).__name__}: {exc}")
            else:
                self._mark(True)

    def _mark(self, ok: bool, reason: str = "") -> None:
        """Record what Redis just did; log the start and the end of each outage once."""
        if ok and not self.healthy:
            if self._known:
                log.warning("redis bus back after %.1f s", time.monotonic() - self._down_since)
            else:
                log.info("redis bus connected")
        elif not ok and (self.healthy or not self._known):
            self.outages += 1
            self._down_since = time.monotonic()
            log.warning(
                "redis bus unavailable%s (%s); serving local tablets, other instances catch up from the log",
                "" if self._known else " at start",
                reason,
            )
        self._known = True
        self.healthy = ok

    async def _listen(self) -> None:
        delay = 0.2
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._mark(True)
                delay = 0.2
                assert self._catch_up is not None
                await self._catch_up()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    self._on_message(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._mark(False, f"subscription lost: {type(exc).__name__}: {exc}")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _on_message(self, raw: bytes | str) -> None:
        try:
            payload = json.loads(raw)
        except ValueError:
            log.warning("ignoring a malformed bus message")
            return
        origin = payload.get("origin")
        if origin == self.origin or self._deliver is None:
            return
        changes = payload.get("changes")
        if isinstance(changes, list):
            if self.on_change is not None:
                for change in changes:
                    if isinstance(change, dict):
                        self.on_change(change)
            return
        signal = payload.get("signal")
        if isinstance(signal, dict):
            if self.on_signal is not None:
                self.on_signal(signal, str(origin))
            return
        for event in payload.get("events", []):
            self._deliver(event)

    async def _check(self) -> None:
        """The safety net: compare each room with the log, often while Redis is down."""
        assert self._catch_up is not None
        while True:
            await asyncio.sleep(self.check_interval if self.healthy else 0.5)
            try:
                await self._catch_up()
            except Exception:
                log.exception("periodic catch-up failed")

    async def _probe(self) -> None:
        """A ping every ``check_interval`` (every half second during an outage): an instance
        that publishes nothing still notices a fault, and sees the end of one at once."""
        while True:
            await asyncio.sleep(self.check_interval if self.healthy else 0.5)
            try:
                await self._redis.ping()
            except Exception as exc:
                self._mark(False, f"ping failed: {type(exc).__name__}: {exc}")
            else:
                self._mark(True)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._redis is not None:
            await self._redis.aclose()


Bus = MemoryBus | RedisBus


def create_bus(redis_url: str | None, database_url: str) -> Bus:
    return RedisBus(redis_url, channel_for(database_url)) if redis_url else MemoryBus()
