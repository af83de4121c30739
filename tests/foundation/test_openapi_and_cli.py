"""The API describes itself, and run.py lists every command."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from flask.testing import FlaskClient
from openapi_spec_validator import validate

from core.config import PROJECT_ROOT


def test_openapi_lists_routes_with_request_schemas_and_roles(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    create = spec["paths"]["/api/attendees"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/AttendeeIn"}
    assert "id_number" in spec["components"]["schemas"]["AttendeeIn"]["properties"]
    assert create["x-roles"] == ["admin", "staff", "registration"]
    assert "/api/attendees/{attendee_id}" in spec["paths"]


def test_openapi_document_passes_the_openapi_3_1_validator(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    validate(spec)  # raises with the first problem
    assert spec["openapi"] == "3.1.0"


def test_openapi_types_path_parameters_by_their_converter(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    assert not [p for p in paths if "<" in p or ">" in p]
    move = paths["/api/driver/trips/{trip_id}/{action}"]["post"]["parameters"]
    trip_id, action = sorted(move, key=lambda p: p["name"] != "trip_id")
    assert trip_id["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    assert action["schema"] == {
        "type": "string",
        "enum": ["accept", "arrive", "close", "depart", "drop_off"],
    }


def test_openapi_refs_all_resolve_inside_the_document(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    text = json.dumps(spec)
    assert "$defs" not in text
    for ref in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node = spec
        for part in ref.split("/"):
            node = node[part]
    replay = spec["paths"]["/api/gates/{gate_id}/replay"]["post"]["requestBody"]
    assert replay["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReplayBody"
    }


def test_openapi_security_follows_each_routes_roles(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    assert paths["/api/health"]["get"]["security"] == []
    assert paths["/api/attendees"]["get"]["security"] == [
        {"staffSession": ["admin", "staff", "security"]}
    ]
    assert paths["/api/attendees"]["post"]["security"] == [
        {"staffSession": ["admin", "staff"], "csrfToken": []},
        {"deviceToken": ["registration"]},
    ]
    assert paths["/api/driver/ack"]["post"]["security"] == [{"deviceToken": ["driver"]}]


def test_openapi_documents_201_and_the_error_statuses(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    created = paths["/api/attendees"]["post"]["responses"]
    assert "201" in created and "200" not in created
    assert "200" in paths["/api/attendees"]["get"]["responses"]
    for status in ("400", "401", "403", "404", "409", "413", "415", "422", "429", "503"):
        assert created[status] == {"$ref": f"#/components/responses/E{status}"}


def test_unknown_routes_and_methods_answer_in_the_error_envelope(client: FlaskClient) -> None:
    res = client.get("/api/no-such-thing")
    assert res.status_code == 404 and res.json["error"] == "not_found"
    res = client.delete("/api/auth/login")
    assert res.status_code == 405 and res.json["error"] == "method_not_allowed"
    assert res.headers["Allow"] == "OPTIONS, POST"


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
