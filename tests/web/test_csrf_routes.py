"""Every state-changing route checks CSRF and Origin (issue #22, point 2), found from the
app's routing table: a route added tomorrow is covered without touching this file."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from phonghop.web.csrf import CSRF_EXEMPT
from tests.factories import PASSWORD, companion, personal_code
from tests.realtime.helpers import Room

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
FOREIGN = "http://evil.example"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The checks come before any database work: one database is enough."""
    return sqlite_url


def routes_of(app: Any) -> list[BaseRoute]:
    while not hasattr(app, "routes"):
        app = app.app
    found: list[BaseRoute] = []
    for route in app.routes:
        found.append(route)
        if isinstance(route, Mount):
            found += routes_of(route.app) if hasattr(route.app, "routes") else []
    return found


def state_changing(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every route that takes POST, PUT, PATCH or DELETE."""
    return sorted(
        (method, route.path)
        for route in routes_of(client.app)
        if isinstance(route, Route)
        for method in route.methods or ()
        if method in UNSAFE
    )


def concrete(template: str, meeting_id: int) -> str:
    """A real path for ``template``: the room's meeting, small ids, a plausible word."""
    path = template.replace("{meeting_id:int}", str(meeting_id))
    path = re.sub(r"{\w+:int}", "1", path)
    return re.sub(r"{\w+(:\w+)?}", "start", path)


def error_code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "params"}, body
    code: str = body["error"]["code"]
    return code


def test_every_state_changing_route_refuses_a_session_without_its_csrf_token_or_from_another_origin(
    room: Room,
) -> None:
    office = room.office
    token = office.headers["X-CSRF-Token"]
    routes = state_changing(office)
    assert len(routes) >= 70, routes  # the whole API, not a part of it
    no_token, foreign = [], []
    for method, template in routes:
        path = concrete(template, room.id)
        bare = office.request(method, path, headers={"X-CSRF-Token": ""}, json={})
        if (method, template) not in CSRF_EXEMPT:
            no_token.append((method, template, bare.status_code, error_code(bare)))
        r = office.request(method, path, headers={"X-CSRF-Token": token, "Origin": FOREIGN}, json={})
        foreign.append((method, template, r.status_code, error_code(r)))
    assert [x for x in no_token if x[2:] != (403, "csrf_failed")] == []
    assert [x for x in foreign if x[2:] != (403, "origin_not_allowed")] == []
    # The refusals changed nothing: the meeting is as it was, the office still signed in.
    r = office.get(f"/api/meetings/{room.id}")
    assert r.status_code == 200 and r.json()["state"] == "in_progress"


def test_a_wrong_csrf_token_is_refused_by_the_method_the_request_really_has(room: Room) -> None:
    """The token is compared for the request's own method: no endpoint names it (a
    forgotten name once meant GET, which skips the check)."""
    office = room.office
    pid = room.meeting["participants"][4]["id"]
    wrong = {"X-CSRF-Token": "x" * 32}
    for method, path in [
        ("POST", f"/api/meetings/{room.id}/actions/pause"),
        ("DELETE", f"/api/meetings/{room.id}/join-code"),
        ("DELETE", f"/api/meetings/{room.id}/participants/{pid}"),
        ("DELETE", "/api/sessions"),
    ]:
        r = office.request(method, path, headers=wrong)
        assert (r.status_code, error_code(r)) == (403, "csrf_failed"), (method, path)
    detail = office.get(f"/api/meetings/{room.id}").json()
    assert detail["state"] == "in_progress" and detail["join_code"]
    assert pid in [p["id"] for p in detail["participants"]]


def test_every_route_allowed_without_a_csrf_token_exists_and_still_needs_it(room: Room) -> None:
    """The allow-list holds only what must be there: each entry is a state-changing route
    of the app, and it is used with a session cookie whose token the client does not have
    (a browser or tablet signing in again over a stale session)."""
    routes = state_changing(room.office)
    assert sorted(CSRF_EXEMPT) == sorted(e for e in CSRF_EXEMPT if e in routes)
    used = set()
    stale = companion(room.base)
    stale.cookies.set("phonghop_session", "expired.session")
    r = stale.post("/api/session", json={"username": "office", "password": PASSWORD})
    assert r.status_code == 200, r.text
    used.add(("POST", "/api/session"))
    tablet = companion(room.base)
    tablet.cookies.set("phonghop_session", "expired.session")
    participant = room.meeting["participants"][2]["id"]
    code = room.office.get(f"/api/meetings/{room.id}").json()["join_code"]
    body = {
        "code": code,
        "participant_id": participant,
        "personal_code": personal_code(room.office, room.id, participant),
    }
    r = tablet.post("/api/join", json=body)
    assert r.status_code == 200, r.text
    used.add(("POST", "/api/join"))
    made = room.office.post(f"/api/meetings/{room.id}/display-links", json={})
    assert made.status_code == 201, made.text
    projector = companion(room.base)
    projector.cookies.set("phonghop_session", "expired.session")
    r = projector.post("/api/display/open", json={"token": made.json()["url"].rsplit("/", 1)[1]})
    assert r.status_code == 200, r.text
    used.add(("POST", "/api/display/open"))
    assert used == set(CSRF_EXEMPT), "test the new entry here, or take it off the list"
    # An allowed route still needs an allowed Origin.
    r = stale.post(
        "/api/session", json={"username": "office", "password": PASSWORD}, headers={"Origin": FOREIGN}
    )
    assert (r.status_code, error_code(r)) == (403, "origin_not_allowed")
