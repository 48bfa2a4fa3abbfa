"""Fan-out under the real server: the one-frame fast path is taken, and a tablet that
stops reading is closed with 4001 (resync) while the others keep receiving."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.realtime.hub import Hub
from tests.factories import PASSWORD, seed_world

pytestmark = pytest.mark.anyio


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, settings: Settings) -> None:
        self.port = _port()
        self.config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            # No keepalive pings: a tablet that stops reading cannot answer them, and on a
            # loaded machine the ping timeout (not the buffer limit under test) would close
            # it first, with another code. The buffer limit alone must close it.
            ws_ping_interval=None,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(self.config)
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def hub(self) -> Hub:
        hub: Hub = self.server.lifespan.state["phonghop"].hub
        return hub


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    small = replace(settings, outbound_limit_bytes=32 * 1024)
    await asyncio.to_thread(seed_world, small)
    s = Server(small)
    task = asyncio.create_task(s.server.serve())
    while not s.server.started:
        await asyncio.sleep(0.02)
    try:
        yield s
    finally:
        s.server.should_exit = True
        await task


async def _hello(ws: Any) -> None:
    """Say hello and wait for its answer: the connection is then attached to the room."""
    await ws.send(json.dumps({"id": "hello", "type": "hello", "last_seq": None}))
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if message.get("type") == "result" and message.get("id") == "hello":
            assert message["ok"], message
            return


def _small_socket(port: int) -> socket.socket:
    """A tablet on a poor link: a tiny receive buffer, so its backlog shows quickly."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


async def _session(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> tuple[str, str]:
    r = await client.post(path, json=body)
    assert r.status_code == 200, r.text
    return "phonghop_session=" + r.cookies["phonghop_session"], r.json()["csrf_token"]


async def _personal(client: httpx.AsyncClient, headers: dict[str, str], mid: int, pid: int) -> str:
    """The personal code printed on the participant's invitation (the identity step)."""
    codes = (await client.get(f"/api/meetings/{mid}/personal-codes", headers=headers)).json()["participants"]
    code: str = next(c["personal_code"] for c in codes if c["participant_id"] == pid)
    return code


async def test_fast_path_and_slow_tablet_resync(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        office, csrf = await _session(client, "/api/session", {"username": "office", "password": PASSWORD})
        h = {"Cookie": office, "X-CSRF-Token": csrf}
        mid = (
            await client.post(
                "/api/meetings", headers=h, json={"title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00"}
            )
        ).json()["id"]
        users = (await client.get("/api/users", headers=h)).json()["users"]
        pids = []
        for u in users:
            if u["username"] in ("secretary", "member1", "member2"):
                r = await client.post(
                    f"/api/meetings/{mid}/participants",
                    headers=h,
                    json={
                        "user_id": u["id"],
                        "role": "secretary" if u["username"] == "secretary" else "delegate",
                    },
                )
                pids.append(r.json()["id"])
        code = (await client.post(f"/api/meetings/{mid}/actions/schedule", headers=h)).json()["join_code"]
        secretary, _ = await _session(client, "/api/session", {"username": "secretary", "password": PASSWORD})
        good, _ = await _session(
            client, "/api/join", {"code": code, "personal_code": await _personal(client, h, mid, pids[1])}
        )
        slow, _ = await _session(
            client, "/api/join", {"code": code, "personal_code": await _personal(client, h, mid, pids[2])}
        )

    ws_url = server.url.replace("http", "ws") + f"/ws/meetings/{mid}"
    # Under uvicorn too, a refused tablet learns why from the close code.
    async with connect(ws_url) as anonymous:
        with pytest.raises(ConnectionClosed) as refused:
            await anonymous.recv()
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 4401
    async with (
        connect(ws_url, additional_headers={"Cookie": secretary}) as console,
        connect(ws_url, additional_headers={"Cookie": good}) as tablet,
        # A tablet on a poor link: with a tiny receive buffer the kernel cannot absorb
        # megabytes for it (autotuning would make "how much until it is behind" depend on
        # the machine), so phonghop's own limit is reached after a bounded number of frames.
        connect(
            ws_url,
            sock=_small_socket(server.port),
            additional_headers={"Cookie": slow},
            max_size=2**24,
            ping_interval=None,
        ) as laggard,
    ):
        for ws in (console, tablet, laggard):
            await _hello(ws)
        conns = server.hub.rooms[mid].conns
        assert len(conns) == 3 and all(c.fast for c in conns), "uvicorn's transport was not used directly"

        # The laggard stops reading; the kernel buffers fill, then phonghop's buffer limit.
        laggard.transport.pause_reading()
        received = 0
        all_received = asyncio.Event()
        sent = 0

        async def drain() -> None:
            nonlocal received
            async for raw in tablet:
                if '"announcement.made"' in raw:
                    received += 1
                    if received == sent and server.hub.stats["resync_kicks"]:
                        all_received.set()

        reader = asyncio.create_task(drain())
        text = "Thông báo " + "x" * 980
        results: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def console_reader() -> None:
            async for raw in console:
                message = json.loads(raw)
                if message.get("type") == "result":
                    await results.put(message)

        console_task = asyncio.create_task(console_reader())
        while server.hub.stats["resync_kicks"] == 0 and sent < 6000:
            await console.send(json.dumps({"id": sent, "type": "announcement.make", "text": text}))
            reply = await asyncio.wait_for(results.get(), 10)
            assert reply["ok"], reply
            sent += 1
        console_task.cancel()
        sizes = [c._raw.buffered() for c in server.hub.rooms[mid].conns if c._raw is not None]
        assert server.hub.stats["resync_kicks"] == 1, (
            f"never told to resync: {server.hub.stats} {sizes} {sent}"
        )
        laggard.transport.resume_reading()
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await asyncio.wait_for(laggard.recv(), 10)
        assert info.value.rcvd is not None and info.value.rcvd.code == 4001
        # The room went on: the good tablet gets every announcement that was committed.
        if received < sent:
            await asyncio.wait_for(all_received.wait(), 60)
        reader.cancel()
        assert received == sent


async def test_a_revoked_tablet_is_told_and_closed_with_4409(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        office, csrf = await _session(client, "/api/session", {"username": "office", "password": PASSWORD})
        h = {"Cookie": office, "X-CSRF-Token": csrf}
        mid = (
            await client.post(
                "/api/meetings", headers=h, json={"title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00"}
            )
        ).json()["id"]
        users = {u["username"]: u["id"] for u in (await client.get("/api/users", headers=h)).json()["users"]}
        pid = (
            await client.post(
                f"/api/meetings/{mid}/participants", headers=h, json={"user_id": users["member1"]}
            )
        ).json()["id"]
        code = (await client.post(f"/api/meetings/{mid}/actions/schedule", headers=h)).json()["join_code"]
        tablet, _ = await _session(
            client, "/api/join", {"code": code, "personal_code": await _personal(client, h, mid, pid)}
        )
        ws_url = server.url.replace("http", "ws") + f"/ws/meetings/{mid}"
        async with connect(ws_url, additional_headers={"Cookie": tablet}) as ws:
            await _hello(ws)
            r = await client.post(f"/api/meetings/{mid}/participants/{pid}/sessions/revoke", headers=h)
            assert r.status_code == 200 and r.json() == {"ended": 1}
            seen = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)).get("type"))
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409
            assert seen[-1] == "participant.sessions_revoked"
        # the session is gone for HTTP too
        r = await client.get("/api/session", headers={"Cookie": tablet})
        assert r.status_code == 401
