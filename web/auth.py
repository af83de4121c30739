"""Who is calling, and may they: staff sessions (cookie + CSRF header), device bearer tokens."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import pydantic
from flask import Blueprint, Response, g, jsonify, redirect, request, session
from werkzeug.wrappers import Response as WzResponse

from core.accounts import (
    Principal,
    authenticate_token,
    authenticate_user,
    end_sessions,
    principal_for_user,
)
from core.errors import Forbidden, SummitError, Unauthorized
from web.api import documented, parse_json, unit_of_work
from web.ratelimit import limit

F = TypeVar("F", bound=Callable[..., Any])

ADMIN = ("admin",)
STAFF = ("admin", "staff")
SECURITY = ("admin", "security")
ANY_STAFF = ("admin", "staff", "security")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# The session cookie's keys: the user, their session version at login, the CSRF token.
USER_KEY, VERSION_KEY, CSRF_KEY = "user_id", "session_version", "csrf"

bp = Blueprint("auth", __name__)


def resolve_principal(token: str | None = None) -> Principal | None:
    """The caller from a bearer token (header or given) or from the staff session cookie."""
    header = request.headers.get("Authorization", "") if token is None else f"Bearer {token}"
    if header.startswith("Bearer "):
        with unit_of_work(read_only=True) as db:
            return authenticate_token(db, header.removeprefix("Bearer ").strip())
    user_id = session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None
    with unit_of_work(read_only=True) as db:
        return principal_for_user(db, user_id, session.get(VERSION_KEY))


def staff_on_page() -> Principal | None:
    """The logged-in staff user of a page request, or None (missing or bad credentials)."""
    try:
        principal = resolve_principal()
    except SummitError:
        return None
    return principal if principal is not None and principal.kind == "staff" else None


def to_login() -> WzResponse:
    """Send a page request to the login form, coming back here afterwards."""
    return redirect(f"/login?next={request.path}")


def current() -> Principal:
    """The authenticated principal of this request (set by `requires`)."""
    principal: Principal = g.principal
    return principal


def check_csrf() -> None:
    """Refuse a staff write whose CSRF token (header or form field) is not the session's."""
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    if not sent or not secrets.compare_digest(sent, session.get(CSRF_KEY, "")):
        raise Forbidden("missing or wrong CSRF token", "csrf_failed")


def requires(*roles: str) -> Callable[[F], F]:
    """Allow the route only to the listed roles; staff writes also need the CSRF header."""

    def wrap(fn: F) -> F:
        @wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            principal = resolve_principal()
            if principal is None:
                raise Unauthorized("log in or send a bearer token", "unauthenticated")
            if principal.role not in roles:
                raise Forbidden(f"role {principal.role!r} may not do this", "forbidden")
            if principal.kind == "staff" and request.method in UNSAFE:
                check_csrf()
            g.principal = principal
            return fn(*args, **kwargs)

        inner._roles = roles  # type: ignore[attr-defined]
        return inner  # type: ignore[return-value]

    return wrap


class LoginBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    username: str = pydantic.Field(min_length=1, max_length=64)
    password: str = pydantic.Field(min_length=1, max_length=200)


@bp.post("/api/auth/login")
@limit("login", per_minute=10)
@documented(LoginBody, "Log a staff user in; returns the CSRF token for later writes.")
def login() -> Response:
    body = parse_json(LoginBody)
    with unit_of_work(read_only=True) as db:
        principal = authenticate_user(db, body.username, body.password)
    session.clear()
    session[USER_KEY] = principal.id
    session[VERSION_KEY] = principal.session_version
    session[CSRF_KEY] = secrets.token_urlsafe(24)
    session.permanent = True
    return jsonify({"user": principal.name, "role": principal.role, "csrf": session[CSRF_KEY]})


@bp.post("/api/auth/logout")
def logout() -> Response:
    """End the staff session on the server too: a copy of the cookie is worthless afterwards.

    Public (a stale cookie may still log out), but a live session needs its CSRF token, so
    another site cannot log staff out.
    """
    principal = staff_on_page()
    if principal is not None:
        check_csrf()
        with unit_of_work() as db:
            end_sessions(db, principal.id, principal.actor, "logout")
    session.clear()
    return jsonify({"ok": True})


@bp.get("/api/auth/me")
@requires(*ANY_STAFF, "kiosk", "gate", "hotel_desk", "airport_desk", "registration", "driver")
def me() -> Response:
    """Who the caller is."""
    p = current()
    return jsonify({"kind": p.kind, "id": p.id, "role": p.role, "name": p.name})
