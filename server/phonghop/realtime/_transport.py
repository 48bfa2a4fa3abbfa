"""The fast path for fan-out: writing one pre-built websocket frame to many transports.

A server-to-client websocket frame is not masked, so the bytes of one text frame are the
same for every tablet. Under uvicorn's sans-I/O websocket protocol we reach the asyncio
transport (captured by :class:`CaptureTransport` at the edge of the ASGI app) and write
the frame directly, after checking the tablet's write buffer: no coroutine, no task and
no re-framing per recipient. Any other server (or the test client) takes the portable
path, a bounded queue drained by ``WebSocket.send_text``. The same protocol object lets
:func:`tap_text` take the tablets' page reports before they reach the ASGI app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.frames import apply_mask  # type: ignore[attr-defined]
from websockets.protocol import State
from websockets.streams import StreamReader

log = logging.getLogger("phonghop.realtime")

SCOPE_KEY = "phonghop.ws_protocol"


class CaptureTransport:
    """Outermost ASGI wrapper: remember uvicorn's websocket protocol object in the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            proto = getattr(send, "__self__", None)
            if proto is not None and all(hasattr(proto, a) for a in ("transport", "conn", "close_sent")):
                scope[SCOPE_KEY] = proto
        await self.app(scope, receive, send)


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame (RFC 6455 §5.2) carrying ``payload``."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + payload


def release_handshake(proto: Any) -> None:
    """Drop the handshake's request and response, with their headers, that uvicorn's
    protocol keeps for the life of the connection but reads only until the accept: a few
    KB per tablet, 1,600 tablets for a whole congress day."""
    if proto is not None and getattr(proto, "handshake_complete", False):
        for name in ("request", "response"):
            if getattr(proto, name, None) is not None:
                setattr(proto, name, None)


class RawWriter:
    """Writes frames straight to one uvicorn websocket transport."""

    __slots__ = ("_proto", "_transport")

    def __init__(self, proto: Any) -> None:
        self._proto = proto
        self._transport = proto.transport

    @staticmethod
    def usable(proto: Any) -> bool:
        conn = getattr(proto, "conn", None)
        return conn is not None and not getattr(conn, "extensions", None)

    @property
    def proto(self) -> Any:
        return self._proto

    def buffered(self) -> int:
        size: int = self._transport.get_write_buffer_size()
        return size

    def open(self) -> bool:
        return not self._proto.close_sent and not self._transport.is_closing()

    def write(self, frame: bytes) -> None:
        self._transport.write(frame)


#: What the uvicorn protocol must have for :func:`tap_text` to take its messages.
_TAPPABLE = ("frames", "curr_msg_data_type", "queue", "close_sent", "send_receive_event_to_app")

#: Where websockets' parser waits between two frames (``Protocol.parse`` asks the reader
#: whether the stream ended): the only place a whole frame may be read past it.
_BETWEEN_FRAMES = StreamReader.at_eof.__code__

#: How many messages :func:`tap_text` took from a read without the parser (for tests).
taken_unparsed = [0]

#: The longest frame :func:`tap_text` reads itself: final text frame, masked, 7-bit length.
_SHORT_FRAME = 6 + 125


def _between_frames(conn: Any) -> bool:
    """Whether websockets' parser of ``conn`` has consumed every byte it was given and
    waits for the start of a new message: open, nothing buffered, not inside a fragmented
    message, not inside a frame (its header read, its payload not yet)."""
    if conn.state is not State.OPEN or conn.reader.buffer or conn.current_size is not None or conn.parser_exc:
        return False
    waiting = conn.parser  # the innermost generator it waits in (the server's parse wraps the frames')
    while (inner := getattr(waiting, "gi_yieldfrom", None)) is not None:
        waiting = inner
    return getattr(waiting, "gi_code", None) is _BETWEEN_FRAMES


def _refresh(proto: Any) -> None:
    """Have the transport call the protocol's ``data_received`` as it now is: uvloop's
    transports keep the bound method they found when the protocol was set."""
    transport = proto.transport
    if transport is not None and not transport.is_closing():
        transport.set_protocol(proto)


def tap_text(proto: Any, take: Callable[[bytes], bool]) -> Callable[[], None] | None:
    """Offer each complete text message of this connection to ``take`` before uvicorn
    queues it for the ASGI app; a message ``take`` returns True for is consumed there.

    For the one message every tablet sends after every page turn (``viewer.report``):
    handled in the protocol's callback it costs no queue, no wake-up of the app's
    coroutine chain and no pause and resume of reading. A message is offered only when
    nothing is queued before it for the app, so messages are never taken out of order.
    Whatever ``take`` refuses, or raises on, goes the usual way. Returns the function
    that removes the tap (call it when the connection ends), or None when this server
    is not uvicorn's sans-I/O protocol (the portable path then handles every message).

    A read that is exactly one short, final, masked text frame (how a tablet's report
    arrives), while the websockets parser stands between two frames, is unmasked and
    offered here without going through the parser at all; if ``take`` refuses it, the
    same bytes go to the parser as if nothing happened. Anything else (several frames in
    one read, a frame split over reads, a control frame, an extension) takes the parser.
    """
    if not all(hasattr(proto, a) for a in _TAPPABLE):
        return None
    usual = proto.send_receive_event_to_app

    def offer() -> None:
        frames = proto.frames
        if proto.curr_msg_data_type == "text" and not proto.close_sent and proto.queue.empty():
            data = frames[0] if len(frames) == 1 else b"".join(frames)
            if _taken(data):
                proto.frames = []
                return
        usual()

    def _taken(data: bytes) -> bool:
        try:
            return take(data)
        except Exception:
            log.exception("a text message could not be taken directly; it goes the usual way")
            return False

    proto.send_receive_event_to_app = offer
    conn = getattr(proto, "conn", None)
    receive: Any = getattr(proto, "data_received", None)
    whole = conn is not None and receive is not None and not getattr(conn, "extensions", None)
    whole = whole and all(
        hasattr(conn, a) for a in ("parser", "reader", "current_size", "parser_exc", "state")
    )

    def data_received(data: bytes) -> None:
        # 0x81: FIN and text, no RSV bit; second byte: MASK and a 7-bit length.
        if (
            len(data) <= _SHORT_FRAME
            and len(data) > 6
            and data[0] == 0x81
            and data[1] == 0x80 | (len(data) - 6)
            and not proto.close_sent
            and proto.queue.empty()
            and _between_frames(conn)
            and _taken(apply_mask(data[6:], data[2:6]))
        ):
            taken_unparsed[0] += 1
            return
        receive(data)

    if whole:
        proto.data_received = data_received
        _refresh(proto)

    def remove() -> None:
        if proto.__dict__.get("send_receive_event_to_app") is offer:
            del proto.send_receive_event_to_app
        if proto.__dict__.get("data_received") is data_received:
            del proto.data_received
            _refresh(proto)

    return remove
