"""Answering the invitation on a tablet or phone (issue 21): a tablet joined with a personal
code, by someone without any account, answers for its holder only, the console's table
learns it live, and answers close when the meeting starts."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.testclient import TestClient

from tests.invitations.conftest import GUEST, lines, on_tablet, pid
from tests.realtime.helpers import Peer


def test_a_tablet_answers_its_holders_invitation_and_the_console_sees_it_live(
    base: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid, guest = meeting["id"], pid(meeting, 5)  # the guest has no account at all
    tablet = on_tablet(base, office, mid, guest)
    mine = tablet.get(f"/api/meetings/{mid}/invitation").json()
    assert (mine["participant_id"], mine["full_name"], mine["state"]) == (guest, GUEST[0], "invited")
    console = Peer(office, mid)
    own = Peer(tablet, mid)
    try:
        console.hello()
        own.hello()
        console.sync()
        own.sync()
        seen_by_console, seen_by_tablet = len(console.events), len(own.events)
        # an absence needs its reason
        r = tablet.put(f"/api/meetings/{mid}/invitation", json={"state": "absent"})
        assert r.status_code == 422 and r.json()["error"]["params"]["field"] == "reason"
        r = tablet.put(f"/api/meetings/{mid}/invitation", json={"state": "absent", "reason": "Đi công tác"})
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["reason"]) == ("absent", "Đi công tác")
        console.sync()
        own.sync()
        [event] = console.events[seen_by_console:]
        assert event["type"] == "invitation.answered"
        assert (event["data"]["participant_id"], event["data"]["state"]) == (guest, "absent")
        # the tablet's own socket is not the controllers': the line is withheld from it
        assert [e["type"] for e in own.events[seen_by_tablet:]] == ["event.withheld"]
    finally:
        for peer in (console, own):
            with contextlib.suppress(Exception):
                peer.close()
    assert lines(office, mid)[guest]["state"] == "absent"
    # a substitute; the office's decision shows on the tablet's line
    r = tablet.put(
        f"/api/meetings/{mid}/invitation",
        json={
            "state": "substitute",
            "substitute_name": "Trần Văn Thay",
            "substitute_title": "Phó Giám đốc Sở",
        },
    )
    assert r.status_code == 200 and r.json()["substitute"]["state"] == "pending"
    r = office.post(f"/api/meetings/{mid}/invitations/{guest}/decision", json={"accept": False})
    assert r.status_code == 200, r.text
    assert tablet.get(f"/api/meetings/{mid}/invitation").json()["substitute"]["state"] == "refused"


def test_a_tablet_answers_for_nobody_else(
    base: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    tablet = on_tablet(base, office, mid, pid(meeting, 5))
    r = tablet.put(f"/api/meetings/{mid}/invitations/{pid(meeting, 4)}", json={"state": "confirmed"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "office_required"
    assert tablet.get(f"/api/meetings/{mid}/invitations").status_code == 403
    assert lines(office, mid)[pid(meeting, 4)]["state"] == "invited"


def test_answers_close_when_the_meeting_starts(
    base: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    tablet = on_tablet(base, office, mid, pid(meeting, 3))
    assert tablet.put(f"/api/meetings/{mid}/invitation", json={"state": "confirmed"}).status_code == 200
    assert office.post(f"/api/meetings/{mid}/actions/start").status_code == 200
    r = tablet.put(f"/api/meetings/{mid}/invitation", json={"state": "absent", "reason": "Ốm"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "invitation_closed"
    assert r.json()["error"]["params"]["state"] == "in_progress"
    assert tablet.get(f"/api/meetings/{mid}/invitation").json()["state"] == "confirmed"
