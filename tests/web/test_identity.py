"""Who holds the tablet (issue 17): each way someone in the room got in with the join code
alone, now refused; one live device per person; every end of access closes the socket."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import segno
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.services import throttle
from phonghop.storage.db import Database
from tests.factories import (
    PASSWORD,
    World,
    blank_pdf,
    companion,
    join_tablet,
    login,
    personal_code,
    upload_document,
)
from tests.realtime.helpers import Peer


@pytest.fixture
def client(settings: Settings, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def pid(meeting: dict[str, Any], index: int) -> int:
    value: int = meeting["participants"][index]["id"]
    return value


def code_of(response: Any) -> str:
    value: str = response.json()["error"]["code"]
    return value


def frames_until_closed(peer: Peer) -> tuple[list[str], int]:
    """The types of the frames read until the server closed the socket, and its close code."""
    seen: list[str] = []
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            seen.append(peer.ws.receive_json().get("type"))
    with contextlib.suppress(Exception):
        peer.close()
    return seen, closed.value.code


def closed_with(peer: Peer) -> int:
    """Read until the server closes the socket; its close code."""
    return frames_until_closed(peer)[1]


_open: list[Peer] = []


def connect(client: TestClient, meeting_id: int) -> Peer:
    """A websocket that said hello; closed at the end of the test if still open."""
    peer = Peer(client, meeting_id)
    _open.append(peer)
    peer.hello()
    return peer


@pytest.fixture(autouse=True)
def _close_peers(client: TestClient) -> Iterator[None]:
    """Before the app stops (a websocket left open would keep it from stopping)."""
    yield
    while _open:
        with contextlib.suppress(Exception):
            _open.pop().close()


# -- what was measured: the join code alone made you anyone ----------------------------------------


def test_the_anonymous_list_shows_names_not_roles(client: TestClient, meeting: dict[str, Any]) -> None:
    info = client.get(f"/api/join/{meeting['join_code']}").json()
    assert [set(p) for p in info["participants"]] == [{"id", "full_name", "title", "sign_in"}] * 5
    # the chair and the secretary sign in with their accounts; the delegates with a code
    assert [p["sign_in"] for p in info["participants"]] == ["account", "account", "code", "code", "code"]


def test_the_join_code_alone_never_makes_a_secretary(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid, code = meeting["id"], meeting["join_code"]
    thief = companion(client)
    r = thief.post("/api/join", json={"code": code, "participant_id": pid(meeting, 1)})
    assert r.status_code == 403 and code_of(r) == "join_account_required"
    # nor with the secretary's personal code (a controller with an account signs in)
    r = thief.post(
        "/api/join",
        json={
            "code": code,
            "participant_id": pid(meeting, 1),
            "personal_code": personal_code(office, mid, pid(meeting, 1)),
        },
    )
    assert r.status_code == 403 and code_of(r) == "join_account_required"
    # so the Mật document, the draft polls and revoking the chair's tablet stay out of reach
    doc = upload_document(office, mid, blank_pdf(2), title="Mật", classification="confidential")
    assert thief.get(f"/api/versions/{doc['version']['id']}/download").status_code == 401
    assert thief.get(f"/api/meetings/{mid}/polls").status_code == 401
    r = thief.post(f"/api/meetings/{mid}/participants/{pid(meeting, 0)}/sessions/revoke")
    assert r.status_code in (401, 403)
    # the secretary's own account does it
    secretary = companion(client)
    r = secretary.post(
        "/api/join",
        json={"code": code, "participant_id": pid(meeting, 1), "username": "secretary", "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    assert secretary.get(f"/api/meetings/{mid}").json()["my_role"] == "secretary"
    # another account's password does not make one the secretary
    r = companion(client).post(
        "/api/join",
        json={"code": code, "participant_id": pid(meeting, 1), "username": "member1", "password": PASSWORD},
    )
    assert r.status_code == 403 and code_of(r) == "join_participant_mismatch"


def test_a_delegate_without_proof_waits_for_the_secretary(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid, code = meeting["id"], meeting["join_code"]
    tablet = companion(client)
    r = tablet.post("/api/join", json={"code": code, "participant_id": pid(meeting, 2)})
    assert r.status_code == 202 and r.json()["pending"] is True
    device = r.json()["device_id"]
    # waiting: it reads nothing and opens no socket
    assert code_of(tablet.get("/api/session")) == "device_pending"
    assert tablet.get(f"/api/meetings/{mid}/documents").status_code == 401
    # the console lists it as waiting, with the name chosen and the device
    waiting = [
        d for d in office.get(f"/api/meetings/{mid}/devices").json()["devices"] if d["state"] == "pending"
    ]
    assert [(d["device_id"], d["participant_id"]) for d in waiting] == [(device, pid(meeting, 2))]
    r = office.post(f"/api/meetings/{mid}/devices/{device}/confirm")
    assert r.status_code == 200 and r.json()["state"] == "active" and r.json()["proof"] == "confirmed"
    assert tablet.get("/api/session").json()["participant"]["id"] == pid(meeting, 2)
    # a refused one gets nowhere
    other = companion(client)
    r = other.post("/api/join", json={"code": code, "participant_id": pid(meeting, 3)})
    assert office.post(f"/api/meetings/{mid}/devices/{r.json()['device_id']}/revoke").status_code == 200
    assert code_of(other.get("/api/session")) == "session_expired"


def test_the_personal_code_alone_names_the_delegate(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    tablet = companion(client)
    r = tablet.post(
        "/api/join",
        json={
            "code": meeting["join_code"],
            "personal_code": personal_code(office, mid, pid(meeting, 3)).lower(),
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["participant"]["id"] == pid(meeting, 3)


def test_a_personal_code_cannot_be_guessed(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid, code, delegate = meeting["id"], meeting["join_code"], pid(meeting, 2)
    guesser = companion(client)
    for n in range(throttle.PERSONAL_CODE.failures):
        r = guesser.post(
            "/api/join", json={"code": code, "participant_id": delegate, "personal_code": f"AAAA{n:04d}"}
        )
        assert r.status_code == 403 and code_of(r) == "personal_code_invalid"
    # locked now: even the right code is refused until the lock passes
    right = personal_code(office, mid, delegate)
    r = guesser.post("/api/join", json={"code": code, "participant_id": delegate, "personal_code": right})
    assert r.status_code == 429 and code_of(r) == "too_many_attempts"
    assert r.json()["error"]["params"]["minutes"] == 1


def test_join_code_lookups_are_throttled(client: TestClient, meeting: dict[str, Any]) -> None:
    for n in range(throttle.JOIN_ADDRESS.failures):
        assert client.get(f"/api/join/ZZZZ{n:04d}").status_code == 404
    r = client.get(f"/api/join/{meeting['join_code']}")
    assert r.status_code == 429 and code_of(r) == "too_many_attempts"


@pytest.mark.anyio
async def test_locks_grow_longer_each_time(settings: Settings, world: World) -> None:
    db = Database(settings.database_url)
    now = datetime.now(UTC)
    key = [("pin:test", throttle.PERSONAL_CODE)]
    try:
        lengths = []
        for _ in range(3):
            async with db.unit() as uow:
                for _ in range(throttle.PERSONAL_CODE.failures):
                    await throttle.fail(uow, key, now)
            async with db.unit(write=False) as uow:
                with pytest.raises(Exception) as locked:
                    await throttle.check(uow, ["pin:test"], now)
            lengths.append(locked.value.params["seconds"])  # type: ignore[attr-defined]
            now += timedelta(seconds=lengths[-1] + 1)
        assert lengths == [60, 120, 240]
    finally:
        await db.dispose()


# -- sign-in lockout that cannot be turned against the secretary ------------------------------------


def attempt(client: TestClient, username: str, password: str) -> tuple[int, str]:
    r = client.post("/api/session", json={"username": username, "password": password})
    return r.status_code, r.json().get("error", {}).get("code", "")


def test_guessing_the_secretarys_password_does_not_lock_her_out(client: TestClient, world: World) -> None:
    secretary = companion(client)
    login(secretary, "secretary")  # her browser is now a known device of the account
    secretary.delete("/api/session")
    attacker = companion(client)  # same address (one room network), other browser
    for _ in range(throttle.ACCOUNT_AT_ADDRESS.failures):
        assert attempt(attacker, "secretary", "doan-mo-mat-khau")[0] == 401
    assert attempt(attacker, "secretary", PASSWORD) == (429, "login_locked")  # the attacker is stopped
    assert attempt(secretary, "secretary", PASSWORD)[0] == 200  # she is not
    # an administrator lifts the lock
    admin = companion(client)
    login(admin, "admin")
    assert admin.post(f"/api/users/{world.users['secretary']}/unlock").json()["unlocked"] == 1
    assert attempt(attacker, "secretary", "doan-mo-mat-khau") == (401, "login_failed")


# -- one live device per person ---------------------------------------------------------------------


def test_a_second_device_takes_the_seat_and_the_first_is_told(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid, delegate = meeting["id"], pid(meeting, 2)
    secretary = companion(client)
    login(secretary, "secretary")
    assert secretary.post(f"/api/meetings/{mid}/actions/start").status_code == 200
    first, peer = joined(client, office, mid, delegate)
    second = companion(client)
    join_tablet(second, office, mid, delegate)
    assert closed_with(peer) == 4410
    assert code_of(first.get("/api/session")) == "session_expired"
    assert second.get("/api/session").status_code == 200
    devices = office.get(f"/api/meetings/{mid}/devices").json()["devices"]
    assert [d["participant_id"] for d in devices] == [delegate]
    # the office may allow a second device
    r = office.put(f"/api/meetings/{mid}/participants/{delegate}/devices-allowed", json={"devices": 2})
    assert r.status_code == 200
    third = companion(client)
    join_tablet(third, office, mid, delegate)
    assert second.get("/api/session").status_code == 200 and third.get("/api/session").status_code == 200
    # the console revokes one device
    one = next(d for d in office.get(f"/api/meetings/{mid}/devices").json()["devices"])
    assert office.post(f"/api/meetings/{mid}/devices/{one['device_id']}/revoke").status_code == 200
    assert sorted(c.get("/api/session").status_code for c in (second, third)) == [200, 401]


# -- every end of access closes the socket -----------------------------------------------------------


@pytest.fixture
def running(client: TestClient, meeting: dict[str, Any]) -> dict[str, Any]:
    secretary = companion(client)
    login(secretary, "secretary")
    assert secretary.post(f"/api/meetings/{meeting['id']}/actions/start").status_code == 200
    return meeting


def console(client: TestClient, username: str, meeting_id: int) -> tuple[TestClient, Peer]:
    browser = companion(client)
    login(browser, username)
    peer = connect(browser, meeting_id)
    return browser, peer


def joined(
    client: TestClient, office: TestClient, meeting_id: int, participant_id: int
) -> tuple[TestClient, Peer]:
    """A tablet joined as the participant (personal code, or the account) and connected."""
    browser = companion(client)
    join_tablet(browser, office, meeting_id, participant_id)
    return browser, connect(browser, meeting_id)


def test_logout_closes_the_socket(client: TestClient, running: dict[str, Any]) -> None:
    browser, peer = console(client, "chair", running["id"])
    assert browser.delete("/api/session").status_code == 200
    assert closed_with(peer) == 4401


def test_sign_out_everywhere_closes_every_socket(client: TestClient, running: dict[str, Any]) -> None:
    browser, peer = console(client, "chair", running["id"])
    _laptop, other = console(client, "chair", running["id"])
    assert browser.delete("/api/sessions").json() == {"ended": 2}
    assert closed_with(peer) == 4401 and closed_with(other) == 4401


def test_changing_ones_password_closes_the_other_sessions(
    client: TestClient, running: dict[str, Any]
) -> None:
    browser, peer = console(client, "chair", running["id"])
    _laptop, other = console(client, "chair", running["id"])
    r = browser.put(
        "/api/session/password",
        json={"current_password": "sai-mat-khau-9", "new_password": "mat-khau-moi-2027"},
    )
    assert r.status_code == 403 and code_of(r) == "password_wrong"
    r = browser.put(
        "/api/session/password", json={"current_password": PASSWORD, "new_password": "mat-khau-moi-2027"}
    )
    assert r.json() == {"ended": 1}
    assert closed_with(other) == 4401
    assert peer.call("ping")["ok"]  # this one stays
    assert attempt(companion(client), "chair", "mat-khau-moi-2027")[0] == 200


def test_an_administrators_reset_closes_every_session(
    client: TestClient, world: World, running: dict[str, Any]
) -> None:
    _browser, peer = console(client, "chair", running["id"])
    admin = companion(client)
    login(admin, "admin")
    r = admin.post(f"/api/users/{world.users['chair']}/password", json={"password": "mat-khau-moi-2027"})
    assert r.json() == {"ended": 1}
    assert closed_with(peer) == 4401
    assert attempt(companion(client), "chair", PASSWORD)[0] == 401


def test_deactivation_closes_the_socket(client: TestClient, world: World, running: dict[str, Any]) -> None:
    _browser, peer = console(client, "chair", running["id"])
    admin = companion(client)
    login(admin, "admin")
    assert admin.patch(f"/api/users/{world.users['chair']}", json={"active": False}).status_code == 200
    assert closed_with(peer) == 4401


def test_a_role_change_makes_the_socket_reconnect(
    client: TestClient, world: World, running: dict[str, Any]
) -> None:
    _browser, peer = console(client, "office", running["id"])
    admin = companion(client)
    login(admin, "admin")
    assert admin.patch(f"/api/users/{world.users['office']}", json={"role": "member"}).status_code == 200
    assert closed_with(peer) == 4412


def test_removal_from_the_meeting_closes_the_tablet(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid, delegate = meeting["id"], pid(meeting, 4)
    _tablet, peer = joined(client, office, mid, delegate)
    assert office.delete(f"/api/meetings/{mid}/participants/{delegate}").status_code == 200
    assert closed_with(peer) == 4403


# -- a flood of commands is refused, the connection stays ------------------------------------------------


def test_a_flood_of_commands_is_refused_without_closing(
    client: TestClient, office: TestClient, running: dict[str, Any]
) -> None:
    mid = running["id"]
    _tablet, peer = joined(client, office, mid, pid(running, 2))
    ids = [peer.send("speaker.request" if n % 2 == 0 else "speaker.withdraw") for n in range(300)]
    results = [peer.result(i) for i in ids]
    refused = [r for r in results if not r["ok"] and r["error"]["code"] == "command_rate_limited"]
    assert len(refused) >= 300 - 30 - 100  # a burst of 30, then 10 a second: most refused
    assert len(results) - len(refused) >= 30  # the burst went through
    assert not peer.closed


# -- the meeting's end ends the tablets that joined without an account --------------------------------


def test_the_meetings_end_ends_the_tablets_without_an_account(
    client: TestClient, office: TestClient, running: dict[str, Any]
) -> None:
    mid = running["id"]
    delegate, delegate_peer = joined(client, office, mid, pid(running, 2))
    waiting = companion(client)
    r = waiting.post("/api/join", json={"code": running["join_code"], "participant_id": pid(running, 3)})
    assert r.status_code == 202, r.text
    chair_tablet = companion(client)
    join_tablet(chair_tablet, office, mid, pid(running, 0))  # signed in with the chair's account
    chair_peer = connect(chair_tablet, mid)
    secretary, console_peer = console(client, "secretary", mid)

    assert secretary.post(f"/api/meetings/{mid}/actions/close").status_code == 200
    # the tablet is told the meeting ended, then closed
    seen, code = frames_until_closed(delegate_peer)
    assert code == 4411 and seen[-1] == "meeting.closed"
    r = delegate.get("/api/session")
    assert r.status_code == 401 and code_of(r) == "meeting_ended"
    assert code_of(waiting.get("/api/session")) == "meeting_ended"
    # a reconnect is refused with the same code, so an offline tablet learns why too
    again = Peer(delegate, mid)
    assert closed_with(again) == 4411
    # the tablet's page requests end with it
    assert delegate.get(f"/api/meetings/{mid}/documents").status_code == 401
    # accounts keep their sessions: the chair's tablet and the secretary's console
    assert chair_peer.call("ping")["ok"] and console_peer.call("ping")["ok"]
    assert chair_tablet.get("/api/session").status_code == 200
    assert "meeting.closed" in [e["type"] for e in chair_peer.events]
    assert [d["participant_id"] for d in office.get(f"/api/meetings/{mid}/devices").json()["devices"]] == [
        pid(running, 0)
    ]


def test_a_cancelled_meeting_ends_its_tablets_too(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    delegate, peer = joined(client, office, mid, pid(meeting, 2))
    assert office.post(f"/api/meetings/{mid}/actions/cancel").status_code == 200
    seen, code = frames_until_closed(peer)
    assert code == 4411 and seen[-1] == "meeting.cancelled"
    assert code_of(delegate.get("/api/session")) == "meeting_ended"


def test_the_qr_on_an_invitation_opens_that_delegates_personal_link(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid, delegate = meeting["id"], pid(meeting, 3)
    r = office.get(f"/api/meetings/{mid}/participants/{delegate}/personal-qr.svg")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.headers["cache-control"] == "private, no-store"
    code = personal_code(office, mid, delegate)
    link = f"http://testserver/tablet/#join={meeting['join_code']}&personal={code}"
    assert r.content == segno_svg(link)
    assert r.content != segno_svg(link.replace(meeting["join_code"], "XXXXXXXX"))
    r = office.get(f"/api/meetings/{mid}/participants/999999/personal-qr.svg")
    assert r.status_code == 404 and code_of(r) == "participant_not_found"
    # a delegate's tablet may not print the others' codes
    tablet = companion(client)
    r = tablet.post(
        "/api/join",
        json={"code": meeting["join_code"], "personal_code": code},
    )
    assert r.status_code == 200, r.text
    r = tablet.get(f"/api/meetings/{mid}/participants/{pid(meeting, 2)}/personal-qr.svg")
    assert r.status_code == 403 and code_of(r) == "secretary_required"


def segno_svg(text: str) -> bytes:
    """The QR code of ``text`` as the server draws it (scale 6, error correction M)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", xmldecl=False, scale=6, border=2)
    return buffer.getvalue()
