"""``/api/openapi.json`` (issue #18): generated from the code, complete, and in step with
docs/api.md (and the endpoints docs/protocol.md describes)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Route
from starlette.testclient import TestClient

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
