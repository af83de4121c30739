"""The API describes itself, and run.py lists every command."""

from __future__ import annotations

import subprocess
import sys

from flask.testing import FlaskClient

from core.config import PROJECT_ROOT


def test_openapi_lists_routes_with_request_schemas_and_roles(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    create = spec["paths"]["/api/attendees"]["post"]
    assert (
        "id_number" in create["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )
    assert create["x-roles"] == ["admin", "staff", "registration"]
    assert "/api/attendees/{attendee_id}" in spec["paths"]


def test_unknown_routes_and_methods_answer_in_the_error_envelope(client: FlaskClient) -> None:
    res = client.get("/api/no-such-thing")
    assert res.status_code == 404 and res.json["error"] == "not_found"
    res = client.delete("/api/auth/login")
    assert res.status_code == 405 and res.json["error"] == "method_not_allowed"


def test_run_py_help_lists_the_core_commands() -> None:
    out = subprocess.run(
        [sys.executable, "run.py", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for command in (
        "serve",
        "init-db",
        "seed-demo",
        "import-attendees",
        "create-user",
        "create-device",
        "revoke-device",
    ):
        assert command in out
