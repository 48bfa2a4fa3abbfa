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

from phonghop import metrics
from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.realtime._transport import taken_unparsed
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


async def _running(settings: Settings) -> AsyncIterator[Server]:
    await asyncio.to_thread(seed_world, settings)
    s = Server(settings)
    task = asyncio.create_task(s.server.serve())
    while not s.server.started:
        await asyncio.sleep(0.02)
    try:
        yield s
    finally:
        s.server.should_exit = True
        await task


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    async for s in _running(replace(settings, outbound_limit_bytes=32 * 1024)):
        yield s


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


async def _new_meeting(client: httpx.AsyncClient) -> tuple[dict[str, str], int, dict[str, int]]:
    """The office's headers, a new meeting's id and the user ids by username."""
    office, csrf = await _session(client, "/api/session", {"username": "office", "password": PASSWORD})
    h = {"Cookie": office, "X-CSRF-Token": csrf}
    mid = (
        await client.post(
            "/api/meetings", headers=h, json={"title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00"}
        )
    ).json()["id"]
    users = {u["username"]: u["id"] for u in (await client.get("/api/users", headers=h)).json()["users"]}
    return h, mid, users


async def _member1_tablet(
    client: httpx.AsyncClient, h: dict[str, str], mid: int, users: dict[str, int]
) -> tuple[int, str]:
    """member1 as the meeting's one delegate, scheduled and joined: (participant id, cookie)."""
    pid: int = (
        await client.post(f"/api/meetings/{mid}/participants", headers=h, json={"user_id": users["member1"]})
    ).json()["id"]
    code = (await client.post(f"/api/meetings/{mid}/actions/schedule", headers=h)).json()["join_code"]
    tablet, _ = await _session(
        client, "/api/join", {"code": code, "personal_code": await _personal(client, h, mid, pid)}
    )
    return pid, tablet


async def test_fast_path_and_slow_tablet_resync(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        h, mid, users = await _new_meeting(client)
        pids = []
        for username in ("secretary", "member1", "member2"):
            r = await client.post(
                f"/api/meetings/{mid}/participants",
                headers=h,
                json={
                    "user_id": users[username],
                    "role": "secretary" if username == "secretary" else "delegate",
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
        h, mid, users = await _new_meeting(client)
        pid, tablet = await _member1_tablet(client, h, mid, users)
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


@pytest.fixture
async def strict_server(settings: Settings) -> AsyncIterator[Server]:
    """A server whose tablets may send 4 commands and then almost none (0.001 a second)."""
    async for s in _running(replace(settings, command_rate=0.001, command_burst=4)):
        yield s


async def _results(ws: Any, count: int) -> dict[Any, dict[str, Any]]:
    """The next ``count`` results on ``ws``, by id (events in between are skipped)."""
    found: dict[Any, dict[str, Any]] = {}
    while len(found) < count:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if message.get("type") == "result":
            found[message["id"]] = message
    return found


async def test_page_reports_are_taken_in_the_protocol_callback(strict_server: Server) -> None:
    """Under uvicorn a well-formed ``viewer.report`` never reaches the receive loop: it is
    taken where the frame is parsed (issue #24). It still counts against the tablet's rate
    limit, and a malformed one is answered by the loop exactly as before."""
    server = strict_server
    async with httpx.AsyncClient(base_url=server.url) as client:
        h, mid, users = await _new_meeting(client)
        _, tablet = await _member1_tablet(client, h, mid, users)
    before = dict(metrics.viewer_reports)
    ws_url = server.url.replace("http", "ws") + f"/ws/meetings/{mid}"
    async with connect(ws_url, additional_headers={"Cookie": tablet}) as ws:
        await _hello(ws)
        (conn,) = server.hub.rooms[mid].conns

        def report(page: int, **extra: Any) -> str:
            return json.dumps(
                {"type": "viewer.report", "document_id": 9, "page": page, "following": False, **extra}
            )

        # three notifications, then one that asks for an answer: the loop answers it, so
        # that results keep the order of the commands. 4 of the burst of 4.
        for page in (1, 2, 3):
            await ws.send(report(page))
        await ws.send(report(4, id=41))
        assert (await _results(ws, 1))[41]["result"] == {}
        assert conn.view == (9, 4, False)
        # over the limit: refused by the loop, the notification with id null
        await ws.send(report(5))
        await ws.send(report(6, id=43))
        results = await _results(ws, 2)
        assert results[None]["error"]["code"] == "command_rate_limited"
        assert results[43]["error"]["code"] == "command_rate_limited"
        assert conn.view == (9, 4, False)
    taken = {k: metrics.viewer_reports[k] - before.get(k, 0) for k in ("direct", "app")}
    assert taken == {"direct": 3, "app": 1}


# The event loop `phonghop serve` runs on (uvicorn's "auto": uvloop, a locked dependency).
@pytest.mark.parametrize("anyio_backend", [pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop")])
async def test_a_report_in_a_read_of_its_own_skips_the_parser_on_the_real_event_loop(server: Server) -> None:
    """uvicorn's event loop (uvloop where installed) calls the protocol's data_received it
    knew when the protocol was set: the tap has it take the new one. Each report is sent
    once the server has taken the one before, so each is a read of its own."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        h, mid, users = await _new_meeting(client)
        _, tablet = await _member1_tablet(client, h, mid, users)
    before, unparsed = dict(metrics.viewer_reports), taken_unparsed[0]
    ws_url = server.url.replace("http", "ws") + f"/ws/meetings/{mid}"
    async with connect(ws_url, additional_headers={"Cookie": tablet}, compression=None) as ws:
        await _hello(ws)
        (conn,) = server.hub.rooms[mid].conns
        for page in (1, 2):
            await ws.send(
                json.dumps({"type": "viewer.report", "document_id": 9, "page": page, "following": True})
            )
            async with asyncio.timeout(30):  # nothing else is sent before the server took it
                while conn.view != (9, page, True):
                    await asyncio.sleep(0.01)
    assert taken_unparsed[0] - unparsed == 2
    assert metrics.viewer_reports["direct"] - before.get("direct", 0) == 2


async def test_a_malformed_report_goes_the_usual_way(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        secretary, _ = await _session(client, "/api/session", {"username": "secretary", "password": PASSWORD})
        h, mid, users = await _new_meeting(client)
        await client.post(
            f"/api/meetings/{mid}/participants",
            headers=h,
            json={"user_id": users["secretary"], "role": "secretary"},
        )
    before = dict(metrics.viewer_reports)
    ws_url = server.url.replace("http", "ws") + f"/ws/meetings/{mid}"
    async with connect(ws_url, additional_headers={"Cookie": secretary}) as ws:
        await _hello(ws)
        (conn,) = server.hub.rooms[mid].conns
        frames = {
            1: {"type": "viewer.report", "document_id": 9, "page": 0, "following": True},
            2: {"type": "viewer.report", "document_id": "9", "page": 1, "following": True},
            3: {"type": "viewer.report", "page": 1, "following": True, "extra": 1},
            4: {"type": "viewer.report", "page": 2**64, "following": True},
        }
        for command_id, frame in frames.items():
            await ws.send(json.dumps({"id": command_id, **frame}))
        results = await _results(ws, 4)
        # A notification sent after those are answered (nothing queued before it) is taken
        # directly: no result; the ping after it shows it was handled.
        await ws.send(json.dumps({"type": "viewer.report", "page": 3, "following": True}))
        await ws.send(json.dumps({"id": 5, "type": "ping"}))
        results |= await _results(ws, 1)
    codes = {i: (r["ok"] or r["error"]["code"]) for i, r in results.items()}
    # "9" for 9 is accepted by the model (lax mode) and answered by the loop, as before
    assert codes == {1: "command_invalid", 2: True, 3: "command_invalid", 4: "number_out_of_range", 5: True}
    assert conn.view == (None, 3, True)
    taken = {k: metrics.viewer_reports[k] - before.get(k, 0) for k in ("direct", "app")}
    assert taken == {"direct": 1, "app": 1}  # only "9": the others are refused before counting


async def test_a_room_display_may_not_report_under_uvicorn_either(server: Server) -> None:
    """The room display is read-only: its reports are refused by the receive loop, never
    taken by the protocol tap."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        h, mid, users = await _new_meeting(client)
        await _member1_tablet(client, h, mid, users)  # schedules the meeting
        made = (
            await client.post(f"/api/meetings/{mid}/display-links", headers=h, json={"label": "Máy chiếu"})
        ).json()
        token = made["url"].rsplit("/", 1)[1]
        display, _ = await _session(client, "/api/display/open", {"token": token})
    before = dict(metrics.viewer_reports)
    ws_url = server.url.replace("http", "ws") + f"/ws/meetings/{mid}"
    async with connect(ws_url, additional_headers={"Cookie": display}) as ws:
        await _hello(ws)
        await ws.send(json.dumps({"type": "viewer.report", "document_id": 9, "page": 1, "following": True}))
        results = await _results(ws, 1)
        assert results[None]["error"]["code"] == "display_read_only"
        (conn,) = server.hub.rooms[mid].conns
        assert conn.view == (None, None, True)
    assert dict(metrics.viewer_reports) == before
