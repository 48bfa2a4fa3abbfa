"""Fuzzing the HTTP API and the meeting websocket with hypothesis (issue #18), on SQLite
and on PostgreSQL, in the running app.

* HTTP: every route the app serves (taken from its routing table), with path ids from 0
  to 10^25, queries, and JSON bodies shaped by the request schemas of /api/openapi.json
  (or free-form), full of hostile values (lone surrogates, controls,
  NFD, huge and fractional numbers, deep nesting). 0 answers 5xx (an exception in the
  app fails the test), every error in the one shape.
* Websocket: frames built from the protocol's commands (every command type, its field
  names with random values), malformed frames, odd ids, binary frames. Every frame is
  answered by one result, the socket stays open, and the server answers after.

Per run and database: 120 HTTP examples of 3 requests (360 requests) and 40 websocket
examples of 10 frames (400 frames).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from phonghop.realtime import protocol as p
from tests.factories import companion, login
from tests.realtime.helpers import Room

HTTP_EXAMPLES = 120
WS_EXAMPLES = 40

HOSTILE = [
    "\ud800",
    "a\udfffb",
    "a\x00b",
    "\x01",
    "\x1b[31m",
    "\ufffe",
    "Hoa\u0300",
    "",
    " ",
    "1e30",
    "-1",
    "0",
    "99999999999999999999999",
    "NaN",
    "true",
    "null",
    "../../etc/passwd",
    "%00",
    "x" * 5000,
]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
number = st.one_of(
    st.sampled_from([0, 1, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**70, 10**25]),
    st.integers(),
    st.floats(allow_nan=False),
)
leaf = st.one_of(st.none(), st.booleans(), number, text)
value = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(text, st.sampled_from(["id", "type"])), inner, max_size=4),
    ),
    max_leaves=12,
)
PATH_IDS = [
    "0",
    "1",
    "2",
    "3",
    "7",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "10" * 13,
]
QUERY_NAMES = [
    "offset",
    "limit",
    "since",
    "agenda_item_id",
    "meeting_id",
    "unit_id",
    "body_id",
    "participant_id",
    "participant_ids",
    "q",
    "state",
    "status",
    "title",
    "filename",
    "classification",
    "access",
    "roles",
    "w",
    "lang",
    "all",
    "unread",
    "drafts",
]


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    app: Any = client.app
    while not hasattr(app, "routes"):
        app = app.app
    out = []
    for route in app.routes:
        if isinstance(route, Route) and not isinstance(route, Mount) and route.path.startswith("/api/"):
            for method in sorted(route.methods or ()):
                if method != "HEAD" and route.path != "/api/session":  # keep the office signed in
                    out.append((method, route.path))
    return out


def fill_path(template: str, ids: list[str]) -> str:
    parts = template.split("/")
    for i, part in enumerate(parts):
        if part.startswith("{"):
            parts[i] = ids[i % len(ids)] if part.endswith(":int}") else quote(ids[i % len(ids)])
    return "/".join(parts)


def check_answer(response: Any, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code, response.text[:500])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        body = response.json()
        assert set(body) == {"error"} or "error" in body, (where, body)
        assert set(body["error"]) == {"code", "message", "params"}, (where, body)


def from_schema(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by a JSON schema of the description (types, enums, properties), with
    hostile leaves: what a client that read /api/openapi.json might send."""
    if "$ref" in schema:
        return from_schema(components[schema["$ref"].rsplit("/", 1)[1]], components, depth)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return st.one_of([from_schema(o, components, depth) for o in options])
    if "enum" in schema:
        return st.one_of(st.sampled_from(schema["enum"]), text)
    kind = schema.get("type")
    if depth > 4:
        return leaf
    if kind == "object":
        props = schema.get("properties", {})
        if not props:
            return st.dictionaries(text, leaf, max_size=3)
        return st.fixed_dictionaries(
            {}, optional={name: from_schema(sub, components, depth + 1) for name, sub in props.items()}
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), components, depth + 1), max_size=3)
    if kind == "string":
        return st.one_of(text, st.sampled_from(["2026-12-01T08:00:00+07:00", "2026-12-01", "#d32f2f"]))
    if kind in ("integer", "number"):
        return number
    if kind == "boolean":
        return st.booleans()
    return value


@st.composite
def http_requests(
    draw: st.DrawFn, routes: list[tuple[str, str]], description: dict[str, Any]
) -> list[tuple[str, str, bytes | None]]:
    batch = []
    for _ in range(3):
        method, template = draw(st.sampled_from(routes))
        operation = description["paths"][re.sub(r"{(\w+):\w+}", r"{\1}", template)][method.lower()]
        body_schema = (
            operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )
        ids = draw(st.lists(st.sampled_from(PATH_IDS), min_size=1, max_size=3))
        path = fill_path(template, ids)
        query = draw(st.dictionaries(st.sampled_from(QUERY_NAMES), text, max_size=3))
        if query:
            path += "?" + "&".join(
                f"{quote(k)}={quote(v, safe='', errors='surrogatepass')}" for k, v in query.items()
            )
        body: bytes | None = None
        if method in ("POST", "PUT", "PATCH"):
            kind = draw(st.sampled_from(["schema", "schema", "schema", "object", "deep", "garbage", "array"]))
            if kind == "schema" and body_schema is not None:
                components = description["components"]["schemas"]
                body = json.dumps(draw(from_schema(body_schema, components))).encode()
            elif kind in ("object", "schema"):
                body = json.dumps(draw(st.dictionaries(text, value, max_size=5))).encode()
            elif kind == "deep":
                body = ('{"title": "x", "a": ' + deep(draw(st.sampled_from([33, 200, 3000]))) + "}").encode()
            elif kind == "array":
                body = json.dumps(draw(st.lists(value, max_size=3))).encode()
            else:
                body = draw(st.binary(max_size=40))
        batch.append((method, path, body))
    return batch


def test_http_fuzz_no_server_error_and_one_error_shape(room: Room) -> None:
    client = room.office
    routes = api_routes(client)
    assert len(routes) > 50
    description = client.get("/api/openapi.json").json()

    @settings(
        max_examples=HTTP_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(http_requests(routes, description))
    def run(batch: list[tuple[str, str, bytes | None]]) -> None:
        for method, path, body in batch:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            response = client.request(method, path, content=body, headers=headers)
            check_answer(response, f"{method} {path}")

    run()
    assert client.get("/healthz").status_code == 200
    after = companion(room.base)  # the fuzz may have signed the office out: a new sign-in
    login(after, "office")
    assert after.get(f"/api/meetings/{room.id}").status_code in (200, 404)  # it may have been deleted


FIELDS = sorted({name for model in p.COMMAND_MODELS.values() for name in model.model_fields} - {"type"})


@st.composite
def frames(draw: st.DrawFn) -> list[str | bytes]:
    out: list[str | bytes] = []
    for n in range(10):
        kind = draw(
            st.sampled_from(["command"] * 5 + ["garbage", "deep", "odd_id", "binary", "surrogate_id"])
        )
        if kind == "command":
            command: dict[str, Any] = {"id": n, "type": draw(st.sampled_from(sorted(p.COMMAND_MODELS)))}
            if command["type"] in ("meeting.control", "hello"):
                command["type"] = "ping"  # keep the meeting running and the socket synced
            command.update(draw(st.dictionaries(st.sampled_from(FIELDS), value, max_size=4)))
            out.append(json.dumps(command))
        elif kind == "garbage":
            out.append(draw(st.sampled_from(["", "{", "[]", "null", "1", '"x"', "{}", '{"id": []}'])))
        elif kind == "deep":
            out.append('{"id": 1, "type": "ping", "x": ' + deep(draw(st.sampled_from([33, 500, 5000]))) + "}")
        elif kind == "odd_id":
            odd = draw(
                st.sampled_from(["1.5", "true", "2e400", "99999999999999999999999", '"\\u0000"', "null"])
            )
            out.append('{"id": ' + odd + ', "type": "ping"}')
        elif kind == "surrogate_id":
            out.append('{"id": "x\\ud800", "type": "announcement.make", "text": "\\udfff"}')
        else:
            out.append(draw(st.binary(max_size=20)))
    return out


def test_websocket_fuzz_every_frame_answered_and_the_socket_stays_open(room: Room) -> None:
    tablet = room.peer(room.tablet_client(2))
    console = room.peer(room.secretary_client)
    for peer in (tablet, console):
        peer.hello()
    sent = 0

    @settings(
        max_examples=WS_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(frames(), st.booleans())
    def run(batch: list[str | bytes], as_console: bool) -> None:
        nonlocal sent
        peer = console if as_console else tablet
        for frame in batch:
            if isinstance(frame, bytes):
                peer.ws.send_bytes(frame)
            else:
                peer.ws.send_text(frame)
            sent += 1
            while True:
                message = peer.ws.receive_json()
                if message.get("type") == "result":
                    break
            assert message["ok"] in (True, False)
            if not message["ok"]:
                assert set(message["error"]) == {"code", "message", "params"}, message
                assert message["error"]["code"] != "internal_error", (frame, message)

    run()
    assert sent == WS_EXAMPLES * 10
    # Healthy after: the console (never rate-limited) at once; the tablet once its
    # command budget refills (the fuzz is a flood, refused with command_rate_limited).
    assert console.call("ping")["ok"]
    deadline = time.monotonic() + 60
    while not (reply := tablet.call("ping"))["ok"]:
        assert reply["error"]["code"] == "command_rate_limited", reply
        assert time.monotonic() < deadline, "the tablet's command budget never refilled"
        time.sleep(0.2)
    assert room.office.get("/healthz").status_code == 200
