"""Helpers every HTTP handler uses: the runtime, a unit of work, input parsing, JSON errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pydantic
from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from core.errors import SummitError
from core.runtime import Runtime
from models.db import transaction

M = TypeVar("M", bound=pydantic.BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

# The largest integer any id, count or sequence number may be, in paths and in bodies: the top
# of PostgreSQL's INTEGER. Beyond 64 bits SQLite raised OverflowError (a 500); beyond 2**31-1
# PostgreSQL raised a DataError. Body models say `pydantic.Field(le=MAX_INT)`.
MAX_INT = 2**31 - 1


def runtime() -> Runtime:
    """The runtime bound to the current app."""
    rt: Runtime = current_app.extensions["summit"]
    return rt


@contextmanager
def unit_of_work(read_only: bool = False) -> Iterator[Session]:
    """A session that commits when the block ends without error.

    Pass `read_only=True` where the block only reads: on SQLite it then takes no write lock, on
    PostgreSQL it is a READ ONLY transaction, and on both a write inside it fails. It is never
    guessed from the HTTP method or from Socket.IO (a GET may audit; an event may only read).
    """
    with transaction(runtime().sessions, read_only=read_only) as session:
        yield session


def parse_json(model: type[M]) -> M:
    """Validate the JSON body against a pydantic model; first problems reported by field."""
    body = request.get_json(silent=True)
    if body is None:
        raise SummitError("the request body must be a JSON object", "malformed_json")
    return validate(model, body)


def validate(model: type[M], data: Any) -> M:
    """Validate plain data (JSON body, query args, Socket.IO payload) against a model."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "(body)", "problem": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        first = problems[0]
        raise SummitError(
            f"{first['field']}: {first['problem']}", "validation_error", fields=problems
        ) from None


def documented(body: type[pydantic.BaseModel] | None = None, summary: str = "") -> Callable[[F], F]:
    """Attach a request schema and summary for /api/openapi.json."""

    def wrap(fn: F) -> F:
        fn._openapi = {"body": body, "summary": summary}  # type: ignore[attr-defined]
        return fn

    return wrap


def error_response(code: str, message: str, status: int, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, **extra}), status


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
    # Pages load nothing from elsewhere (kiosks sit on closed LANs; no CDN).
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
        "connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
}


def install_security_headers(app: Flask) -> None:
    """Headers every answer carries; API answers are never cached."""

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def install_int_bounds(app: Flask) -> None:
    """A path integer above MAX_INT names nothing: 404 `not_found` before any view runs.

    A check on the matched values rather than a bounded `int` converter: with the converter,
    Werkzeug answers 405 when another rule for the same path has a different method.
    """

    @app.url_value_preprocessor
    def _bounded(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        for value in (values or {}).values():
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_INT:
                raise NotFound(f"no such record: {value} is beyond every id")


def _integrity(exc: IntegrityError) -> tuple[str, str, int]:
    """Code, message and status for a constraint the database refused (PostgreSQL or SQLite)."""
    state = getattr(exc.orig, "sqlstate", None)
    text = str(exc.orig).lower()
    if state == "23503" or "foreign key" in text:
        return "not_found", "a record this change refers to does not exist", 404
    if state == "23505" or "unique" in text:
        return "conflict", "such a record already exists", 409
    return "constraint_violated", "the change breaks a rule of the stored data", 400


def install_error_handlers(app: Flask) -> None:
    """Every error leaves as `{"error": code, "message": text}` with the right status."""

    @app.errorhandler(SummitError)
    def _summit(exc: SummitError) -> tuple[Response, int]:
        response = jsonify(exc.to_dict())
        if "retry_after" in exc.details:  # 503 busy (recognition pool full) and the like
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response, exc.status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        codes = {
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
            429: "rate_limited",
        }
        status = exc.code or 500
        response, _ = error_response(codes.get(status, "http_error"), exc.description or "", status)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            # RFC 9110: a 405 names the methods the resource does answer.
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response, status

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError) -> tuple[Response, int]:
        # A lost or refused database connection: the client may retry the same request
        # (writes carry nonces or unique keys, so a retry never doubles anything).
        app.logger.warning("database unavailable: %s", type(exc.orig).__name__)
        response, status = error_response(
            "database_unavailable", "the database is unavailable; retry in a moment", 503
        )
        response.headers["Retry-After"] = "2"
        return response, status

    @app.errorhandler(IntegrityError)
    def _constraint(exc: IntegrityError) -> tuple[Response, int]:
        # Services check what they know (a second leg, an unknown gate); this answers the rest,
        # including a race two requests ran between such a check and the insert.
        code, message, status = _integrity(exc)
        app.logger.warning("constraint refused on %s: %s", request.path, code)
        return error_response(code, message, status)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        app.logger.exception("unhandled error on %s", request.path)
        return error_response("internal_error", "the server failed; the error was logged", 500)
