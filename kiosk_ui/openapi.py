"""/api/openapi.json built from the registered routes and their pydantic request models.

The document is OpenAPI 3.1 and must satisfy `openapi-spec-validator` and schemathesis:
- path parameters carry their converter's type (`int` -> integer 1..2**31-1, `any(...)` -> enum);
- request models are hoisted into `components/schemas` (pydantic's `$defs` with them), so every
  `$ref` resolves inside the document;
- each operation lists who may call it, from the roles `requires(...)` stored on the view: staff
  by session cookie (plus the CSRF header on writes), devices by bearer token; the role names
  are the requirement's scopes, which OpenAPI 3.1 allows for any scheme type;
- the success status is 201 where the view answers 201, and every operation may answer the
  error envelope with any of `ERROR_STATUSES` (the errors come from deep inside services, so
  the list is the same for all; 401 and 403 also come from logins and phone sessions).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pydantic
from flask import Blueprint, Response, current_app, jsonify
from pydantic.json_schema import models_json_schema
from werkzeug.routing import AnyConverter, BaseConverter, IntegerConverter, Rule

from web.api import MAX_INT
from web.auth import ANY_STAFF, UNSAFE

bp = Blueprint("openapi", __name__)

REF = "#/components/schemas/{model}"
ERROR_STATUSES = {
    "400": "Invalid input",
    "401": "Not logged in, or a bad token",
    "403": "Not allowed for this caller, or a missing CSRF token",
    "404": "No such resource",
    "409": "Conflicts with the current state",
    "413": "Body too large",
    "415": "Unsupported media type",
    "422": "Understood but not processable (a face, a recording, an import)",
    "429": "Rate limited",
    "503": "A dependency (database, engine) is unavailable; retry",
}
ERROR_ENVELOPE = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
SECURITY_SCHEMES = {
    "deviceToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A device's token (kiosk, gate, hotel desk, airport desk, registration, "
        "driver phone), shown once when an admin registers the device.",
    },
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "summit_session",
        "description": "The session cookie set by POST /api/auth/login.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "The `csrf` value of the login answer; staff writes must send it.",
    },
}


def path_parameter(name: str, converter: BaseConverter) -> dict[str, Any]:
    """The OpenAPI parameter for one Werkzeug converter."""
    schema: dict[str, Any]
    if isinstance(converter, IntegerConverter):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
    elif isinstance(converter, AnyConverter):
        schema = {"type": "string", "enum": sorted(converter.items)}
    else:  # the default string converter: one path segment
        schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def openapi_path(rule: Rule) -> str:
    """`/a/<int:x>/<any(p, q):y>` -> `/a/{x}/{y}`."""
    return re.sub(r"<(?:[^<>:]+:)?(\w+)>", r"{\1}", rule.rule)


def security(roles: tuple[str, ...] | None, method: str) -> list[dict[str, list[str]]]:
    """Who may call: staff by cookie (and the CSRF header on writes), devices by bearer token."""
    if not roles:
        return []
    staff = [r for r in roles if r in ANY_STAFF]
    devices = [r for r in roles if r not in ANY_STAFF]
    options: list[dict[str, list[str]]] = []
    if staff:
        session: dict[str, list[str]] = {"staffSession": staff}
        options.append({**session, "csrfToken": []} if method in UNSAFE else session)
    if devices:
        options.append({"deviceToken": devices})
    return options


def success_status(view: Any) -> str:
    """201 where the view answers 201 (read from its source: the only place that says so)."""
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return "200"
    return "201" if re.search(r"\b201\b", source) else "200"


def responses(view: Any) -> dict[str, Any]:
    """The success answer and every error status, each with the error envelope."""
    out: dict[str, Any] = {success_status(view): {"description": "OK"}}
    for status in ERROR_STATUSES:
        out[status] = {"$ref": f"#/components/responses/E{status}"}
    return out


def body_schemas(views: list[Any]) -> tuple[dict[Any, Any], dict[str, Any]]:
    """Each request model's `$ref`, and the schemas of all of them and the models they nest.

    pydantic picks distinct names when two modules reuse a class name.
    """
    models: dict[type[pydantic.BaseModel], None] = {}
    for view in views:
        body = getattr(view, "_openapi", {}).get("body")
        if body is not None:
            models[body] = None
    refs, defs = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    return {model: ref for (model, _), ref in refs.items()}, defs.get("$defs", {})


def operation(rule: Rule, view: Any, method: str, refs: dict[Any, Any]) -> dict[str, Any]:
    """One operation: summary, typed path parameters, JSON body, who may call, responses."""
    meta = getattr(view, "_openapi", {})
    op: dict[str, Any] = {
        "operationId": f"{rule.endpoint}.{method.lower()}",
        "summary": meta.get("summary") or (view.__doc__ or "").strip().split("\n")[0],
        "security": security(getattr(view, "_roles", None), method),
        "responses": responses(view),
    }
    roles = getattr(view, "_roles", None)
    if roles:
        op["x-roles"] = list(roles)
    converters = rule._converters  # Werkzeug keeps no public map from argument to converter
    if converters:
        op["parameters"] = [path_parameter(n, c) for n, c in converters.items()]
    if meta.get("body") is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[meta["body"]]}},
        }
    return op


def build_spec() -> dict[str, Any]:
    """An OpenAPI 3.1 document describing every /api route."""
    rules = [r for r in current_app.url_map.iter_rules() if r.rule.startswith("/api")]
    views = {r.endpoint: current_app.view_functions[r.endpoint] for r in rules}
    refs, schemas = body_schemas(list(views.values()))
    paths: dict[str, dict[str, Any]] = {}
    for rule in rules:
        view = views[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(openapi_path(rule), {})[method.lower()] = operation(
                rule, view, method, refs
            )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Summit smart-conference API", "version": "1.0"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR_ENVELOPE, **dict(sorted(schemas.items()))},
            "responses": {
                f"E{status}": {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                for status, text in ERROR_STATUSES.items()
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


@bp.get("/api/health")
def health() -> Response:
    """Liveness and database reachability, for load balancers and the set-up script."""
    from sqlalchemy import text

    from web.api import unit_of_work

    with unit_of_work(read_only=True) as db:
        db.execute(text("SELECT 1"))
    return jsonify({"ok": True})


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of this server."""
    return jsonify(build_spec())
