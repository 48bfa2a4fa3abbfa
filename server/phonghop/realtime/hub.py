"""Rooms of connected tablets and consoles, one per meeting, fed by the bus.

* A room delivers events in strict ``seq`` order: a duplicate (an event already
  delivered, e.g. echoed by Redis) is dropped; an early one waits while the gap is filled
  from the database, which is the source of truth.
* An event is serialised and framed once per broadcast, never once per connection.
* Each connection has a bounded outbound buffer; a tablet that cannot keep up is closed
  with code 4001 ("resync") instead of slowing the room. It reconnects and resumes.
* A connection that is resuming buffers live events until its replay is sent, then
  sends only what follows, so no event is sent twice or skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from phonghop.domain.hygiene import json_text
from phonghop.events import audience_members, may_see
from phonghop.realtime._transport import RawWriter, text_frame
from phonghop.realtime.protocol import CLOSE_MEETING_ENDED, PROTOCOL_VERSION

log = logging.getLogger("phonghop.realtime")

RESYNC_CLOSE = 4001
MEETING_ENDED_EVENTS = frozenset({"meeting.closed", "meeting.cancelled"})
FALLBACK_QUEUE = 256
GAP_WAIT = 0.05

LoadEvents = Callable[[int, int], Awaitable[tuple[int, list[dict[str, Any]]]]]
LoadLastSeqs = Callable[[list[int]], Awaitable[dict[int, int]]]


def dumps(message: dict[str, Any]) -> str:
    """One frame's text, always encodable (see ``hygiene.json_text``)."""
    return json_text(message)


def event_message(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "v": PROTOCOL_VERSION,
        "seq": event["seq"],
        "type": event["type"],
        "ts": event["ts"],
        "data": event["data"],
    }


def withheld_message(event: dict[str, Any]) -> dict[str, Any]:
    """What a session outside the event's audience receives in its place."""
    return {
        "v": PROTOCOL_VERSION,
        "seq": event["seq"],
        "type": "event.withheld",
        "ts": event["ts"],
        "data": {},
    }


def message_for(event: dict[str, Any], participant_id: int | None, controller: bool) -> dict[str, Any]:
    """The event as this session may see it (see ``protocol.audience_members``)."""
    if may_see(event.get("audience", "all"), participant_id, controller):
        return event_message(event)
    return withheld_message(event)


class Connection:
    __slots__ = (
        "_queue",
        "_raw",
        "_writer",
        "backlog",
        "closed",
        "controller",
        "language",
        "limit",
        "meeting_id",
        "participant_id",
        "sent_seq",
        "session_id",
        "syncing",
        "tablet",
        "user_id",
        "view",
        "ws",
    )

    def __init__(
        self,
        ws: WebSocket,
        *,
        meeting_id: int,
        participant_id: int | None,
        controller: bool,
        language: str,
        limit: int,
        proto: Any = None,
        tablet: bool = False,
        session_id: str = "",
        user_id: int | None = None,
    ) -> None:
        self.ws = ws
        #: The session row behind the socket and its account, for ``Hub.end_access``.
        self.session_id = session_id
        self.user_id = user_id
        #: A tablet session (joined by code), as opposed to a staff login.
        self.tablet = tablet
        self.meeting_id = meeting_id
        self.participant_id = participant_id
        self.controller = controller
        self.language = language
        self.limit = limit
        self.sent_seq = 0
        self.syncing = True
        self.backlog: list[tuple[int, str, bytes]] = []
        self.closed = False
        self.view: tuple[int | None, int | None, bool] = (None, None, True)
        self._raw = RawWriter(proto) if proto is not None and RawWriter.usable(proto) else None
        self._queue: asyncio.Queue[str] | None = None
        self._writer: asyncio.Task[None] | None = None
        if self._raw is None:
            self._queue = asyncio.Queue(FALLBACK_QUEUE)
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    @property
    def fast(self) -> bool:
        return self._raw is not None

    @property
    def proto(self) -> Any:
        """uvicorn's protocol object behind the fast path, or None on the portable path."""
        return self._raw.proto if self._raw is not None else None

    def push(self, text: str, frame: bytes | None = None) -> bool:
        """Queue one frame; False when the connection is too far behind (caller kicks it)."""
        if self.closed:
            return True
        raw = self._raw
        if raw is not None:
            if not raw.open():
                return True  # closing already; the receive loop will detach it
            if raw.buffered() > self.limit:
                return False
            raw.write(frame if frame is not None else text_frame(text.encode()))
            return True
        assert self._queue is not None
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    async def _drain(self) -> None:
        assert self._queue is not None
        with contextlib.suppress(Exception):
            while True:
                text = await self._queue.get()
                await self.ws.send_text(text)

    async def close_after_flush(self, code: int, reason: str = "", timeout: float = 2.0) -> None:
        """Close once what is queued has been sent (the event that explains the close)."""
        if self._queue is not None:
            deadline = asyncio.get_running_loop().time() + timeout
            while not self._queue.empty() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.01)  # the last frame taken from the queue is being sent
        await self.close(code, reason)

    async def close(self, code: int, reason: str = "") -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
            self._writer = None
        if self.closed and self.ws.application_state is not WebSocketState.CONNECTED:
            return
        self.closed = True
        if self.ws.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason)


class Room:
    __slots__ = ("conns", "gap_task", "last_seq", "meeting_id", "pending", "presenter", "summary_handle")

    def __init__(self, meeting_id: int) -> None:
        self.meeting_id = meeting_id
        self.conns: set[Connection] = set()
        self.last_seq: int | None = None  # unknown until the first connection has synced
        self.pending: dict[int, dict[str, Any]] = {}
        self.gap_task: asyncio.Task[None] | None = None
        self.summary_handle: asyncio.TimerHandle | None = None
        self.presenter: tuple[int, int] | None = None


class Hub:
    """All rooms of this app instance. ``deliver`` is called by the bus for every event."""

    def __init__(self, load_events: LoadEvents, load_last_seqs: LoadLastSeqs) -> None:
        self._load_events = load_events
        self._load_last_seqs = load_last_seqs
        self.rooms: dict[int, Room] = {}
        self.stats = {"delivered": 0, "broadcasts": 0, "resync_kicks": 0, "gap_fills": 0, "sync_repairs": 0}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._freeze_handle: asyncio.TimerHandle | None = None

    # -- connections ----------------------------------------------------------------------

    def add(self, conn: Connection) -> Room:
        room = self.rooms.get(conn.meeting_id)
        if room is None:
            room = self.rooms[conn.meeting_id] = Room(conn.meeting_id)
        room.conns.add(conn)
        return room

    def finish_sync(self, conn: Connection, synced_seq: int, *, repaired: bool = False) -> None:
        """The connection's replay or snapshot covered events up to ``synced_seq``.

        What it buffered meanwhile follows in ``seq`` order, without a hole: if one event
        between its snapshot and the live stream is not in its backlog (the room dropped
        it before this connection finished, see below), the missing events are read from
        the log first, and the connection goes live only after them.
        """
        room = self.rooms[conn.meeting_id]
        conn.sent_seq = max(conn.sent_seq, synced_seq)
        if room.last_seq is None:
            # The first connection of a new room to finish decides where the room starts;
            # events parked before that are owed to the others still syncing, whose
            # snapshots may be older: hand them over before the room drops them.
            for other in room.conns:
                if other is not conn and other.syncing:
                    for event in room.pending.values():
                        text = dumps(message_for(event, other.participant_id, other.controller))
                        other.backlog.append((int(event["seq"]), text, text_frame(text.encode())))
        conn.backlog.sort(key=lambda queued: queued[0])
        for index, (seq, text, frame) in enumerate(conn.backlog):
            if seq <= conn.sent_seq:
                continue
            if seq != conn.sent_seq + 1:
                del conn.backlog[:index]
                self._repair(room, conn, repaired)
                return
            if not conn.push(text, frame):
                self._kick(room, conn)
                return
            conn.sent_seq = seq
        conn.backlog.clear()
        if room.last_seq is not None and conn.sent_seq < room.last_seq:
            self._repair(room, conn, repaired)
            return
        conn.syncing = False
        if room.last_seq is None:
            room.last_seq = conn.sent_seq
            self._drain_pending(room)
        elif room.last_seq < conn.sent_seq:
            self._fill_gap_soon(room, delay=0)
        self.signal_presence(room)
        self._freeze_soon()

    def _repair(self, room: Room, conn: Connection, repaired: bool) -> None:
        """Read what ``conn`` misses from the log, then finish its sync; a connection that
        still has a hole after one repair resyncs (4001) rather than skip an event."""
        if repaired:
            self._kick(room, conn)
            return
        self.stats["sync_repairs"] += 1

        async def repair() -> None:
            try:
                _last, events = await self._load_events(conn.meeting_id, conn.sent_seq)
            except Exception:
                log.exception("sync repair for meeting %s failed", conn.meeting_id)
                self._kick(room, conn)
                return
            if conn.closed or conn not in room.conns or self.rooms.get(conn.meeting_id) is not room:
                return
            for event in events:
                text = dumps(message_for(event, conn.participant_id, conn.controller))
                conn.backlog.append((int(event["seq"]), text, text_frame(text.encode())))
            self.finish_sync(conn, conn.sent_seq, repaired=True)

        self._spawn(repair())

    def _freeze_soon(self) -> None:
        """Move what is alive now (connections, rooms) out of the collector's way.

        With 1,600 tablets a full collection walks every connection's objects and
        stalls every page turn behind it; frozen objects are not walked. Throttled to
        once a second while tablets are joining.
        """
        if self._freeze_handle is None:
            self._freeze_handle = asyncio.get_running_loop().call_later(1.0, self._freeze)

    def _freeze(self) -> None:
        self._freeze_handle = None
        gc.freeze()

    def remove(self, conn: Connection) -> None:
        conn.closed = True
        room = self.rooms.get(conn.meeting_id)
        if room is None:
            return
        room.conns.discard(conn)
        if not room.conns:
            if room.gap_task is not None:
                room.gap_task.cancel()
            del self.rooms[conn.meeting_id]
            if not self.rooms:
                # Nobody connected: a good moment to let the collector see everything,
                # so cyclic garbage frozen with old connections is freed.
                gc.unfreeze()
                gc.collect()
                gc.freeze()
        else:
            self.signal_presence(room)

    def _kick(self, room: Room, conn: Connection) -> None:
        self.stats["resync_kicks"] += 1
        room.conns.discard(conn)
        self._spawn(conn.close(RESYNC_CLOSE, "resync"))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- events ---------------------------------------------------------------------------

    def deliver(self, event: dict[str, Any]) -> None:
        if event.get("type") == "access.ended":
            self.end_access(event)
            return
        room = self.rooms.get(int(event["meeting_id"]))
        if room is None:
            return
        seq = int(event["seq"])
        if room.last_seq is None:
            room.pending[seq] = event
            return
        if seq <= room.last_seq:
            return
        if seq == room.last_seq + 1:
            self._broadcast(room, event)
            self._drain_pending(room)
        else:
            room.pending[seq] = event
            self._fill_gap_soon(room)

    def _drain_pending(self, room: Room) -> None:
        assert room.last_seq is not None
        for seq in [s for s in room.pending if s <= room.last_seq]:
            del room.pending[seq]
        while room.last_seq + 1 in room.pending:
            self._broadcast(room, room.pending.pop(room.last_seq + 1))
        if room.pending:
            self._fill_gap_soon(room)

    def _broadcast(self, room: Room, event: dict[str, Any]) -> None:
        seq = int(event["seq"])
        room.last_seq = seq
        text = dumps(event_message(event))
        frame = text_frame(text.encode())
        members = audience_members(event.get("audience", "all"))
        hidden: tuple[str, bytes] | None = None
        self.stats["broadcasts"] += 1
        delivered = 0
        for conn in tuple(room.conns):
            conn_text, conn_frame = text, frame
            if members is not None and not conn.controller and conn.participant_id not in members:
                if hidden is None:  # framed once per broadcast, like the event itself
                    hidden_text = dumps(withheld_message(event))
                    hidden = (hidden_text, text_frame(hidden_text.encode()))
                conn_text, conn_frame = hidden
            if conn.syncing:
                conn.backlog.append((seq, conn_text, conn_frame))
                continue
            if seq <= conn.sent_seq:
                continue
            if conn.push(conn_text, conn_frame):
                conn.sent_seq = seq
                delivered += 1
            else:
                self._kick(room, conn)
        self.stats["delivered"] += delivered
        if event["type"] == "participant.sessions_revoked":
            revoked = event["data"]["participant_id"]
            for conn in tuple(room.conns):
                if conn.tablet and conn.participant_id == revoked:
                    self._spawn(conn.close_after_flush(4409, "session revoked"))
        elif event["type"] in MEETING_ENDED_EVENTS:
            # A tablet that joined without an account ends with the meeting (its session
            # row was revoked in the same commit): it has just been sent the ended state.
            for conn in tuple(room.conns):
                if conn.tablet and conn.user_id is None:
                    room.conns.discard(conn)
                    self._spawn(conn.close_after_flush(CLOSE_MEETING_ENDED, "meeting ended"))
        if event["type"] == "presenter.page_changed":
            room.presenter = (event["data"]["document_id"], event["data"]["page"])
            self.schedule_viewer_summary(room)
        elif event["type"] == "presenter.cleared":
            room.presenter = None
            self.schedule_viewer_summary(room)

    def end_access(self, notice: dict[str, Any]) -> None:
        """Close the sockets of sessions, accounts or participants whose access ended
        (services.accounts.end_access; every instance receives it through the bus)."""
        sessions = set(notice.get("sessions") or ())
        users = set(notice.get("users") or ())
        participants = set(notice.get("participants") or ())
        keep = notice.get("keep_session")
        code = int(notice.get("close") or 4401)
        for room in list(self.rooms.values()):
            for conn in tuple(room.conns):
                if conn.session_id == keep:
                    continue
                if (
                    conn.session_id in sessions
                    or (conn.user_id is not None and conn.user_id in users)
                    or (conn.participant_id is not None and conn.participant_id in participants)
                ):
                    room.conns.discard(conn)
                    self._spawn(conn.close(code, "access ended"))

    def _fill_gap_soon(self, room: Room, delay: float = GAP_WAIT) -> None:
        if room.gap_task is not None and not room.gap_task.done():
            return
        room.gap_task = asyncio.ensure_future(self._fill_gap(room, delay))

    async def _fill_gap(self, room: Room, delay: float) -> None:
        """Events the bus has not brought (yet) are read from the log, in order."""
        await asyncio.sleep(delay)
        if room.last_seq is None or self.rooms.get(room.meeting_id) is not room:
            return
        if room.pending and min(room.pending) == room.last_seq + 1:
            self._drain_pending(room)
            return
        try:
            _last, events = await self._load_events(room.meeting_id, room.last_seq)
        except Exception:
            log.exception("gap fill for meeting %s failed; retrying", room.meeting_id)
            room.gap_task = None
            self._fill_gap_soon(room, delay=0.5)
            return
        self.stats["gap_fills"] += 1
        room.gap_task = None
        for event in events:
            self.deliver(event)

    async def catch_up(self) -> None:
        """Fill every room from the log: after a bus reconnect, and periodically as a net.

        One query finds the rooms that are behind; only those read their missing events.
        """
        known = {mid: room.last_seq for mid, room in self.rooms.items() if room.last_seq is not None}
        if not known:
            return
        latest = await self._load_last_seqs(list(known))
        for mid, last in latest.items():
            room = self.rooms.get(mid)
            if room is not None and room.last_seq is not None and last > room.last_seq:
                self._fill_gap_soon(room, delay=0)

    # -- signals (not numbered, not replayed) -------------------------------------------------

    def _signal(self, room: Room, type_: str, data: dict[str, Any]) -> None:
        text = dumps({"v": PROTOCOL_VERSION, "type": type_, "data": data})
        frame = text_frame(text.encode())
        for conn in tuple(room.conns):
            if conn.controller and not conn.syncing and not conn.push(text, frame):
                self._kick(room, conn)

    def signal_presence(self, room: Room) -> None:
        online: dict[str, int] = {}
        for conn in room.conns:
            if conn.participant_id is not None and not conn.closed:
                key = str(conn.participant_id)
                online[key] = online.get(key, 0) + 1
        self._signal(room, "presence.changed", {"online": online})
        self.schedule_viewer_summary(room)

    def schedule_viewer_summary(self, room: Room) -> None:
        """Viewer counts change with every page a tablet turns: send at most 4 per second."""
        if room.summary_handle is not None:
            return

        def send() -> None:
            room.summary_handle = None
            presenter = room.presenter
            # a room display (no participant, services.displays) is nobody's tablet
            tablets = [c for c in room.conns if not c.controller and c.participant_id is not None]
            following = sum(1 for c in tablets if c.view[2])
            on_page = sum(1 for c in tablets if presenter is not None and c.view[:2] == presenter)
            if presenter is None:
                on_page = following
            self._signal(
                room,
                "viewer.summary",
                {"connected": len(tablets), "following": following, "on_presenter_page": on_page},
            )

        room.summary_handle = asyncio.get_running_loop().call_later(0.25, send)

    async def close_all(self) -> None:
        for room in list(self.rooms.values()):
            for conn in list(room.conns):
                await conn.close(1001, "server shutting down")
        for task in list(self._tasks):
            task.cancel()
