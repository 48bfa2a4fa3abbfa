"""Polls over the real app: HTTP to prepare them, the websocket to run them, tablets to vote."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from tests.factories import World, companion, login
from tests.realtime.helpers import Peer, Room

KEY = "5f0c2d9e-7a41-4b3c-8e2f-9d6a1b7c3e50"


def wait_for(peer: Peer, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
    """The first event (received so far or soon) that ``match``es; counts are published
    a moment after the ballots, not with them."""
    deadline = time.monotonic() + timeout
    while True:
        for event in peer.events:
            if match(event):
                return event
        assert time.monotonic() < deadline, f"no matching event in {[e['type'] for e in peer.events]}"
        time.sleep(0.05)
        peer.sync()


def at_seq(peer: Peer, seq: int) -> dict[str, Any]:
    return wait_for(peer, lambda e: e["seq"] == seq)


def create_poll(room: Room, **body: Any) -> dict[str, Any]:
    r = room.office.post(
        f"/api/meetings/{room.id}/polls", json={"kind": "open", "title": "Thông qua", **body}
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def participant(room: Room, index: int) -> int:
    pid: int = room.meeting["participants"][index]["id"]
    return pid


def test_a_vote_from_open_to_close_as_each_screen_sees_it(room: Room) -> None:
    poll = create_poll(room, agenda_item_id=room.meeting["agenda"][0]["id"], eligibility="voting_members")
    console = room.peer(room.secretary_client)
    console.hello()
    room.allow_devices(2, 2)
    first_device = room.peer(room.tablet_client(2))
    first_device.hello()
    second_device = room.peer(room.tablet_client(2))  # the same delegate's other tablet
    second_device.hello()
    neighbour = room.peer(room.tablet_client(3))
    neighbour.hello()
    for peer in (first_device, neighbour):
        peer.sync()
        assert peer.snapshots[-1]["data"]["live"]["polls"] == []  # a draft is not theirs to see

    opened = console.call("poll.open", poll_id=poll["id"])
    assert opened["ok"] and opened["result"] == {"poll_id": poll["id"], "state": "open"}
    event = wait_for(neighbour, lambda e: e["type"] == "poll.opened")
    assert [o["id"] for o in event["data"]["poll"]["options"]] == ["approve", "reject", "abstain"]
    assert event["data"]["poll"]["eligible"] == 4 and event["data"]["poll"]["kind"] == "open"

    ack = first_device.call("poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["approve"])
    assert ack["ok"], ack
    assert ack["result"] == {"poll_id": poll["id"], "ballot_key": KEY, "choices": ["approve"]}

    voter = participant(room, 2)
    voted = wait_for(second_device, lambda e: e["type"] == "poll.voted")
    assert voted["data"] == {"poll_id": poll["id"], "participant_ids": [voter]}
    assert at_seq(neighbour, voted["seq"])["type"] == "event.withheld"
    recorded = wait_for(console, lambda e: e["type"] == "poll.ballots_recorded")
    assert recorded["data"]["ballots"] == [{"participant_id": voter, "choices": ["approve"]}]
    assert at_seq(neighbour, recorded["seq"])["type"] == "event.withheld"
    assert at_seq(second_device, recorded["seq"])["type"] == "event.withheld"  # choices: console only
    counted = wait_for(neighbour, lambda e: e["type"] == "poll.ballot_counted")
    assert counted["data"] == {"poll_id": poll["id"], "ballots_cast": 1, "eligible": 4}

    closed = console.call("poll.close", poll_id=poll["id"])
    assert closed["ok"] and closed["result"]["result"]["ballots_cast"] == 1
    for peer in (neighbour, second_device, first_device):
        final = wait_for(peer, lambda e: e["type"] == "poll.closed")
        assert final["data"]["poll"]["result"]["counts"][0]["votes"] == 1
        assert final["data"]["poll"]["result"]["outcome"] == "not_passed"


@pytest.fixture
def room_k1(settings: Settings, world: World) -> Iterator[Room]:
    """A server whose secret-ballot box writes every ballot at once (k = 1)."""
    with TestClient(create_app(replace(settings, secret_ballot_batch=1))) as base:
        r = Room(base, world)
        try:
            yield r
        finally:
            r.close()


def test_a_ballot_retried_after_a_dropped_connection_counts_once(room_k1: Room) -> None:
    room = room_k1
    poll = create_poll(room, kind="secret", eligibility="voting_members")
    console = room.peer(room.secretary_client)
    console.hello()
    assert console.call("poll.open", poll_id=poll["id"])["ok"]

    client = room.tablet_client(2)
    lost = Peer(client, room.id)
    lost.hello()
    lost.send("poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["reject"])
    # The server stores the ballot (the console hears of it), and the tablet goes out of
    # range before it reads the acknowledgement.
    wait_for(
        console, lambda e: e["type"] == "poll.voted" and participant(room, 2) in e["data"]["participant_ids"]
    )
    lost.close()

    again = room.peer(client)
    again.hello()
    again.sync()
    [mine] = again.snapshots[-1]["data"]["live"]["polls"]
    assert mine["me"] == {"voted": True, "ballot_key": KEY, "choices": None}  # stored before the drop
    retry = again.call("poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["reject"])
    assert retry["ok"] and retry["result"] == {"poll_id": poll["id"], "ballot_key": KEY, "choices": None}
    twice = again.call("poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["reject"])
    assert twice["result"] == retry["result"]
    other_key = again.call(
        "poll.cast_ballot", poll_id=poll["id"], ballot_key="another-key-1", choices=["approve"]
    )
    assert not other_key["ok"] and other_key["error"]["code"] == "ballot_already_cast"

    # a tablet whose first attempt never left it sends the ballot once it is back
    late = room.peer(room.tablet_client(3))
    late.hello()
    assert late.call("poll.cast_ballot", poll_id=poll["id"], ballot_key="late-key-01", choices=["approve"])[
        "ok"
    ]

    closed = console.call("poll.close", poll_id=poll["id"])
    result = closed["result"]["result"]
    assert result["ballots_cast"] == 2
    assert {c["option_id"]: c["votes"] for c in result["counts"]} == {"approve": 1, "reject": 1, "abstain": 0}


def test_poll_commands_refused_over_the_websocket(room: Room) -> None:
    poll = create_poll(room)
    tablet = room.peer(room.tablet_client(2))
    tablet.hello()

    def error(peer: Peer, type_: str, **fields: Any) -> dict[str, Any]:
        reply = peer.call(type_, **fields)
        assert not reply["ok"], reply
        err: dict[str, Any] = reply["error"]
        return err

    assert error(tablet, "poll.open", poll_id=poll["id"])["code"] == "secretary_required"
    assert error(tablet, "poll.close", poll_id=poll["id"])["code"] == "secretary_required"
    assert (
        error(tablet, "poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["approve"])["code"]
        == "poll_not_found"
    )
    short = error(tablet, "poll.cast_ballot", poll_id=poll["id"], ballot_key="short", choices=["approve"])
    assert short == {**short, "code": "command_invalid", "params": {"field": "ballot_key"}}
    spaces = error(tablet, "poll.cast_ballot", poll_id=poll["id"], ballot_key="has spaces in it", choices=[])
    assert spaces["params"] == {"field": "ballot_key"}
    many = error(tablet, "poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["a"] * 101)
    assert many["code"] == "command_invalid" and many["params"] == {"field": "choices"}

    console = room.peer(room.secretary_client)
    console.hello()
    assert error(console, "poll.open", poll_id=99999)["code"] == "poll_not_found"
    assert console.call("poll.open", poll_id=poll["id"])["ok"]
    refused = error(console, "poll.open", poll_id=poll["id"])
    assert refused["code"] == "poll_transition_invalid"
    assert refused["params"] == {"from_state": "open", "to_state": "open"}
    not_present = error(tablet, "poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["approve"])
    assert not_present["code"] == "poll_not_eligible" and not_present["params"] == {"reason": "not_present"}
    assert "biểu quyết" in not_present["message"]  # Vietnamese by default
    assert console.call("attendance.record", participant_id=participant(room, 2), attendance="present")["ok"]
    bad = error(tablet, "poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["maybe"])
    assert bad["code"] == "ballot_choice_invalid" and bad["params"] == {"option_id": "maybe"}
    assert tablet.call("poll.cast_ballot", poll_id=poll["id"], ballot_key=KEY, choices=["approve"])["ok"]
    cancelled = console.call("poll.cancel", poll_id=poll["id"])
    assert cancelled["ok"] and cancelled["result"]["state"] == "cancelled"
    assert error(console, "poll.close", poll_id=poll["id"])["code"] == "poll_transition_invalid"
    after = error(
        tablet, "poll.cast_ballot", poll_id=poll["id"], ballot_key="after-cancel", choices=["approve"]
    )
    assert after["code"] == "poll_not_open"


# -- HTTP --------------------------------------------------------------------------------------


def test_the_office_prepares_polls_over_http(room: Room) -> None:
    mid = room.id
    created = create_poll(
        room,
        kind="secret",
        type="election",
        title="Bầu bổ sung Ủy viên Ban Thường vụ",
        options=[{"label": "Nguyễn Văn An"}, {"label": "Trần Thị Bình"}, {"label": "Lê Văn Cường"}],
        max_choices=2,
        majority="more_than_half_of_valid_ballots",
    )
    assert created["state"] == "draft" and created["kind"] == "secret"
    assert [o["id"] for o in created["options"]] == ["c1", "c2", "c3"] and created["min_choices"] == 0
    assert created["me"] == {"voted": False, "ballot_key": None, "choices": None}
    pid = created["id"]

    r = room.office.patch(
        f"/api/polls/{pid}", json={"min_choices": 1, "agenda_item_id": room.meeting["agenda"][1]["id"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["min_choices"] == 1 and r.json()["agenda_item_id"] == room.meeting["agenda"][1]["id"]
    r = room.office.patch(f"/api/polls/{pid}", json={"min_choices": None, "clear_agenda_item": True})
    assert (r.json()["min_choices"], r.json()["agenda_item_id"]) == (0, None)
    r = room.office.patch(f"/api/polls/{pid}", json={"allow_change": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "poll_secret_change_not_allowed"
    r = room.office.patch(f"/api/polls/{pid}", json={"colour": "red"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = room.office.post(f"/api/meetings/{mid}/polls", json={"title": "Không có kiểu"})
    assert r.status_code == 422 and r.json()["error"]["params"]["field"] == "kind"
    r = room.office.post(
        f"/api/meetings/{mid}/polls", json={"kind": "open", "type": "custom", "options": [{"label": "Một"}]}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "poll_options_missing"

    assert [p["id"] for p in room.office.get(f"/api/meetings/{mid}/polls").json()["polls"]] == [pid]
    tablet = room.tablet_client(2)
    assert tablet.get(f"/api/meetings/{mid}/polls").json() == {"polls": []}
    assert tablet.get(f"/api/polls/{pid}").status_code == 404
    csrf = tablet.get("/api/session").json()["csrf_token"]
    r = tablet.post(
        f"/api/meetings/{mid}/polls", json={"kind": "open", "title": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "secretary_required"

    stranger = companion(room.base)
    login(stranger, "other_office")
    assert stranger.get(f"/api/polls/{pid}").status_code == 404
    assert stranger.post(f"/api/meetings/{mid}/polls", json={"kind": "open", "title": "x"}).status_code == 404

    no_csrf = companion(room.base)
    login(no_csrf, "office")
    del no_csrf.headers["X-CSRF-Token"]
    assert no_csrf.delete(f"/api/polls/{pid}").status_code == 403

    assert room.office.delete(f"/api/polls/{pid}").json() == {"ok": True}
    assert room.office.get(f"/api/polls/{pid}").status_code == 404
    assert room.office.get(f"/api/meetings/{mid}/polls").json() == {"polls": []}

    other = create_poll(room)
    console = room.peer(room.secretary_client)
    console.hello()
    assert console.call("poll.open", poll_id=other["id"])["ok"]
    r = room.office.delete(f"/api/polls/{other['id']}")
    assert r.status_code == 409 and r.json()["error"]["code"] == "poll_not_editable"
    seen = tablet.get(f"/api/meetings/{mid}/polls").json()["polls"]
    assert [p["id"] for p in seen] == [other["id"]] and seen[0]["state"] == "open"
