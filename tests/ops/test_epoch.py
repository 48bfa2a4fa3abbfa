"""A restore gives the event logs a new epoch: tablets that saw the old history, whether
ahead of the restored log or behind it, resume with the restored state, never a mix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.ops.backup import create_backup, restore_backup
from phonghop.storage import migrate
from tests.conftest import fresh_postgres_database, make_settings
from tests.factories import companion, join_tablet, login, seed_world
from tests.realtime.helpers import Peer, Room


@pytest.fixture
def another_postgres_url() -> Iterator[str]:
    yield from fresh_postgres_database()


def announce(console: Peer, text: str) -> None:
    assert console.call("announcement.make", text=text)["ok"]


def tablet_on(base: TestClient, meeting: dict[str, Any], index: int) -> TestClient:
    client = companion(base)
    office = companion(base)
    login(office, "office")
    join_tablet(client, office, meeting["id"], meeting["participants"][index]["id"])
    del client.headers["X-CSRF-Token"]
    return client


def live_part(peer: Peer) -> dict[str, Any]:
    """What the tablet draws of the live meeting, after its snapshot and events."""
    state = dict(peer.snapshots[-1]["data"]["live"])
    for event in peer.events:
        if event["seq"] > peer.snapshots[-1]["seq"] and event["type"] == "announcement.made":
            state["announcement"] = {**(state["announcement"] or {}), "text": event["data"]["text"]}
    return state


def tablets_across_a_restore(tmp_path: Path, source_url: str, target_url: str) -> None:
    source = make_settings(tmp_path / "a", source_url)
    world = seed_world(source)
    with TestClient(create_app(source), base_url="http://testserver") as base:
        room = Room(base, world)
        console = room.peer(room.secretary_client)
        console.hello()
        announce(console, "Trước sao lưu")
        info = asyncio.run(create_backup(source))
        console.sync()
        backed_up = console.applied
        old_epoch = console.epoch
        announce(console, "Sau sao lưu 1")
        announce(console, "Sau sao lưu 2")
        behind = room.peer(room.tablet_client(2))
        behind.hello()
        behind.sync()
        behind_seq = behind.applied  # backed_up + 2
        announce(console, "Sau sao lưu 3")
        announce(console, "Sau sao lưu 4")
        announce(console, "Sau sao lưu 5")
        announce(console, "Sau sao lưu 6")
        ahead = room.peer(room.tablet_client(3))
        ahead.hello()
        ahead.sync()
        ahead_seq = ahead.applied  # backed_up + 6
        meeting = room.meeting
        room.close()
    assert behind_seq == backed_up + 2 and ahead_seq == backed_up + 6

    target = make_settings(tmp_path / "b", target_url)
    asyncio.run(restore_backup(target, info.path))
    with TestClient(create_app(target), base_url="http://testserver") as base:
        secretary = companion(base)
        login(secretary, "secretary")
        console = Peer(secretary, meeting["id"])
        try:
            console.hello()
            console.sync()
            new_epoch = console.epoch
            assert new_epoch != old_epoch and console.applied == backed_up
            # The restored server writes its own history over the same numbers.
            for n in range(1, 5):
                announce(console, f"Sau khôi phục {n}")
            console.sync()
            restored_seq = console.applied
            assert behind_seq < restored_seq < ahead_seq

            latest = "Sau khôi phục 4"
            # ahead first: once the restored log passes it, the ahead tablet would be behind
            for peer_seq, index in ((ahead_seq, 3), (behind_seq, 2)):
                tablet = Peer(tablet_on(base, meeting, index), meeting["id"])
                try:
                    reply = tablet.hello(peer_seq, epoch=old_epoch)
                    result = reply["result"]
                    assert (result["mode"], result["protocol"], result["epoch"]) == ("snapshot", 2, new_epoch)
                    assert result["to_seq"] >= restored_seq  # (joining the tablet adds an event)
                    tablet.sync()
                    assert tablet.snapshots[-1]["epoch"] == new_epoch
                    assert live_part(tablet)["announcement"]["text"] == latest
                    # and from then on it follows the restored server, by replay in its epoch
                    latest = f"Tiếp tục {index}"
                    announce(console, latest)
                    tablet.sync()
                    assert live_part(tablet)["announcement"]["text"] == latest
                    resumed = tablet.applied
                finally:
                    tablet.close()
                again = Peer(tablet_on(base, meeting, index), meeting["id"])
                try:
                    reply = again.hello(resumed - 1, epoch=new_epoch)
                    assert reply["result"]["mode"] == "replay" and reply["result"]["epoch"] == new_epoch
                finally:
                    again.close()
        finally:
            console.close()


def test_tablets_across_a_restore_on_sqlite(tmp_path: Path) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    asyncio.run(migrate.upgrade(source))
    tablets_across_a_restore(tmp_path, source, f"sqlite+aiosqlite:///{tmp_path / 'target.db'}")


@pytest.mark.postgres
def test_tablets_across_a_restore_on_postgres(
    tmp_path: Path, migrated_postgres_url: str, another_postgres_url: str
) -> None:
    tablets_across_a_restore(tmp_path, migrated_postgres_url, another_postgres_url)


def test_a_version_1_client_is_answered_in_version_1_and_resumes_by_snapshot(settings: Settings) -> None:
    """Old tablets keep working: they send no epoch, so every resume is a snapshot."""
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        room = Room(base, world)
        try:
            tablet = room.peer(room.tablet_client())
            reply = tablet.call("hello", last_seq=None, protocol=1)
            assert reply["result"]["protocol"] == 1 and reply["result"]["mode"] == "snapshot"
            tablet.sync()
            seen = tablet.applied
            tablet.close()
            old = room.peer(room.tablet_client())
            reply = old.call("hello", last_seq=seen)  # a version 1 hello: no epoch, no protocol
            assert reply["result"]["protocol"] == 1 and reply["result"]["mode"] == "snapshot"
        finally:
            room.close()
