"""A small protocol client for tests, on Starlette's TestClient websocket."""

from __future__ import annotations

import itertools
import weakref
from typing import Any

from starlette.testclient import TestClient

from tests.factories import World, blank_pdf, companion, join_tablet, login, prepared_meeting, upload_document

_ids = itertools.count(1)
#: The log epoch each running app told its peers last: a new Peer resuming from a
#: ``last_seq`` (a tablet that was there before) names it, as a real tablet would.
_epochs: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


class Peer:
    """One connected tablet or console: sends commands, collects what the server sends."""

    def __init__(self, client: TestClient, meeting_id: int, **headers: str) -> None:
        self.app = client.app
        self.epoch: str | None = None
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

    def hello(self, last_seq: int | None = None, epoch: str | None = None) -> dict[str, Any]:
        """Resume from ``last_seq`` in ``epoch`` (by default the epoch this peer, or
        another peer of the same app, was told last)."""
        epoch = epoch or self.epoch or _epochs.get(self.app)
        reply = self.call("hello", last_seq=last_seq, epoch=epoch, protocol=2)
        assert reply["ok"], reply
        self.epoch = _epochs[self.app] = reply["result"]["epoch"]
        return reply

    def sync(self) -> None:
        """Everything the server had queued before now has been read (a ping round trip)."""
        assert self.call("ping")["ok"]


class Room:
    """A started meeting on one running app, with the office and the secretary signed in."""

    def __init__(self, base: TestClient, world: World) -> None:
        self.base = base
        self.peers: list[Peer] = []
        self._document_id: int | None = None
        self.office = companion(base)
        login(self.office, "office")
        self.meeting = prepared_meeting(self.office, world)
        self.id = self.meeting["id"]
        self.secretary_client = companion(base)
        login(self.secretary_client, "secretary")
        assert (
            self.secretary_client.post(f"/api/meetings/{self.id}/actions/start").json()["state"]
            == "in_progress"
        )

    def allow_devices(self, index: int, devices: int) -> None:
        """The office lets participant ``index`` keep ``devices`` live tablets at once (one
        by default: another device of the same person takes the seat)."""
        pid = self.meeting["participants"][index]["id"]
        r = self.office.put(
            f"/api/meetings/{self.id}/participants/{pid}/devices-allowed", json={"devices": devices}
        )
        assert r.status_code == 200, r.text

    def tablet_client(self, index: int = 2) -> TestClient:
        client = companion(self.base)
        join_tablet(client, self.office, self.id, self.meeting["participants"][index]["id"])
        del client.headers["X-CSRF-Token"]  # tests that post from a tablet set it themselves
        return client

    def peer(self, client: TestClient) -> Peer:
        peer = Peer(client, self.id)
        self.peers.append(peer)
        return peer

    @property
    def document_id(self) -> int:
        """A 40-page document of the meeting, uploaded on first use, for the presenter."""
        if self._document_id is None:
            self._document_id = upload_document(self.office, self.id, blank_pdf(40), title="Tài liệu")["id"]
        return self._document_id

    def close(self) -> None:
        for peer in self.peers:
            peer.close()
