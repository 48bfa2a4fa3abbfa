"""The room display's link (issue 21): a projector without a signed-in browser, read-only,
never a classified page, closed when its link is revoked or the meeting ends."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from phonghop.app import create_app
from phonghop.config import Settings
from tests.factories import (
    World,
    blank_pdf,
    companion,
    join_tablet,
    login,
    prepared_meeting,
    upload_document,
)
from tests.realtime.helpers import Peer


@pytest.fixture
def client(settings: Settings, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


_open: list[Peer] = []


@pytest.fixture(autouse=True)
def _close_peers(client: TestClient) -> Iterator[None]:
    yield
    while _open:
        with contextlib.suppress(Exception):
            _open.pop().close()


def code_of(response: Any) -> str:
    value: str = response.json()["error"]["code"]
    return value


def make_link(staff: TestClient, meeting_id: int, label: str = "Máy chiếu hội trường") -> dict[str, Any]:
    r = staff.post(f"/api/meetings/{meeting_id}/display-links", json={"label": label})
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


def token_of(made: dict[str, Any]) -> str:
    url: str = made["url"]
    assert "/room/#/display/" in url
    return url.rsplit("/", 1)[1]


def open_display(client: TestClient, made: dict[str, Any]) -> TestClient:
    """A fresh browser (no cookies) that opened the link."""
    display = companion(client)
    r = display.post("/api/display/open", json={"token": token_of(made)})
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "display"
    return display


def connect(client: TestClient, meeting_id: int) -> Peer:
    peer = Peer(client, meeting_id)
    _open.append(peer)
    peer.hello()
    return peer


def closed_with(peer: Peer) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            peer.ws.receive_json()
    with contextlib.suppress(Exception):
        peer.close()
    return closed.value.code


def test_the_office_makes_lists_and_revokes_links(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    made = make_link(office, mid)
    assert made["link"]["label"] == "Máy chiếu hội trường" and made["link"]["active"] is True
    assert made["link"]["created_by"]  # who made it
    assert base64.b64decode(made["qr_svg_base64"]).lstrip().startswith(b"<svg")
    # the token is shown once: the list has when and by whom, never the token or its hash
    listed = office.get(f"/api/meetings/{mid}/display-links").json()["links"]
    assert [link["id"] for link in listed] == [made["link"]["id"]]
    assert token_of(made) not in str(listed) and "token" not in str(listed)
    r = office.post(f"/api/meetings/{mid}/display-links/{made['link']['id']}/revoke")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["revoked_at"]
    assert office.get(f"/api/meetings/{mid}/display-links").json()["links"][0]["active"] is False
    # a revoked link opens nothing, and says why
    r = companion(client).post("/api/display/open", json={"token": token_of(made)})
    assert r.status_code == 401 and code_of(r) == "display_link_revoked"


def test_a_delegate_may_not_make_links(client: TestClient, meeting: dict[str, Any]) -> None:
    member = companion(client)
    login(member, "member1")
    r = member.post(f"/api/meetings/{meeting['id']}/display-links", json={})
    assert r.status_code == 403 and code_of(r) == "secretary_required"
    assert member.get(f"/api/meetings/{meeting['id']}/display-links").status_code == 403


def test_the_secretary_makes_links_from_the_console(client: TestClient, meeting: dict[str, Any]) -> None:
    secretary = companion(client)
    login(secretary, "secretary")
    assert make_link(secretary, meeting["id"], "")["link"]["active"] is True


def test_a_display_reads_the_meeting_and_changes_nothing(
    client: TestClient, office: TestClient, meeting: dict[str, Any], world: World
) -> None:
    mid = meeting["id"]
    display = open_display(client, make_link(office, mid))
    session = display.get("/api/session").json()
    assert session["meeting_id"] == mid and "participant" not in session and "user" not in session
    assert display.get(f"/api/meetings/{mid}/documents").status_code == 200
    # everything else is refused, reads included (participants' details, polls, codes)
    for path in (f"/api/meetings/{mid}", f"/api/meetings/{mid}/polls", f"/api/meetings/{mid}/personal-codes"):
        r = display.get(path)
        assert r.status_code == 403 and code_of(r) == "display_read_only", path
    display.headers["X-CSRF-Token"] = session["csrf_token"]
    r = display.post(f"/api/meetings/{mid}/display-links", json={})
    assert r.status_code == 403 and code_of(r) == "display_read_only"
    # another meeting does not exist for it
    other = prepared_meeting(office, world)["id"]
    assert code_of(display.get(f"/api/meetings/{other}/documents")) == "meeting_not_found"


def test_the_display_socket_refuses_every_command(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    display = open_display(client, make_link(office, mid))
    peer = connect(display, mid)
    peer.sync()
    assert peer.snapshots and peer.snapshots[-1]["data"]["me"]["controller"] is False
    for kind, fields in [
        ("speaker.request", {}),
        ("announcement.make", {"text": "x"}),
        ("viewer.report", {"document_id": None, "page": None, "following": True}),
    ]:
        reply = peer.call(kind, **fields)
        assert reply["ok"] is False and reply["error"]["code"] == "display_read_only", kind
    assert peer.call("ping")["ok"] is True


def test_a_display_is_not_counted_among_the_tablets(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    console = connect(office, mid)
    connect(open_display(client, make_link(office, mid)), mid).sync()
    tablet = companion(client)
    join_tablet(tablet, office, mid, meeting["participants"][2]["id"])
    delegate = connect(tablet, mid)
    assert delegate.call("viewer.report", document_id=None, page=None, following=False)["ok"]
    while True:  # the summaries sent once the delegate's report counts (one is always sent)
        frame = console.ws.receive_json()
        data = frame.get("data") or {}
        if frame.get("type") == "viewer.summary" and data["connected"] > data["following"]:
            break
    assert data == {"connected": 1, "following": 0, "on_presenter_page": 0}


def test_a_display_never_gets_a_classified_page(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    public = upload_document(office, mid, blank_pdf(2), title="Tờ trình")
    secret = upload_document(office, mid, blank_pdf(2), title="Đề án nhân sự", classification="secret")
    display = open_display(client, make_link(office, mid))
    listed = {d["id"]: d for d in display.get(f"/api/meetings/{mid}/documents").json()["documents"]}
    assert listed[public["id"]]["title"] == "Tờ trình"
    # the classified one: known to exist (the presenter may show it), never its title
    assert listed[secret["id"]] == {
        "id": secret["id"],
        "meeting_id": mid,
        "withheld": True,
        "classified": True,
    }
    assert display.get(f"/api/versions/{public['version']['id']}/pages/1?w=320").status_code == 200
    r = display.get(f"/api/versions/{secret['version']['id']}/pages/1?w=320")
    assert r.status_code == 403 and code_of(r) == "display_document_withheld"
    r = display.get(f"/api/versions/{public['version']['id']}/download")
    assert r.status_code == 403 and code_of(r) == "display_read_only"


def test_revoking_the_link_closes_the_display(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    made = make_link(office, mid)
    display = open_display(client, made)
    peer = connect(display, mid)
    assert office.post(f"/api/meetings/{mid}/display-links/{made['link']['id']}/revoke").status_code == 200
    assert closed_with(peer) == 4409
    r = display.get("/api/session")
    assert r.status_code == 401 and code_of(r) == "display_link_revoked"


def test_the_display_ends_with_the_meeting(
    client: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    made = make_link(office, mid)
    display = open_display(client, made)
    assert office.post(f"/api/meetings/{mid}/actions/start").status_code == 200
    peer = connect(display, mid)
    assert office.post(f"/api/meetings/{mid}/actions/close").status_code == 200
    assert closed_with(peer) == 4411
    r = display.get("/api/session")
    assert r.status_code == 401 and code_of(r) == "meeting_ended"
    r = companion(client).post("/api/display/open", json={"token": token_of(made)})
    assert r.status_code == 401 and code_of(r) == "meeting_ended"


def test_guessing_tokens_is_throttled(client: TestClient) -> None:
    guesser = companion(client)
    codes = [
        guesser.post("/api/display/open", json={"token": f"not-a-real-token-{i:04d}"}).status_code
        for i in range(12)
    ]
    assert codes[0] == 404 and codes[-1] == 429
