"""/api/openapi.json built from the registered routes and their pydantic request models."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("openapi", __name__)


def build_spec() -> dict[str, Any]:
    """An OpenAPI 3.1 document describing every /api route."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        view = current_app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        meta = getattr(view, "_openapi", {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": meta.get("summary") or (view.__doc__ or "").strip().split("\n")[0],
                "responses": {
                    "200": {"description": "OK"},
                    "4XX": {"$ref": "#/components/responses/Error"},
                },
            }
            roles = getattr(view, "_roles", None)
            if roles:
                op["x-roles"] = list(roles)
            params = re.findall(r"{([a-z_]+)}", path)
            if params:
                op["parameters"] = [
                    {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                    for p in params
                ]
            body = meta.get("body")
            if body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": body.model_json_schema()}},
                }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Summit smart-conference API", "version": "1.0"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "responses": {
                "Error": {
                    "description": "Error envelope",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["error", "message"],
                                "properties": {
                                    "error": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            }
                        }
                    },
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "summit_session"},
            },
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
