"""Conclusions per agenda item: recorded over the websocket while the meeting runs,
corrected by the office afterwards, in the log and in the snapshot."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.factories import World, companion, login, prepared_meeting
from tests.notices_service.conftest import (
    FIRST_ITEM_POINTS,
    SECOND_ITEM_POINTS,
    error_of,
    hold_meeting,
    tablet,
)
from tests.realtime.helpers import Peer

STORED_FIRST = [
    {
        "text": "Thống nhất thông qua Tờ trình kế hoạch năm 2027",
        "chu_tri": "",
        "phoi_hop": [],
        "deadline": None,
    },
    {
        "text": "Hoàn thiện Tờ trình theo ý kiến góp ý",
        "chu_tri": "Văn phòng Tỉnh ủy",
        "phoi_hop": ["Sở Tài chính", "Sở Nội vụ"],
        "deadline": "2026-12-15",
    },
]


def test_the_secretary_records_and_every_tablet_sees_it(
    base: TestClient, world: World, office: TestClient
) -> None:
    held = hold_meeting(base, world, office, conclusions=False, close=False)
    delegate = Peer(tablet(base, held, 2), held.id)
    console = Peer(held.secretary, held.id)
    try:
        delegate.hello()
        console.hello()
        reply = console.call(
            "agenda.record_conclusion",
            item_id=held.items[0],
            points=[
                {**FIRST_ITEM_POINTS[0], "text": "  Thống nhất   thông qua Tờ trình kế hoạch năm 2027 "},
                *FIRST_ITEM_POINTS[1:],
            ],
            summary="Cơ bản thống nhất",
        )
        assert reply["ok"], reply
        assert reply["result"] == {
            "item_id": held.items[0],
            "summary": "Cơ bản thống nhất",
            "points": STORED_FIRST,
        }
        delegate.sync()
        (event,) = [e for e in delegate.events if e["type"] == "agenda.conclusion_recorded"]
        assert event["data"] == reply["result"]

        # Without a summary the item keeps its summary; its points are replaced.
        reply = console.call("agenda.record_conclusion", item_id=held.items[0], points=FIRST_ITEM_POINTS[:1])
        assert reply["result"]["summary"] == "Cơ bản thống nhất"
        assert reply["result"]["points"] == STORED_FIRST[:1]
    finally:
        console.close()
        delegate.close()

    late = Peer(tablet(base, held, 3), held.id)
    try:
        late.hello()
        late.sync()
        (snapshot,) = late.snapshots
        assert snapshot["data"]["live"]["conclusions"] == {
            str(held.items[0]): {"summary": "Cơ bản thống nhất", "points": STORED_FIRST[:1]}
        }
    finally:
        late.close()


def test_what_the_command_refuses(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office, conclusions=False, close=False)
    item = held.items[0]
    delegate = Peer(tablet(base, held, 2), held.id)
    console = Peer(held.secretary, held.id)
    try:
        delegate.hello()
        console.hello()
        reply = delegate.call("agenda.record_conclusion", item_id=item, points=FIRST_ITEM_POINTS)
        assert reply["error"]["code"] == "secretary_required"
        for points, field in [
            ([{"text": "Giao nhiệm vụ", "phoi_hop": ["Sở Nội vụ"]}], "points[0].phoi_hop"),
            ([{"text": "Một"}, {"text": "   "}], "points[1].text"),
            ([{"text": "Một", "chu_tri": "  ", "phoi_hop": ["Sở Y tế"]}], "points[0].phoi_hop"),
        ]:
            reply = console.call("agenda.record_conclusion", item_id=item, points=points)
            assert reply["error"]["code"] == "conclusion_invalid", reply
            assert reply["error"]["params"] == {"field": field}
        reply = console.call("agenda.record_conclusion", item_id=item, points=[{"text": "x" * 2001}])
        assert reply["error"]["code"] == "command_invalid"
        assert reply["error"]["params"]["field"] == "points.0.text"
        reply = console.call(
            "agenda.record_conclusion", item_id=item, points=[{"text": "x", "deadline": "2026-02-30"}]
        )
        assert reply["error"]["code"] == "command_invalid"
        reply = console.call("agenda.record_conclusion", item_id=item, points=[{"text": "x"}] * 51)
        assert reply["error"]["code"] == "command_invalid"
        reply = console.call("agenda.record_conclusion", item_id=999_999, points=FIRST_ITEM_POINTS)
        assert reply["error"]["code"] == "agenda_item_not_found"
        assert held.secretary.post(f"/api/meetings/{held.id}/actions/close").status_code == 200
        reply = console.call("agenda.record_conclusion", item_id=item, points=FIRST_ITEM_POINTS)
        assert reply["error"]["code"] == "meeting_not_running"
        assert reply["error"]["params"] == {"state": "closed"}
    finally:
        console.close()
        delegate.close()
    # Nothing refused was stored.
    listed = office.get(f"/api/meetings/{held.id}/conclusions").json()["conclusions"]
    assert all(c["points"] == [] and c["summary"] == "" for c in listed)


def test_the_office_corrects_after_the_meeting(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office)
    listed = office.get(f"/api/meetings/{held.id}/conclusions").json()["conclusions"]
    assert [c["item_id"] for c in listed] == held.items
    assert listed[0]["points"] == STORED_FIRST
    assert listed[1]["summary"] == "Ghi nhận báo cáo giải ngân vốn đầu tư công"
    assert [p["deadline"] for p in listed[1]["points"]] == [SECOND_ITEM_POINTS[0]["deadline"]]

    before = office.get(f"/api/meetings/{held.id}").json()["last_seq"]
    r = office.put(
        f"/api/meetings/{held.id}/conclusions/{held.items[1]}",
        json={"points": [{"text": "Báo cáo kết quả giải ngân", "chu_tri": "Sở Tài chính"}]},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "item_id": held.items[1],
        "summary": "",
        "points": [
            {"text": "Báo cáo kết quả giải ngân", "chu_tri": "Sở Tài chính", "phoi_hop": [], "deadline": None}
        ],
    }
    assert office.get(f"/api/meetings/{held.id}/conclusions/{held.items[1]}").json() == r.json()
    # The correction is in the meeting's log, so a tablet resuming sees it too.
    assert office.get(f"/api/meetings/{held.id}").json()["last_seq"] == before + 1
    peer = Peer(held.secretary, held.id)
    try:
        peer.applied = before
        peer.hello(before)
        peer.sync()
        assert [e["type"] for e in peer.events] == ["agenda.conclusion_recorded"]
    finally:
        peer.close()


def test_who_may_correct_and_when(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office)
    url = f"/api/meetings/{held.id}/conclusions/{held.items[0]}"
    body = {"points": FIRST_ITEM_POINTS}
    assert error_of(held.secretary.put(url, json=body), 403)["code"] == "office_required"
    stranger = companion(base)
    login(stranger, "other_office")
    assert error_of(stranger.put(url, json=body), 404)["code"] == "meeting_not_found"
    assert error_of(stranger.get(url), 404)["code"] == "meeting_not_found"
    r = office.put(url, json={"points": [{"text": "Một", "phoi_hop": ["Sở Y tế"]}]})
    assert error_of(r, 422) == {
        "code": "conclusion_invalid",
        "message": error_of(r, 422)["message"],
        "params": {"field": "points[0].phoi_hop"},
    }
    assert error_of(office.put(url, json={"points": [], "extra": 1}), 422)["code"] == "invalid_input"
    r = office.put(f"/api/meetings/{held.id}/conclusions/999999", json=body)
    assert error_of(r, 404)["code"] == "agenda_item_not_found"
    # The secretary (a participant) may read.
    assert held.secretary.get(url).json()["points"] == STORED_FIRST

    # Before the meeting begins there is nothing to conclude.
    upcoming = prepared_meeting(office, world)
    r = office.put(f"/api/meetings/{upcoming['id']}/conclusions/{upcoming['agenda'][0]['id']}", json=body)
    assert error_of(r, 409) == {
        "code": "conclusion_not_recordable",
        "message": error_of(r, 409)["message"],
        "params": {"state": "scheduled"},
    }
