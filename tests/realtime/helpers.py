"""A small protocol client for tests, on Starlette's TestClient websocket."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.testclient import TestClient

_ids = itertools.count(1)


class Peer:
    """One connected tablet or console: sends commands, collects what the server sends."""

    def __init__(self, client: TestClient, meeting_id: int, **headers: str) -> None:
        self._cm = client.websocket_connect(f"/ws/meetings/{meeting_id}", headers=dict(headers))
        self.ws = self._cm.__enter__()
        self.events: list[dict[str, Any]] = []
        self.signals: list[dict[str, Any]] = []
        self.snapshots: list[dict[str, Any]] = []
        self.applied = 0
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._cm.__exit__(None, None, None)

    def send(self, type_: str, **fields: Any) -> int:
        command_id = next(_ids)
        self.ws.send_json({"id": command_id, "type": type_, **fields})
        return command_id

    def _take(self, message: dict[str, Any]) -> None:
        if message.get("type") == "snapshot":
            self.snapshots.append(message)
            self.applied = message["seq"]
        elif "seq" in message:
            assert message["seq"] == self.applied + 1, (
                f"gap or duplicate: {message['seq']} after {self.applied}"
            )
            self.applied = message["seq"]
            self.events.append(message)
        else:
            self.signals.append(message)

    def result(self, command_id: int | None) -> dict[str, Any]:
        """Read until the result of ``command_id``; events met on the way are kept."""
        while True:
            message = self.ws.receive_json()
            if message.get("type") == "result" and message.get("id") == command_id:
                return message
            self._take(message)

    def call(self, type_: str, **fields: Any) -> dict[str, Any]:
        return self.result(self.send(type_, **fields))

    def hello(self, last_seq: int | None = None) -> dict[str, Any]:
        reply = self.call("hello", last_seq=last_seq)
        assert reply["ok"], reply
        return reply

    def sync(self) -> None:
        """Everything the server had queued before now has been read (a ping round trip)."""
        assert self.call("ping")["ok"]
