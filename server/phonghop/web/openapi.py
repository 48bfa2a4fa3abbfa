"""``GET /api/openapi.json``: an OpenAPI 3.1 description of the HTTP API, made from the code.

Nothing here is written by hand per endpoint. The routing table gives the paths, methods
and path parameters; each endpoint's source gives its request body model (the pydantic
model it passes to ``read_json``) and the query parameters it reads (``query_int``,
``query_params.get`` and the small ``_query_bool``/``_flag`` readers, by name); the
pydantic models give the body schemas. Success bodies come from the same source: the
value an endpoint passes to ``JSONResponse`` (and its ``status_code``), followed to the
function that builds it, whose return type is a ``TypedDict`` (checked by mypy against
the dict it builds, e.g. ``services.meetings.MeetingView``), or a dict literal whose
values are such calls; anything else is described as a JSON object. Every operation may
answer an error in the one shape, ``Error`` (4XX and 5XX).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
import typing
from typing import Any, NotRequired, is_typeddict

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

_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _tree(function: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None


def _source_facts(endpoint: Any) -> tuple[type[BaseModel] | None, list[str], bool]:
    """(body model, query parameter names, takes a raw body) read from the endpoint."""
    tree = _tree(endpoint)
    if tree is None:
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


class _Success:
    """What an endpoint answers on success, read from its source: the status and the
    schema of the JSON body, with the ``TypedDict`` schemas it names in ``components``."""

    def __init__(self, endpoint: Any, components: dict[str, Any]) -> None:
        self.endpoint = endpoint
        self.components = components
        #: status -> body schema; "2XX" and any JSON when the source names no JSONResponse
        self.bodies: dict[str, dict[str, Any]] = {}
        tree = _tree(endpoint)
        if tree is None:
            self.bodies["2XX"] = {}
            return
        self.assigned = {
            target.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "JSONResponse" and node.args:
                status = "200"
                for keyword in node.keywords:
                    if keyword.arg == "status_code" and isinstance(keyword.value, ast.Constant):
                        status = str(keyword.value.value)
                schema = self._of(node.args[0], 0)
                seen = self.bodies.get(status)
                self.bodies[status] = schema if seen is None else {"anyOf": [seen, schema]}
        if not self.bodies:
            self.bodies["2XX"] = {}

    def _of(self, node: ast.expr, depth: int) -> dict[str, Any]:
        if depth > 4:
            return {}
        if isinstance(node, ast.Await):
            return self._of(node.value, depth + 1)
        if isinstance(node, ast.Name) and node.id in self.assigned:
            return self._of(self.assigned[node.id], depth + 1)
        if isinstance(node, ast.Call):
            return self._typed(_resolve(self.endpoint, node.func))
        if isinstance(node, ast.ListComp):
            return {"type": "array", "items": self._of(node.elt, depth + 1)}
        if isinstance(node, ast.Constant):
            kind = {bool: "boolean", int: "integer", str: "string", type(None): "null"}.get(type(node.value))
            return {"type": kind} if kind else {}
        if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
            properties = {
                str(k.value): self._of(v, depth + 1)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant)
            }
            return {"type": "object", "properties": properties, "required": sorted(properties)}
        return {}

    def _typed(self, function: Any) -> dict[str, Any]:
        """The schema of the ``TypedDict`` that ``function`` returns, if it returns one."""
        try:
            returned: Any = typing.get_type_hints(function).get("return")
        except Exception:  # an unresolvable annotation: describe the body as any JSON
            return {}
        return _typed_schema(returned, self.components) if is_typeddict(returned) else {}


_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
}


def _typed_schema(hint: Any, components: dict[str, Any]) -> dict[str, Any]:
    """JSON schema of a type annotation made of TypedDicts, lists, unions and scalars; a
    TypedDict goes into ``components`` (closed: no property it does not declare)."""
    if is_typeddict(hint):
        name = hint.__name__
        if name not in components:
            components[name] = {}  # taken, for a TypedDict that contains itself
            properties, required = {}, []
            for key, sub in typing.get_type_hints(hint, include_extras=True).items():
                if typing.get_origin(sub) is NotRequired:
                    sub = typing.get_args(sub)[0]
                else:
                    required.append(key)
                properties[key] = _typed_schema(sub, components)
            components[name] = {
                "type": "object",
                "description": inspect.getdoc(hint) or name,
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            }
        return {"$ref": f"#/components/schemas/{name}"}
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_typed_schema(arg, components) for arg in typing.get_args(hint)]}
    if origin is list:
        return {"type": "array", "items": _typed_schema(typing.get_args(hint)[0], components)}
    return dict(_SCALARS.get(hint, {}))


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
        success = _Success(route.endpoint, components)
        parameters += [
            {"name": q, "in": "query", "required": False, "schema": {"type": "string"}} for q in queries
        ]
        for method in sorted((route.methods or set()) - {"HEAD"}):
            operation: dict[str, Any] = {
                "operationId": f"{route.endpoint.__name__}_{method.lower()}",
                "summary": (inspect.getdoc(route.endpoint) or route.endpoint.__name__).split("\n")[0],
                "parameters": parameters,
                "responses": {
                    **{status: _json("success", schema) for status, schema in success.bodies.items()},
                    "4XX": {"description": "refused", "content": _ERROR_CONTENT},
                    "5XX": {"description": "the server cannot answer now", "content": _ERROR_CONTENT},
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
