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
    """
    if not all(hasattr(proto, a) for a in _TAPPABLE):
        return None
    usual = proto.send_receive_event_to_app

    def offer() -> None:
        frames = proto.frames
        if proto.curr_msg_data_type == "text" and not proto.close_sent and proto.queue.empty():
            data = frames[0] if len(frames) == 1 else b"".join(frames)
            try:
                taken = take(data)
            except Exception:
                log.exception("a text message could not be taken directly; it goes the usual way")
                taken = False
            if taken:
                proto.frames = []
                return
        usual()

    proto.send_receive_event_to_app = offer

    def remove() -> None:
        if proto.__dict__.get("send_receive_event_to_app") is offer:
            del proto.send_receive_event_to_app

    return remove
