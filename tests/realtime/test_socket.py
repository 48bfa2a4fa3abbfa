"""The meeting websocket, in process: resume, permissions, bad frames, live features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from phonghop.app import create_app
from phonghop.config import Settings
from tests.factories import World, companion, login, seed_world
from tests.realtime.helpers import Room


@pytest.fixture
def small_replay(settings: Settings) -> Settings:
    return Settings(**{**settings.__dict__, "replay_limit": 3})


def test_snapshot_then_live_page_turns(room: Room) -> None:
    tablet = room.peer(room.tablet_client())
    reply = tablet.hello()
    assert reply["result"]["mode"] == "snapshot"
    tablet.sync()
    assert len(tablet.snapshots) == 1
    data = tablet.snapshots[0]["data"]
    assert data["meeting"]["state"] == "in_progress"
    assert data["meeting"]["agenda"][0]["title"] == "Tờ trình kế hoạch năm 2027"
    assert data["me"]["role"] == "delegate" and data["me"]["controller"] is False
    assert "join_code" not in data["meeting"]

    console = room.peer(room.secretary_client)
    console.hello()
    doc = room.document_id
    result = console.call("presenter.show_page", document_id=doc, page=3)
    assert result["ok"] and result["result"] == {"document_id": doc, "page": 3}
    tablet.sync()
    turns = [e for e in tablet.events if e["type"] == "presenter.page_changed"]
    assert turns[-1]["data"] == {"document_id": doc, "page": 3}
    assert turns[-1]["v"] == 2 and turns[-1]["ts"].endswith("Z")
    tablet.close()
    console.close()


def test_resume_replays_exactly_what_was_missed(room: Room) -> None:
    assert room.document_id  # uploaded before the tablet's last seen event
    client = room.tablet_client()
    tablet = room.peer(client)
    tablet.hello()
    tablet.sync()
    seen = tablet.applied
    tablet.close()

    console = room.peer(room.secretary_client)
    console.hello()
    for page in (1, 2, 3):
        assert console.call("presenter.show_page", document_id=room.document_id, page=page)["ok"]
    assert console.call("announcement.make", text="Giải lao 10 phút")["ok"]

    again = room.peer(client)
    again.applied = seen
    reply = again.hello(last_seq=seen)
    assert reply["result"] == {
        "mode": "replay",
        "protocol": 2,
        "epoch": tablet.epoch,
        "from_seq": seen,
        "to_seq": seen + 4,
    }
    again.sync()
    assert [e["seq"] for e in again.events] == [seen + 1, seen + 2, seen + 3, seen + 4]
    assert [e["data"].get("page") for e in again.events[:3]] == [1, 2, 3]
    assert again.events[3]["data"] == {"text": "Giải lao 10 phút"}
    # and then live
    console.call("presenter.show_page", document_id=room.document_id, page=4)
    again.sync()
    assert again.events[-1]["seq"] == seen + 5
    again.close()
    console.close()


def test_too_far_behind_gets_a_snapshot(small_replay: Settings, world: World) -> None:
    with TestClient(create_app(small_replay)) as base:
        room = Room(base, world)
        console = room.peer(room.secretary_client)
        console.hello()
        for page in range(1, 6):
            console.call("presenter.show_page", document_id=room.document_id, page=page)
        tablet = room.peer(room.tablet_client())
        reply = tablet.hello(last_seq=1)
        assert reply["result"]["mode"] == "snapshot"
        tablet.sync()
        presenter = tablet.snapshots[0]["data"]["live"]["presenter"]
        assert presenter == {"document_id": room.document_id, "page": 5}
        # a client claiming to be ahead of the log is given the truth too
        other = room.peer(room.tablet_client(3))
        assert other.hello(last_seq=10_000)["result"]["mode"] == "snapshot"
        room.close()


def test_delegate_commands_are_checked_and_connection_kept(room: Room) -> None:
    tablet = room.peer(room.tablet_client())
    tablet.hello()
    for type_, fields in [
        ("presenter.show_page", {"document_id": 1, "page": 1}),
        ("meeting.control", {"action": "close"}),
        ("timer.start", {"seconds": 60}),
        ("speaker.grant", {"participant_id": room.meeting["participants"][3]["id"]}),
    ]:
        reply = tablet.call(type_, **fields)
        assert reply["ok"] is False
        assert reply["error"]["code"] == "secretary_required", reply
        assert reply["error"]["message"].startswith("Chỉ thư ký")
    assert tablet.call("ping")["ok"]
    tablet.close()


def test_garbage_frames_get_error_codes(room: Room) -> None:
    tablet = room.peer(room.tablet_client())
    ws = tablet.ws
    ws.send_text("ping")  # before hello, and not JSON
    assert tablet.result(None)["error"]["code"] == "frame_invalid_json"
    ws.send_json({"id": 1, "type": "ping"})
    assert tablet.result(1)["error"]["code"] == "hello_required"
    tablet.hello()
    cases: list[tuple[Any, str]] = [
        ("{not json", "frame_invalid_json"),
        ("[1, 2, 3]", "frame_invalid_json"),
        ('{"type": "ping"}', "command_id_missing"),
        ('{"id": true, "type": "ping"}', "command_id_missing"),
        ('{"id": 5, "type": "presenter.explode"}', "command_unknown"),
        ('{"id": 6, "type": "presenter.show_page", "page": 1}', "command_invalid"),
        ('{"id": 7, "type": "presenter.show_page", "document_id": "x", "page": 1}', "command_invalid"),
        ('{"id": 8, "type": "ping", "extra": 1}', "command_invalid"),
        ('{"id": 9, "type": "announcement.make", "text": "' + "a" * 70_000 + '"}', "frame_too_large"),
    ]
    for raw, code in cases:
        ws.send_text(raw)
        while True:
            message = ws.receive_json()
            if message.get("type") == "result":
                break
        assert message["ok"] is False and message["error"]["code"] == code, (raw[:60], message)
    ws.send_bytes(b"\x00\x01")
    assert tablet.result(None)["error"]["code"] == "frame_binary_unsupported"
    reply = tablet.call("presenter.show_page", document_id=1, page=0)
    assert reply["error"]["code"] == "command_invalid" and reply["error"]["params"] == {"field": "page"}
    assert tablet.call("ping")["ok"]  # still connected
    tablet.close()


def close_code(client: TestClient, path: str, **headers: str) -> int:
    """The code the server closes with right after accepting (it explains refusals)."""
    with (
        client.websocket_connect(path, headers=dict(headers)) as ws,
        pytest.raises(WebSocketDisconnect) as info,
    ):
        ws.receive_json()
    return info.value.code


def test_socket_refuses_strangers_with_a_close_code(room: Room, world: World) -> None:
    anonymous = companion(room.base)
    assert close_code(anonymous, f"/ws/meetings/{room.id}") == 4401
    tablet = room.tablet_client()
    assert close_code(tablet, "/ws/meetings/99999") == 4404
    assert close_code(tablet, f"/ws/meetings/{room.id}", Origin="http://evil.example") == 1008
    stranger = companion(room.base)
    login(stranger, "other_office")
    assert close_code(stranger, f"/ws/meetings/{room.id}") == 4404
    expired = companion(room.base)
    expired.cookies.set("phonghop_session", "forged.signature")
    assert close_code(expired, f"/ws/meetings/{room.id}") == 4401


def test_speaker_queue_and_presence(room: Room) -> None:
    console = room.peer(room.secretary_client)
    console.hello()
    delegate = room.meeting["participants"][2]
    tablet = room.peer(room.tablet_client(2))
    tablet.hello()
    console.sync()
    import time

    time.sleep(0.3)  # viewer summaries are throttled
    console.sync()
    presence = [s for s in console.signals if s["type"] == "presence.changed"]
    assert presence and str(delegate["id"]) in presence[-1]["data"]["online"]

    assert tablet.call("speaker.request")["ok"]
    again = tablet.call("speaker.request")
    assert again["error"]["code"] == "speaker_already_queued"
    console.sync()
    queued = [e for e in console.events if e["type"] == "speaker.requested"][-1]
    assert queued["data"]["queue"][0]["participant_id"] == delegate["id"]
    assert queued["data"]["queue"][0]["state"] == "waiting"
    assert console.call("speaker.grant", participant_id=delegate["id"])["ok"]
    assert tablet.call("speaker.finish", participant_id=delegate["id"])["ok"]
    tablet.sync()
    assert [e["type"] for e in tablet.events][-3:] == [
        "speaker.requested",
        "speaker.granted",
        "speaker.finished",
    ]
    assert tablet.events[-1]["data"]["queue"] == []

    assert tablet.call("viewer.report", document_id=1, page=2, following=False)["ok"]
    time.sleep(0.3)
    console.sync()
    summary = [s for s in console.signals if s["type"] == "viewer.summary"][-1]["data"]
    assert summary == {"connected": 1, "following": 0, "on_presenter_page": 0}
    tablet.close()
    time.sleep(0.05)
    console.sync()
    assert (
        str(delegate["id"])
        not in [s for s in console.signals if s["type"] == "presence.changed"][-1]["data"]["online"]
    )
    console.close()


def test_failed_commands_leave_no_event_and_rest_api_changes_reach_tablets(room: Room) -> None:
    console = room.peer(room.secretary_client)
    console.hello()
    console.sync()
    before = console.applied
    assert console.call("agenda.open_item", item_id=99999)["error"]["code"] == "agenda_item_not_found"
    item = room.meeting["agenda"][0]["id"]
    assert console.call("agenda.open_item", item_id=item)["ok"]
    console.sync()
    assert console.events[-1]["seq"] == before + 1 and console.events[-1]["type"] == "agenda.item_opened"
    # An item added over HTTP during the meeting reaches the sockets too.
    r = room.secretary_client.post(f"/api/meetings/{room.id}/agenda", json={"title": "Nội dung phát sinh"})
    assert r.status_code == 201
    console.sync()
    assert console.events[-1]["type"] == "agenda.item_added"
    assert console.events[-1]["data"]["title"] == "Nội dung phát sinh"
    assert console.call("timer.start", seconds=300, label="Phát biểu")["ok"]
    assert console.call("meeting.control", action="pause")["result"] == {"state": "paused"}
    console.sync()
    assert [e["type"] for e in console.events][-2:] == ["timer.started", "meeting.paused"]
    console.close()


def test_a_long_replay_arrives_whole(room: Room) -> None:
    """More missed events than a connection's queue holds: all arrive, none dropped."""
    assert room.document_id  # uploaded before the tablet's last seen event
    client = room.tablet_client()
    tablet = room.peer(client)
    tablet.hello()
    tablet.sync()
    seen = tablet.applied
    tablet.close()
    console = room.peer(room.secretary_client)
    console.hello()
    for turn in range(300):
        assert console.call("presenter.show_page", document_id=room.document_id, page=turn % 40 + 1)["ok"]
    again = room.peer(client)
    again.applied = seen
    assert again.hello(last_seq=seen)["result"]["mode"] == "replay"
    again.sync()
    assert [e["data"]["page"] for e in again.events] == [turn % 40 + 1 for turn in range(300)]


@pytest.mark.postgres
def test_a_database_outage_asks_tablets_to_come_back_later(
    tmp_path: Path, migrated_postgres_url: str
) -> None:
    """No HTTP 500 and no silent hang: the tablet is closed with 1013 and reconnects later."""
    import asyncio

    from tests.conftest import _pg_admin, make_settings

    settings = make_settings(tmp_path, migrated_postgres_url)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        room = Room(base, world)
        tablet = room.tablet_client()
        name = migrated_postgres_url.rsplit("/", 1)[1]
        asyncio.run(_pg_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        asyncio.run(
            _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        )
        try:
            assert close_code(tablet, f"/ws/meetings/{room.id}") == 1013
        finally:
            asyncio.run(_pg_admin(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        # back again: the same tablet connects and gets its snapshot
        peer = room.peer(tablet)
        assert peer.hello()["result"]["mode"] == "snapshot"
        room.close()


def test_snapshots_show_the_current_meeting_even_when_shared(room: Room) -> None:
    """The meeting part of snapshots is built once per state: it must follow every change,
    including the join code, which changes without an event."""
    console = room.peer(room.secretary_client)
    console.hello()
    console.sync()
    first = console.snapshots[-1]["data"]["meeting"]
    code = room.office.post(f"/api/meetings/{room.id}/join-code").json()["join_code"]
    assert code != first["join_code"]
    room.meeting["join_code"] = code  # tablets now join with the new code
    again = room.peer(room.secretary_client)
    again.hello()
    again.sync()
    assert again.snapshots[-1]["data"]["meeting"]["join_code"] == code
    r = room.office.post(
        f"/api/meetings/{room.id}/participants", json={"full_name": "Khách mời", "role": "guest"}
    )
    assert r.status_code == 201
    tablet = room.peer(room.tablet_client())
    tablet.hello()
    tablet.sync()
    names = [p["full_name"] for p in tablet.snapshots[-1]["data"]["meeting"]["participants"]]
    assert "Khách mời" in names and "join_code" not in tablet.snapshots[-1]["data"]["meeting"]


def test_a_report_without_id_is_counted_and_never_answered(room: Room) -> None:
    import time

    console = room.peer(room.secretary_client)
    console.hello()
    tablet = room.peer(room.tablet_client(2))
    tablet.hello()
    # The tablet's own reports: notifications, one per page shown, with no answer.
    for page in (4, 5):
        tablet.ws.send_json({"type": "viewer.report", "document_id": 1, "page": page, "following": False})
    tablet.sync()
    assert [s for s in tablet.signals if s.get("type") == "result"] == []
    # An invalid one still says why, with id null.
    tablet.ws.send_json({"type": "viewer.report", "page": 0, "following": True})
    error = tablet.result(None)
    assert error["error"]["code"] == "command_invalid" and error["error"]["params"] == {"field": "page"}
    # Every other command still needs its id.
    tablet.ws.send_json({"type": "ping"})
    assert tablet.result(None)["error"]["code"] == "command_id_missing"

    deadline = time.monotonic() + 10  # summaries are throttled to four a second
    while True:
        console.sync()
        summaries = [s["data"] for s in console.signals if s["type"] == "viewer.summary"]
        if summaries and summaries[-1] == {"connected": 1, "following": 0, "on_presenter_page": 0}:
            break
        assert time.monotonic() < deadline, summaries
    tablet.close()
    console.close()
