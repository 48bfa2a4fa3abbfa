"""``GET /api/openapi.json``: an OpenAPI 3.1 description of the HTTP API, made from the code.

Nothing here is written by hand per endpoint. The routing table gives the paths, methods
and path parameters; each endpoint's source gives its request body model (the pydantic
model it passes to ``read_json``) and the query parameters it reads (``query_int``,
``query_params.get`` and the small ``_query_bool``/``_flag`` readers, by name); the
pydantic models give the body schemas. Endpoints return JSON built from dicts, so a
success is described as a JSON object; every error has the one shape, ``Error``.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from phonghop import __version__

_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
_QUERY_READERS = {"query_int", "_query_bool", "_flag", "_query_date", "_date_param"}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "params"],
            "properties": {
                "code": {"type": "string", "description": "stable, snake_case"},
                "message": {"type": "string", "description": "in the request's language"},
                "params": {"type": "object"},
            },
        }
    },
}


def _source_facts(endpoint: Any) -> tuple[type[BaseModel] | None, list[str], bool]:
    """(body model, query parameter names, takes a raw body) read from the endpoint."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(endpoint)))
    except (OSError, TypeError, SyntaxError):
        return None, [], False
    model: type[BaseModel] | None = None
    queries: list[str] = []
    raw_body = False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "read_json" and len(node.args) >= 2:
            found = _resolve(endpoint, node.args[1])
            if isinstance(found, type) and issubclass(found, BaseModel):
                model = found
        elif name in _QUERY_READERS and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            queries.append(str(node.args[1].value))
        elif (
            name == "get"
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "query_params"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            queries.append(str(node.args[0].value))
        elif name in ("stream", "body") and isinstance(node.func, ast.Attribute):
            raw_body = True
    return model, sorted(set(queries) - {"lang"}), raw_body


def _resolve(endpoint: Any, node: ast.expr) -> Any:
    scope = dict(getattr(endpoint, "__globals__", {}))
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(endpoint, node.value)
        return getattr(base, node.attr, None)
    return None


def _hoist(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    return schema


def build(routes: list[Any]) -> dict[str, Any]:
    """The description of every ``/api/`` route in ``routes`` (a Starlette routing table)."""
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for route in routes:
        if not isinstance(route, Route) or not route.path.startswith("/api/"):
            continue
        template = _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        parameters: list[dict[str, Any]] = [
            {
                "name": m.group(1),
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0} if m.group(2) == "int" else {"type": "string"},
            }
            for m in _PARAM.finditer(route.path)
        ]
        model, queries, raw_body = _source_facts(route.endpoint)
        parameters += [
            {"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in queries
        ]
        for method in sorted((route.methods or set()) - {"HEAD"}):
            operation: dict[str, Any] = {
                "operationId": f"{route.endpoint.__name__}_{method.lower()}",
                "summary": (inspect.getdoc(route.endpoint) or route.endpoint.__name__).split("\n")[0],
                "parameters": parameters,
                "responses": {
                    "2XX": {"description": "success", "content": {"application/json": {"schema": {}}}},
                    "4XX": {
                        "description": "refused",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
            if model is not None:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components[model.__name__] = _hoist(schema, components)
                ref = {"$ref": f"#/components/schemas/{model.__name__}"}
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref}},
                }
            elif raw_body and method in ("POST", "PUT", "PATCH"):
                operation["requestBody"] = {"content": {"application/octet-stream": {"schema": {}}}}
            paths.setdefault(template, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "phonghop", "version": __version__},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components},
    }


async def openapi_json(request: Request) -> Response:
    """Built once per app, on the first request."""
    state = request.app.state
    if getattr(state, "openapi", None) is None:
        state.openapi = build(request.app.routes)
    return JSONResponse(state.openapi)


routes = [Route("/api/openapi.json", openapi_json, methods=["GET"])]
