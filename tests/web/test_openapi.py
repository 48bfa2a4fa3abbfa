"""``/api/openapi.json`` (issue #18): generated from the code, complete, and in step with
docs/api.md (and the endpoints docs/protocol.md describes); the success bodies it
describes are the ones the server sends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.routing import Route
from starlette.testclient import TestClient

from phonghop.config import Settings
from tests.factories import PASSWORD, companion, join_tablet, login, new_meeting, seed_world

DOCS = Path(__file__).resolve().parents[2] / "docs"
_DOC_OP = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/api/[^\s`?)\[]+)")


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile(
        "^" + "/".join("[^/]+" if "{" in part else re.escape(part) for part in path.split("/")) + "$"
    )


def test_the_description_covers_every_route_with_its_body_schemas(client: TestClient) -> None:
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"] == "3.1.0"
    app = client.app
    while not hasattr(app, "routes"):
        app = app.app  # type: ignore[attr-defined]
    served = {
        (method.lower(), re.sub(r"{(\w+):\w+}", r"{\1}", route.path))
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/")
        for method in (route.methods or set()) - {"HEAD"}
    }
    described = {(m, path) for path, ops in doc["paths"].items() for m in ops}
    assert described == served
    create = doc["paths"]["/api/meetings"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    model = doc["components"]["schemas"][create["$ref"].rsplit("/", 1)[1]]
    assert {"title", "starts_at"} <= set(model["properties"])
    since = [
        p
        for p in doc["paths"]["/api/meetings/{meeting_id}/annotations"]["get"]["parameters"]
        if p["in"] == "query"
    ]
    assert [p["name"] for p in since] == ["since"]
    error = doc["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "params"]


def test_the_description_and_the_docs_name_the_same_endpoints(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    code = [(m.upper(), path, _pattern(path)) for path, ops in doc["paths"].items() for m in ops]
    text = (DOCS / "api.md").read_text() + (DOCS / "protocol.md").read_text()
    documented = {(m, p.rstrip(".,;:")) for m, p in _DOC_OP.findall(text)}
    undocumented = sorted(
        f"{m} {path}"
        for m, path, pattern in code
        if not any(dm == m and pattern.match(dp) for dm, dp in documented)
    )
    assert undocumented == [], "add these to docs/api.md"
    unknown = sorted(
        f"{dm} {dp}"
        for dm, dp in documented
        if not any(dm == m and pattern.match(dp) for m, _, pattern in code)
    )
    assert unknown == [], "the docs name endpoints the server does not have"


def test_every_operation_answers_errors_in_the_one_shape_and_describes_its_success(
    client: TestClient,
) -> None:
    doc = client.get("/api/openapi.json").json()
    error = {"$ref": "#/components/schemas/Error"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            responses = op["responses"]
            for family in ("4XX", "5XX"):
                assert responses[family]["content"]["application/json"]["schema"] == error, (method, path)
            assert [s for s in responses if s.startswith("2")], (method, path)

    def success(method: str, path: str, status: str = "200") -> Any:
        return doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    ref = "#/components/schemas/"
    assert success("post", "/api/session") == {"$ref": ref + "SessionView"}
    assert success("post", "/api/meetings", "201") == {"$ref": ref + "MeetingView"}
    assert success("get", "/api/meetings/{meeting_id}") == {"$ref": ref + "MeetingForCaller"}
    assert success("get", "/api/meetings")["properties"]["meetings"]["items"] == {"$ref": ref + "MeetingView"}
    assert success("post", "/api/meetings/{meeting_id}/participants", "201") == {
        "$ref": ref + "ParticipantView"
    }
    assert success("post", "/api/meetings/{meeting_id}/agenda", "201") == {"$ref": ref + "AgendaItemView"}
    assert success("get", "/api/users")["properties"]["users"]["items"] == {"$ref": ref + "UserView"}
    detail = doc["components"]["schemas"]["MeetingForCaller"]
    assert {"participants", "agenda", "my_role", "join_code"} <= set(detail["properties"])
    assert "join_code" not in detail["required"]  # only for those who run the meeting


_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "array": list,
}


def problems(value: Any, schema: dict[str, Any], components: dict[str, Any], where: str) -> list[str]:
    """How ``value`` departs from ``schema`` (a JSON schema of the description)."""
    if "$ref" in schema:
        return problems(value, components[schema["$ref"].rsplit("/", 1)[1]], components, where)
    if "anyOf" in schema:
        if any(not problems(value, option, components, where) for option in schema["anyOf"]):
            return []
        return [f"{where}: {value!r} matches no choice"]
    kind = schema.get("type")
    if kind is not None and (
        not isinstance(value, _TYPES[kind]) or (kind in ("integer", "number") and isinstance(value, bool))
    ):
        return [f"{where}: {value!r} is not {kind}"]
    found = []
    if kind == "object":
        described = schema.get("properties", {})
        found += [f"{where}.{key}: missing" for key in schema.get("required", []) if key not in value]
        if schema.get("additionalProperties") is False:
            found += [f"{where}.{key}: not described" for key in value if key not in described]
        for key, item in value.items():
            if key in described:
                found += problems(item, described[key], components, f"{where}.{key}")
    elif kind == "array":
        for i, item in enumerate(value):
            found += problems(item, schema.get("items", {}), components, f"{where}[{i}]")
    return found


def test_the_success_bodies_the_server_sends_are_the_ones_described(
    client: TestClient, settings: Settings
) -> None:
    world = seed_world(settings)
    doc = client.get("/api/openapi.json").json()
    components = doc["components"]["schemas"]
    patterns = [
        (method.upper(), _pattern(path), op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]
    checked: list[str] = []

    def check(response: Any) -> Any:
        request = response.request
        method, path = request.method, request.url.path
        assert response.status_code < 300, (method, path, response.text)
        op = next(op for m, pattern, op in patterns if m == method and pattern.match(path))
        responses = op["responses"]
        described = responses.get(str(response.status_code)) or responses.get("2XX")
        assert described is not None, (method, path, response.status_code, sorted(responses))
        schema = described["content"]["application/json"]["schema"]
        assert schema, f"{method} {path}: no schema for this success body"
        body = response.json()
        assert problems(body, schema, components, "body") == [], (method, path)
        checked.append(f"{method} {path}")
        return body

    check(client.post("/api/session", json={"username": "office", "password": PASSWORD}))
    login(client, "office")
    check(client.get("/api/session"))
    meeting = new_meeting(client, members_total=3)
    mid = meeting["id"]
    check(client.get(f"/api/meetings/{mid}"))
    check(client.get("/api/meetings"))
    check(client.patch(f"/api/meetings/{mid}", json={"location": "Phòng họp số 1"}))
    users = check(client.get("/api/users"))["users"]
    admin = companion(client)
    login(admin, "admin")
    user = check(admin.post("/api/users", json={"username": "new_member", "full_name": "Đồng chí Mới"}))
    check(admin.patch(f"/api/users/{user['id']}", json={"title": "Ủy viên"}))
    ids = {u["username"]: u["id"] for u in users}
    for username, role in [("chair", "chair"), ("secretary", "secretary"), ("member1", "delegate")]:
        check(client.post(f"/api/meetings/{mid}/participants", json={"user_id": ids[username], "role": role}))
    guest = check(
        client.post(f"/api/meetings/{mid}/participants", json={"full_name": "Khách", "role": "guest"})
    )
    check(client.patch(f"/api/meetings/{mid}/participants/{guest['id']}", json={"title": "Khách mời"}))
    item = check(client.post(f"/api/meetings/{mid}/agenda", json={"title": "Tờ trình"}))
    check(client.post(f"/api/meetings/{mid}/agenda", json={"title": "Mục con", "parent_id": item["id"]}))
    check(client.patch(f"/api/meetings/{mid}/agenda/{item['id']}", json={"presenter": "Văn phòng"}))
    check(client.post(f"/api/meetings/{mid}/actions/schedule"))
    detail = check(client.get(f"/api/meetings/{mid}"))
    assert detail["agenda"][0]["children"] and detail["join_code"]
    member = next(p["id"] for p in detail["participants"] if p["user_id"] == ids["member1"])
    tablet = companion(client)
    join_tablet(tablet, client, mid, member)
    check(tablet.get("/api/session"))
    check(client.put(f"/api/meetings/{mid}/participants/{member}/attendance", json={"attendance": "present"}))
    assert len(checked) >= 20 and world.users
