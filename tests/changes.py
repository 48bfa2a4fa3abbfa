"""A console's ``/ws/changes`` connection for tests, on Starlette's TestClient websocket."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect


class Console:
    """One console tab's change socket: reads signals, and proves that none is waiting."""

    def __init__(self, client: TestClient, **headers: str) -> None:
        self._cm = client.websocket_connect("/ws/changes", headers=dict(headers))
        self.ws = self._cm.__enter__()
        self.closed = False

    def signal(self) -> dict[str, Any]:
        """The next signal (blocks until one comes)."""
        message: dict[str, Any] = self.ws.receive_json()
        assert message.get("type") == "changed", message
        return message

    def signals_until_quiet(self) -> list[dict[str, Any]]:
        """Every signal sent to this console before a heartbeat round trip now."""
        self.ws.send_json({"type": "ping"})
        found = []
        while True:
            message: dict[str, Any] = self.ws.receive_json()
            if message == {"type": "pong"}:
                return found
            found.append(message)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._cm.__exit__(None, None, None)


def refusal(client: TestClient, **headers: str) -> int:
    """The close code a console gets right after opening ``/ws/changes``."""
    with client.websocket_connect("/ws/changes", headers=dict(headers)) as ws:
        try:
            ws.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code
    raise AssertionError("the change socket was not closed")
