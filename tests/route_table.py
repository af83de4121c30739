"""The app's /api routes as concrete URLs, for tests that sweep every route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask

_ANY = re.compile(r"<any\(([^)]*)\):\w+>")
_PARAM = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class ApiRoute:
    method: str
    url: str
    roles: tuple[str, ...] | None  # from requires(...); None means the route is public
    fields: tuple[str, ...]  # documented JSON body fields


def concrete_url(rule: str) -> str:
    """Fill path parameters: the first any(...) choice, else an id that does not exist."""
    rule = _ANY.sub(lambda m: m.group(1).split(",")[0].strip().strip("'\""), rule)
    return _PARAM.sub("999999", rule)


def api_routes(app: Flask) -> Iterator[ApiRoute]:
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        view = app.view_functions[rule.endpoint]
        body = getattr(view, "_openapi", {}).get("body")
        fields = tuple(body.model_json_schema().get("properties", {})) if body else ()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield ApiRoute(method, concrete_url(rule.rule), getattr(view, "_roles", None), fields)


def route_index(app: Flask) -> dict[tuple[str, str], ApiRoute]:
    """Every /api route by (method, concrete URL), for tests that look up particular routes."""
    return {(r.method, r.url): r for r in api_routes(app)}
