"""The page-report tap on uvicorn's sans-I/O websocket protocol (realtime._transport):
every way a client may cut its bytes into reads gives the same messages, and only a read
that is exactly one short text frame, between two frames, skips the parser.

The protocol is uvicorn's own, fed by a transport that records what is written: the reads
are the ones the test chooses, which a socket cannot promise."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from phonghop.realtime._transport import release_handshake, taken_unparsed, tap_text

pytestmark = pytest.mark.anyio


class _Transport(asyncio.Transport):
    """The edge of the world: what the server writes, kept."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _frame(payload: bytes, *, opcode: int = 0x1, fin: bool = True, mask: bytes | None = None) -> bytes:
    """A client frame (masked, RFC 6455 §5.3; a random mask unless one is given)."""
    mask = mask or os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _report(page: int) -> bytes:
    return json.dumps({"type": "viewer.report", "document_id": 9, "page": page, "following": True}).encode()


class _Socket:
    """One websocket connection on uvicorn's protocol, with the tap installed by the app:
    ``taken`` lists what the tap took, ``app`` what reached the app's receive loop."""

    def __init__(self) -> None:
        self.taken: list[bytes] = []
        self.app: list[str] = []
        self.tapped = asyncio.Event()

        async def app(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "websocket"
            await receive()
            await send({"type": "websocket.accept"})
            tap_text(send.__self__, self._take)
            self.tapped.set()
            while True:
                message = await receive()
                if message["type"] != "websocket.receive":
                    return
                self.app.append(message["text"])

        config = uvicorn.Config(app, ws="websockets-sansio", ws_ping_interval=None, log_level="warning")
        config.load()
        self.proto = WebSocketsSansIOProtocol(config, ServerState(), {})
        self.transport = _Transport()
        self.proto.connection_made(self.transport)

    def _take(self, data: bytes) -> bool:
        if b"viewer.report" not in data:
            return False
        self.taken.append(data)
        return True

    async def open(self) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.proto.data_received(
            (
                "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await asyncio.wait_for(self.tapped.wait(), 5)
        assert self.transport.written.startswith(b"HTTP/1.1 101")

    def read(self, data: bytes) -> None:
        self.proto.data_received(data)

    async def settle(self) -> None:
        for _ in range(5):
            await asyncio.sleep(0)


@pytest.fixture
async def ws() -> AsyncIterator[_Socket]:
    socket_ = _Socket()
    await socket_.open()
    yield socket_
    socket_.proto.connection_lost(None)  # the app sees the disconnect and ends
    await socket_.settle()


async def test_a_report_in_its_own_read_is_taken_without_the_parser(ws: _Socket) -> None:
    before = taken_unparsed[0]
    ws.read(_frame(_report(1)))
    ws.read(_frame(b'{"type":"ping","id":1}'))
    await ws.settle()
    assert ws.taken == [_report(1)]
    assert ws.app == ['{"type":"ping","id":1}']
    assert taken_unparsed[0] == before + 1


@pytest.mark.parametrize("cut", [1, 2, 5, 6, 10])
async def test_a_report_cut_anywhere_is_still_one_report(ws: _Socket, cut: int) -> None:
    frame = _frame(_report(3))
    ws.read(frame[:cut])
    ws.read(frame[cut:])
    ws.read(_frame(_report(4)))
    await ws.settle()
    assert ws.taken == [_report(3), _report(4)]
    assert ws.app == []


def _frame_hiding(inner: bytes, cut: int) -> bytes:
    """A text frame whose bytes after ``cut`` (2: after its first two bytes; 6: after its
    mask too) are exactly ``inner``, a whole frame: between those reads the parser has
    nothing buffered, yet it is inside a frame."""
    if cut == 6:  # a zero mask: the payload is ``inner`` itself
        return bytes([0x81, 0x80 | len(inner)]) + bytes(4) + inner
    assert cut == 2  # the mask is inner's first 4 bytes, the masked payload the rest
    return bytes([0x81, 0x80 | (len(inner) - 4)]) + inner


@pytest.mark.parametrize("cut", [2, 6])
async def test_the_rest_of_a_frame_is_never_read_as_a_frame_of_its_own(ws: _Socket, cut: int) -> None:
    # A fixed mask whose third byte is 0: the outer payload then starts with 0x81 either way.
    inner = _frame(_report(666), mask=b"\x5a\x3c\x00\x7e")
    outer = _frame_hiding(inner, cut)
    mask, masked = outer[2:6], outer[6:]
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
    with pytest.raises(UnicodeDecodeError):
        payload.decode()  # so the protocol must close with 1007 (invalid data)
    ws.read(outer[:cut])
    ws.read(outer[cut:])
    await ws.settle()
    assert ws.taken == [] and ws.app == []
    assert bytes([0x88, 2]) + (1007).to_bytes(2, "big") in bytes(ws.transport.written)


async def test_frames_read_together_and_a_fragmented_message_keep_their_order(ws: _Socket) -> None:
    ws.read(_frame(_report(1)) + _frame(_report(2)))  # two in one read: the parser's
    ws.read(_frame(b'{"type":"viewer.report",', fin=False))
    # inside a fragmented message: a short text frame in a read of its own is not a message
    ws.read(_frame(b'"page":3,"document_id":9,"following":true}', opcode=0x0))
    ws.read(_frame(_report(4)))
    await ws.settle()
    assert ws.taken == [
        _report(1),
        _report(2),
        b'{"type":"viewer.report","page":3,"document_id":9,"following":true}',
        _report(4),
    ]
    assert ws.app == []


async def test_a_refused_frame_goes_to_the_app_and_a_control_frame_to_the_parser(ws: _Socket) -> None:
    ws.read(_frame(b'{"type":"hello"}'))
    # the hello still waits in the app's queue: the report goes after it, the usual way
    ws.read(_frame(_report(5)))
    await ws.settle()
    ws.read(_frame(b"are you there", opcode=0x9))  # ping: answered by the protocol
    ws.read(_frame(_report(6)))
    await ws.settle()
    assert ws.app == ['{"type":"hello"}', _report(5).decode()]
    assert ws.taken == [_report(6)]
    assert b"are you there" in bytes(ws.transport.written)  # the pong


async def test_the_handshake_is_dropped_after_the_accept_and_the_connection_goes_on(ws: _Socket) -> None:
    assert ws.proto.request is not None and ws.proto.response is not None
    release_handshake(ws.proto)
    assert ws.proto.request is None and ws.proto.response is None
    ws.read(_frame(b'{"type":"hello"}'))
    await ws.settle()
    ws.read(_frame(_report(7)))
    ws.read(_frame((1000).to_bytes(2, "big"), opcode=0x8))  # the tablet closes
    await ws.settle()
    assert ws.app == ['{"type":"hello"}'] and ws.taken == [_report(7)]
    assert bytes([0x88, 2]) + (1000).to_bytes(2, "big") in bytes(ws.transport.written)  # answered


async def test_a_handshake_not_yet_accepted_is_kept() -> None:
    proto = _Socket().proto  # connected, no request read yet
    proto.request = object()
    release_handshake(proto)
    assert proto.request is not None
