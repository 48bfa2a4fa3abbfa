"""Real ``phonghop serve`` instances in subprocesses, and a protocol client over real
websockets, for the tests that need real servers (several instances, Redis, kills)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx2 as httpx
from websockets.asyncio.client import ClientConnection, connect

_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Instance:
    """One app instance: ``python -m phonghop serve`` on its own port."""

    def __init__(self, env: dict[str, str], log_dir: Path, name: str) -> None:
        self.env = env
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait_ready: bool = True) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process below
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "phonghop", "--port", str(self.port), "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = time.monotonic() + 120  # a loaded machine takes long to import the app
        while True:
            try:
                with urllib.request.urlopen(
                    self.url + ("/readyz" if wait_ready else "/healthz"), timeout=2
                ) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"instance did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


def instance_env(database_url: str, redis_url: str | None, data_dir: Path, secret: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PHONGHOP_DATABASE_URL": database_url,
        "PHONGHOP_DATA_DIR": str(data_dir),
        "PHONGHOP_SECRET_KEY": secret,
        "PHONGHOP_ARGON2_TIME_COST": "1",
        "PHONGHOP_ARGON2_MEMORY_KIB": "8192",
    }
    if redis_url:
        env["PHONGHOP_REDIS_URL"] = redis_url
    else:
        env.pop("PHONGHOP_REDIS_URL", None)
    return env


def session_cookie(base_url: str, path: str, body: dict[str, Any]) -> tuple[str, str]:
    """(Cookie header, CSRF token) after POST /api/session or /api/join."""
    r = httpx.post(base_url + path, json=body, timeout=10)
    r.raise_for_status()
    return "phonghop_session=" + r.cookies["phonghop_session"], r.json()["csrf_token"]


class LivePeer:
    """A tablet/console that applies events by the protocol's rules and checks them.

    It records every violation (a duplicate or a gap) instead of hiding it, so a test
    can assert that none happened, and resumes after every disconnect with last_seq.
    """

    def __init__(self, cookie: str, meeting_id: int) -> None:
        self.cookie = cookie
        self.meeting_id = meeting_id
        self.applied: int | None = None
        self.epoch: str | None = None
        self.events: list[dict[str, Any]] = []
        self.snapshots = 0
        self.duplicates = 0
        self.gaps = 0
        self.ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[Any, asyncio.Future[dict[str, Any]]] = {}

    async def connect(self, base_url: str) -> dict[str, Any]:
        url = base_url.replace("http://", "ws://") + f"/ws/meetings/{self.meeting_id}"
        self.ws = await connect(url, additional_headers={"Cookie": self.cookie}, max_size=2**22)
        self._reader = asyncio.create_task(self._read(self.ws))
        snapshots = self.snapshots
        reply = await self.call("hello", last_seq=self.applied, epoch=self.epoch, protocol=2)
        assert reply["ok"], reply
        self.epoch = reply["result"]["epoch"]
        # The snapshot, or the replayed events, follow the result.
        if reply["result"]["mode"] == "snapshot":
            deadline = time.monotonic() + 15
            while self.snapshots == snapshots:
                assert time.monotonic() < deadline, "no snapshot after hello"
                await asyncio.sleep(0.01)
        else:
            await self.wait_for_seq(reply["result"]["to_seq"])
        return reply

    async def drop(self) -> None:
        """The Wi-Fi goes: the connection dies without a goodbye."""
        if self.ws is not None:
            self.ws.transport.abort()
            if self._reader is not None:
                await asyncio.gather(self._reader, return_exceptions=True)
        self.ws = None

    async def call(self, type_: str, **fields: Any) -> dict[str, Any]:
        assert self.ws is not None
        command_id = next(_ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = future
        await self.ws.send(json.dumps({"id": command_id, "type": type_, **fields}))
        return await asyncio.wait_for(future, 15)

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "result":
                    future = self._waiting.pop(message.get("id"), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif kind == "snapshot":
                    self.snapshots += 1
                    self.applied = message["seq"]
                elif "seq" in message:
                    seq = message["seq"]
                    if self.applied is not None and seq <= self.applied:
                        self.duplicates += 1
                    elif self.applied is not None and seq != self.applied + 1:
                        self.gaps += 1
                        await ws.send(
                            json.dumps(
                                {
                                    "id": next(_ids),
                                    "type": "hello",
                                    "last_seq": self.applied,
                                    "epoch": self.epoch,
                                    "protocol": 2,
                                }
                            )
                        )
                    else:
                        self.applied = seq
                        self.events.append(message)
        except Exception:
            pass

    async def wait_for_seq(self, seq: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while (self.applied or 0) < seq:
            if time.monotonic() > deadline:
                raise AssertionError(f"peer stuck at seq {self.applied}, expected {seq}")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            if self._reader is not None:
                await asyncio.gather(self._reader, return_exceptions=True)
        self.ws = None
