"""The meeting-preparation API as the office, secretary and tablets use it."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from phonghop.config import Settings
from tests.factories import PASSWORD, World, login, new_meeting, personal_code, prepared_meeting


def error_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "params"}
    assert body["error"]["message"] and not body["error"]["message"].startswith("error.")
    return body["error"]  # type: ignore[no-any-return]


def test_office_prepares_and_runs_a_meeting(client: TestClient, world: World) -> None:
    login(client, "office")
    meeting = prepared_meeting(client, world)
    assert meeting["state"] == "scheduled"
    assert re.fullmatch(r"[A-Z2-9]{8}", meeting["join_code"])
    assert [p["role"] for p in meeting["participants"]] == [
        "chair",
        "secretary",
        "delegate",
        "delegate",
        "delegate",
    ]
    assert [i["title"] for i in meeting["agenda"]] == [
        "Tờ trình kế hoạch năm 2027",
        "Báo cáo giải ngân vốn đầu tư công",
    ]

    listed = client.get("/api/meetings").json()
    assert listed["total"] == 1 and listed["meetings"][0]["id"] == meeting["id"]

    mid = meeting["id"]
    for action, state in [
        ("start", "in_progress"),
        ("pause", "paused"),
        ("resume", "in_progress"),
        ("close", "closed"),
    ]:
        r = client.post(f"/api/meetings/{mid}/actions/{action}")
        assert r.status_code == 200, r.text
        assert r.json()["state"] == state
    # A closed meeting is final.
    r = client.post(f"/api/meetings/{mid}/actions/start")
    assert r.status_code == 409
    assert error_of(r)["code"] == "meeting_transition_invalid"


def test_illegal_transition_is_explained_in_both_languages(client: TestClient, world: World) -> None:
    login(client, "office")
    mid = new_meeting(client)["id"]
    r = client.post(f"/api/meetings/{mid}/actions/close")
    assert r.status_code == 409
    err = error_of(r)
    assert err["code"] == "meeting_transition_invalid"
    assert "draft" in str(err["message"]) and "Cuộc họp" in str(err["message"])
    r = client.post(f"/api/meetings/{mid}/actions/close", headers={"Accept-Language": "en"})
    assert error_of(r)["message"] == "The meeting is “draft”; “close” is not possible."


def test_agenda_sub_items_and_reorder(client: TestClient, world: World) -> None:
    login(client, "office")
    mid = new_meeting(client)["id"]
    a = client.post(f"/api/meetings/{mid}/agenda", json={"title": "Nội dung 1"}).json()
    b = client.post(f"/api/meetings/{mid}/agenda", json={"title": "Nội dung 2", "planned_minutes": 30}).json()
    sub = client.post(f"/api/meetings/{mid}/agenda", json={"title": "Mục con", "parent_id": a["id"]}).json()
    r = client.post(f"/api/meetings/{mid}/agenda", json={"title": "Cháu", "parent_id": sub["id"]})
    assert r.status_code == 422 and error_of(r)["code"] == "agenda_too_deep"

    r = client.put(f"/api/meetings/{mid}/agenda/order", json={"order": [b["id"], a["id"]]})
    assert r.status_code == 200, r.text
    agenda = r.json()["agenda"]
    assert [i["id"] for i in agenda] == [b["id"], a["id"]]
    assert agenda[1]["children"][0]["title"] == "Mục con"
    # A stale order that forgets an item is refused rather than dropping it.
    r = client.put(f"/api/meetings/{mid}/agenda/order", json={"order": [a["id"]]})
    assert r.status_code == 422 and error_of(r)["code"] == "agenda_order_mismatch"


def test_roll_call_records_absence_with_reason(client: TestClient, world: World) -> None:
    login(client, "office")
    meeting = prepared_meeting(client, world)
    mid, pid = meeting["id"], meeting["participants"][2]["id"]
    r = client.put(
        f"/api/meetings/{mid}/participants/{pid}/attendance",
        json={"attendance": "absent", "reason": "Đi công tác"},
    )
    assert r.status_code == 200 and r.json()["absence_reason"] == "Đi công tác"
    r = client.put(
        f"/api/meetings/{mid}/participants/{pid}/attendance", json={"attendance": "present", "reason": "x"}
    )
    assert r.status_code == 422 and error_of(r)["code"] == "absence_reason_without_absence"


def test_delegate_cannot_edit_the_agenda(client: TestClient, world: World, settings: Settings) -> None:
    login(client, "office")
    meeting = prepared_meeting(client, world)
    mid = meeting["id"]
    with TestClient(client.app) as member:
        login(member, "member1")
        # The member sees the meeting they take part in...
        assert member.get(f"/api/meetings/{mid}").status_code == 200
        # ...but preparing it is the office's work.
        r = member.post(f"/api/meetings/{mid}/agenda", json={"title": "Chen ngang"})
        assert r.status_code == 403 and error_of(r)["code"] == "office_required"
        r = member.post(f"/api/meetings/{mid}/actions/start")
        assert r.status_code == 403 and error_of(r)["code"] == "secretary_required"
    with TestClient(client.app) as secretary:
        login(secretary, "secretary")
        assert secretary.post(f"/api/meetings/{mid}/actions/start").json()["state"] == "in_progress"
        # During the meeting the secretary may add an item; tablets will see it.
        r = secretary.post(f"/api/meetings/{mid}/agenda", json={"title": "Nội dung phát sinh"})
        assert r.status_code == 201, r.text


def test_tablet_joins_with_code_and_sees_only_its_meeting(client: TestClient, world: World) -> None:
    login(client, "office")
    meeting = prepared_meeting(client, world)
    second = prepared_meeting(client, world)
    code = meeting["join_code"]
    delegate = meeting["participants"][2]
    with TestClient(client.app) as tablet:
        info = tablet.get(f"/api/join/{code.lower()}")
        assert info.status_code == 200
        assert [p["full_name"] for p in info.json()["participants"]][2] == delegate["full_name"]
        # A participant of another meeting cannot be claimed with this code.
        r = tablet.post("/api/join", json={"code": code, "participant_id": second["participants"][2]["id"]})
        assert r.status_code == 403 and error_of(r)["code"] == "join_participant_mismatch"
        proof = personal_code(client, meeting["id"], delegate["id"])
        r = tablet.post(
            "/api/join", json={"code": code, "participant_id": delegate["id"], "personal_code": proof}
        )
        assert r.status_code == 200, r.text
        assert r.json()["kind"] == "tablet" and r.json()["meeting_id"] == meeting["id"]
        tablet.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        assert tablet.get(f"/api/meetings/{meeting['id']}").json()["my_role"] == "delegate"
        r = tablet.get(f"/api/meetings/{second['id']}")
        assert r.status_code == 404 and error_of(r)["code"] == "meeting_not_found"
        assert [m["id"] for m in tablet.get("/api/meetings").json()["meetings"]] == [meeting["id"]]
        # The tablet does not learn the join code (it cannot hand it on from the API).
        assert "join_code" not in tablet.get(f"/api/meetings/{meeting['id']}").json()


def test_join_code_reissue_and_revoke(client: TestClient, world: World) -> None:
    login(client, "office")
    meeting = prepared_meeting(client, world)
    mid, old = meeting["id"], meeting["join_code"]
    new = client.post(f"/api/meetings/{mid}/join-code").json()["join_code"]
    assert new != old
    assert client.get(f"/api/join/{old}").json()["error"]["code"] == "join_code_invalid"
    assert client.get(f"/api/join/{new}").status_code == 200
    qr = client.get(f"/api/meetings/{mid}/join-qr.svg")
    assert (
        qr.status_code == 200
        and qr.headers["content-type"].startswith("image/svg+xml")
        and b'xmlns="http://www.w3.org/2000/svg"' in qr.content
    )
    assert client.delete(f"/api/meetings/{mid}/join-code").json() == {"join_code": None}
    assert client.get(f"/api/join/{new}").status_code == 404
    assert client.get(f"/api/meetings/{mid}/join-qr.svg").json()["error"]["code"] == "join_code_not_issued"


def test_join_list_is_revalidated_and_follows_the_meeting(client: TestClient, world: World) -> None:
    """A tablet asking again gets 304 until the list changes; a change shows at once."""
    login(client, "office")
    meeting = prepared_meeting(client, world)
    mid, code = meeting["id"], meeting["join_code"]
    first = client.get(f"/api/join/{code}")
    etag = first.headers["etag"]
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    again = client.get(f"/api/join/{code}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # The same list under the code typed in lower case.
    assert client.get(f"/api/join/{code.lower()}", headers={"If-None-Match": etag}).status_code == 304

    r = client.post(
        f"/api/meetings/{mid}/participants", json={"full_name": "Đại biểu Mới", "role": "delegate"}
    )
    assert r.status_code == 201, r.text
    changed = client.get(f"/api/join/{code}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "Đại biểu Mới" in [p["full_name"] for p in changed.json()["participants"]]

    client.delete(f"/api/meetings/{mid}/join-code")
    assert (
        client.get(f"/api/join/{code}", headers={"If-None-Match": changed.headers["etag"]}).status_code == 404
    )


def test_bodies_do_not_see_each_other(client: TestClient, world: World) -> None:
    login(client, "office")
    mid = new_meeting(client)["id"]
    with TestClient(client.app) as other:
        login(other, "other_office")
        r = other.get(f"/api/meetings/{mid}")
        assert r.status_code == 404 and error_of(r)["code"] == "meeting_not_found"
        assert other.patch(f"/api/meetings/{mid}", json={"title": "x"}).status_code == 404
        assert other.get("/api/meetings").json() == {"meetings": [], "total": 0}


def test_login_logout_and_wrong_password(client: TestClient, world: World) -> None:
    r = client.post("/api/session", json={"username": "office", "password": "sai-mat-khau"})
    assert r.status_code == 401 and error_of(r)["code"] == "login_failed"
    r = client.post("/api/session", json={"username": "nobody", "password": PASSWORD})
    assert r.status_code == 401 and error_of(r)["code"] == "login_failed"
    # An account without a password (a delegate) cannot log in with any password.
    r = client.post("/api/session", json={"username": "member2", "password": ""})
    assert r.status_code == 422
    login(client, "office")
    cookie = client.cookies.get("phonghop_session")
    assert cookie and "." in cookie
    assert client.get("/api/session").json()["user"]["username"] == "office"
    assert client.delete("/api/session").status_code == 200
    client.cookies.clear()
    client.cookies.set("phonghop_session", cookie)  # replaying the old cookie
    r = client.get("/api/session")
    assert r.status_code == 401 and error_of(r)["code"] == "session_expired"


def test_session_cookie_is_signed_and_http_only(client: TestClient, world: World) -> None:
    r = client.post("/api/session", json={"username": "office", "password": PASSWORD})
    header = r.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header
    token, _sig = client.cookies["phonghop_session"].rsplit(".", 1)
    client.cookies.clear()
    client.cookies.set("phonghop_session", token + ".forged")
    assert client.get("/api/session").json()["error"]["code"] == "not_authenticated"


def test_csrf_and_origin_are_checked_on_changes(client: TestClient, world: World) -> None:
    login(client, "office")
    del client.headers["X-CSRF-Token"]
    r = client.post("/api/meetings", json={"title": "x", "starts_at": "2026-12-01T08:00:00+07:00"})
    assert r.status_code == 403 and error_of(r)["code"] == "csrf_failed"
    r = client.post(
        "/api/meetings",
        json={"title": "x", "starts_at": "2026-12-01T08:00:00+07:00"},
        headers={"X-CSRF-Token": "wrong"},
    )
    assert error_of(r)["code"] == "csrf_failed"
    token = client.get("/api/session").json()["csrf_token"]
    r = client.post(
        "/api/meetings",
        json={"title": "x", "starts_at": "2026-12-01T08:00:00+07:00"},
        headers={"X-CSRF-Token": token, "Origin": "http://evil.example"},
    )
    assert r.status_code == 403 and error_of(r)["code"] == "origin_not_allowed"
    r = client.post(
        "/api/meetings",
        json={"title": "x", "starts_at": "2026-12-01T08:00:00+07:00"},
        headers={"X-CSRF-Token": token, "Origin": "http://testserver"},
    )
    assert r.status_code == 201
    r = client.post(
        "/api/session",
        json={"username": "office", "password": PASSWORD},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 403


BAD_BODIES = [
    ("POST", "/api/meetings", {}, "invalid_input"),
    ("POST", "/api/meetings", {"title": "x"}, "invalid_input"),
    ("POST", "/api/meetings", {"title": 5, "starts_at": "2026-12-01T08:00:00+07:00"}, "invalid_input"),
    ("POST", "/api/meetings", {"title": "x", "starts_at": "hôm qua"}, "invalid_input"),
    ("POST", "/api/meetings", {"title": "x", "starts_at": "2026-12-01T08:00:00"}, "invalid_input"),
    (
        "POST",
        "/api/meetings",
        {"title": "x", "starts_at": "2026-12-01T08:00:00+07:00", "typo": 1},
        "invalid_input",
    ),
    (
        "POST",
        "/api/meetings",
        {"title": "  ", "starts_at": "2026-12-01T08:00:00+07:00"},
        "meeting_title_and_start_required",
    ),
    (
        "POST",
        "/api/meetings",
        {"title": "x", "starts_at": "2026-12-01T08:00:00+07:00", "ends_at": "2026-12-01T07:00:00+07:00"},
        "meeting_ends_before_start",
    ),
    ("PATCH", "{m}", {"classification": "bí mật"}, "invalid_input"),
    ("POST", "{m}/participants", {"role": "president", "full_name": "A"}, "invalid_input"),
    ("POST", "{m}/participants", {"role": "delegate"}, "participant_name_required"),
    ("POST", "{m}/participants", {"user_id": 99999}, "user_not_found"),
    (
        "POST",
        "{m}/participants",
        {"full_name": "Khách", "role": "guest", "voting_member": True},
        "guest_cannot_vote",
    ),
    ("PATCH", "{m}/participants/99999", {"title": "x"}, "participant_not_found"),
    ("DELETE", "{m}/participants/99999", None, "participant_not_found"),
    ("PUT", "{m}/participants/99999/attendance", {"attendance": "present"}, "participant_not_found"),
    ("PUT", "{m}/participants/1/attendance", {"attendance": "maybe"}, "invalid_input"),
    ("POST", "{m}/agenda", {"title": ""}, "agenda_title_required"),
    ("POST", "{m}/agenda", {"title": "x", "planned_minutes": -5}, "invalid_input"),
    ("POST", "{m}/agenda", {"title": "x", "parent_id": 99999}, "agenda_item_not_found"),
    ("PATCH", "{m}/agenda/99999", {"title": "x"}, "agenda_item_not_found"),
    ("DELETE", "{m}/agenda/99999", None, "agenda_item_not_found"),
    ("PUT", "{m}/agenda/order", {"order": "1,2"}, "invalid_input"),
    ("POST", "{m}/actions/explode", None, "action_not_found"),
    ("GET", "/api/meetings/99999", None, "meeting_not_found"),
    ("PATCH", "/api/meetings/99999", {"title": "x"}, "meeting_not_found"),
    ("POST", "/api/meetings/99999/actions/start", None, "meeting_not_found"),
    ("POST", "/api/meetings/99999/agenda", {"title": "x"}, "meeting_not_found"),
    ("GET", "/api/meetings?state=nonsense", None, "invalid_query"),
    ("GET", "/api/meetings?limit=abc", None, "invalid_query"),
    ("GET", "/api/meetings/abc", None, "route_not_found"),
    ("GET", "/api/nothing-here", None, "route_not_found"),
    ("POST", "/api/users", {"username": "x y", "full_name": "A"}, "username_invalid"),
    ("POST", "/api/users", {"username": "office", "full_name": "A"}, "admin_required"),
]


@pytest.mark.parametrize(("method", "path", "body", "code"), BAD_BODIES)
def test_bad_input_gets_the_error_shape_never_a_500(
    client: TestClient, world: World, method: str, path: str, body: object, code: str
) -> None:
    login(client, "admin" if path == "/api/users" and code == "username_invalid" else "office")
    mid = new_meeting(client)["id"]
    url = path.replace("{m}", f"/api/meetings/{mid}")
    r = client.request(method, url, json=body) if body is not None else client.request(method, url)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert error_of(r)["code"] == code


def test_raw_garbage_bodies(client: TestClient, world: World) -> None:
    login(client, "office")
    r = client.post("/api/meetings", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and error_of(r)["code"] == "invalid_json"
    r = client.post("/api/meetings", content=b"[1,2]", headers={"Content-Type": "application/json"})
    assert error_of(r)["code"] == "invalid_json"
    r = client.post("/api/meetings", content=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert error_of(r)["code"] == "invalid_json"
    r = client.post(
        "/api/meetings", content=b"title=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 415 and error_of(r)["code"] == "json_required"
    r = client.post(
        "/api/meetings", content=b"{" + b" " * 300_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and error_of(r)["code"] == "body_too_large"


def test_unauthenticated_requests_are_refused(client: TestClient, world: World) -> None:
    for method, path in [
        ("GET", "/api/meetings"),
        ("POST", "/api/meetings"),
        ("GET", "/api/meetings/1"),
        ("GET", "/api/session"),
        ("GET", "/api/users"),
    ]:
        r = client.request(method, path, json={} if method == "POST" else None)
        assert r.status_code in (401, 422), (path, r.text)
        if r.status_code == 401:
            assert error_of(r)["code"] == "not_authenticated"


def test_admin_creates_users_with_password_rules(client: TestClient, world: World) -> None:
    login(client, "admin")
    r = client.post(
        "/api/users",
        json={"username": "thuky2", "full_name": "Thư ký Hai", "role": "member", "password": "ngan"},
    )
    assert r.status_code == 422 and error_of(r)["code"] == "password_too_short"
    r = client.post(
        "/api/users",
        json={"username": "thuky2", "full_name": "Thư ký Hai", "role": "member", "password": "abcdefghijkl"},
    )
    assert error_of(r)["code"] == "password_too_simple"
    r = client.post(
        "/api/users",
        json={"username": "Thuky2", "full_name": "Thư ký Hai", "role": "member", "password": "thu-ky-2026"},
    )
    assert r.status_code == 201 and r.json()["username"] == "thuky2"
    r = client.post("/api/users", json={"username": "thuky2", "full_name": "X"})
    assert r.status_code == 409 and error_of(r)["code"] == "username_taken"
    assert "thuky2" in [u["username"] for u in client.get("/api/users").json()["users"]]


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["checks"] == {"database": "ok"}
