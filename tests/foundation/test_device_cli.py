"""Devices bound to their place, with a liveness policy an admin sets: from run.py and the API."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from core import accounts
from core import cli as core_cli
from core.runtime import Runtime
from models import AuditEntry, Device, Hotel
from models.db import transaction
from run import cli
from tests.conftest import PASSWORD, Caller
from tests.factories import make_gate, make_zone


@dataclass(frozen=True)
class Places:
    gate_id: int
    other_gate_id: int
    hotel_id: int


@pytest.fixture
def places(runtime: Runtime) -> Places:
    with transaction(runtime.sessions) as db:
        zone = make_zone(db)
        gate, other = make_gate(db, zone, "MH-IN1"), make_gate(db, zone, "MH-IN2")
        hotel = Hotel(code="FZH", name_zh="福州酒店", name_en="Fuzhou Hotel")
        db.add(hotel)
        db.flush()
        return Places(gate.id, other.id, hotel.id)


@pytest.fixture
def commands(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # The test's runtime instead of Alembic on the instance database.
    monkeypatch.setattr(core_cli, "open_runtime", lambda: runtime)
    monkeypatch.setenv("SUMMIT_INSTANCE", str(runtime.config.instance_path))
    return CliRunner()


def device(runtime: Runtime, name: str) -> Device:
    with transaction(runtime.sessions, read_only=True) as db:
        found = db.scalar(select(Device).where(Device.name == name))
        assert found is not None
        db.expunge(found)
        return found


def audit_actions(runtime: Runtime) -> list[tuple[str, str, str]]:
    with transaction(runtime.sessions, read_only=True) as db:
        rows = db.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.reason))
        return [(a, t, r) for a, t, r in rows]


def device_count(runtime: Runtime) -> int:
    with transaction(runtime.sessions, read_only=True) as db:
        return db.scalar(select(func.count(Device.id))) or 0


# -- run.py ---------------------------------------------------------------------------------
def test_a_kiosk_created_at_a_gate_prints_its_place_and_checks_liveness_by_default(
    commands: CliRunner, runtime: Runtime, places: Places
) -> None:
    out = commands.invoke(
        cli, ["create-device", "kiosk-1", "--kind", "kiosk", "--gate", str(places.gate_id)]
    )
    assert out.exit_code == 0, out.output
    assert f"place: gate:{places.gate_id}" in out.output and "liveness: on" in out.output
    assert "token: " in out.output
    stored = device(runtime, "kiosk-1")
    assert stored.gate_id == places.gate_id and stored.liveness_required


def test_liveness_off_at_creation_is_printed_and_audited(
    commands: CliRunner, runtime: Runtime, places: Places
) -> None:
    hotel = str(places.hotel_id)
    out = commands.invoke(
        cli,
        ["create-device", "desk-1", "--kind", "hotel_desk", "--hotel", hotel, "--liveness", "off"],
    )
    assert out.exit_code == 0, out.output
    assert "liveness: off (staff-watched" in out.output
    assert not device(runtime, "desk-1").liveness_required
    assert ("device_liveness_off", f"device:{device(runtime, 'desk-1').id}", "set at creation") in (
        audit_actions(runtime)
    )


def test_an_airport_desk_allows_still_photos_unless_told_otherwise(
    commands: CliRunner, runtime: Runtime
) -> None:
    out = commands.invoke(cli, ["create-device", "airport-1", "--kind", "airport_desk"])
    assert out.exit_code == 0 and "place: unbound" in out.output, out.output
    assert not device(runtime, "airport-1").liveness_required


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--kind", "kiosk", "--gate", "999"], "gate_not_found"),
        (["--kind", "hotel_desk", "--hotel", "999"], "hotel_not_found"),
        (["--kind", "driver", "--driver", "999"], "driver_not_found"),
        (["--kind", "hotel_desk", "--gate", "GATE"], "invalid_binding"),
        (["--kind", "kiosk", "--gate", "GATE", "--hotel", "HOTEL"], "invalid_binding"),
    ],
)
def test_a_device_for_a_place_that_is_not_there_is_refused_and_not_stored(
    commands: CliRunner, runtime: Runtime, places: Places, args: list[str], code: str
) -> None:
    args = [{"GATE": str(places.gate_id), "HOTEL": str(places.hotel_id)}.get(a, a) for a in args]
    out = commands.invoke(cli, ["create-device", "dev-x", *args])
    assert out.exit_code == 2
    assert json.loads(out.stderr)["error"] == code
    assert device_count(runtime) == 0


def test_bind_device_moves_a_kiosk_to_another_gate_and_unbinds_it(
    commands: CliRunner, runtime: Runtime, places: Places
) -> None:
    commands.invoke(cli, ["create-device", "kiosk-1", "--kind", "kiosk"])
    kiosk_id = device(runtime, "kiosk-1").id
    out = commands.invoke(cli, ["bind-device", str(kiosk_id), "--gate", str(places.other_gate_id)])
    assert out.exit_code == 0 and f"place: gate:{places.other_gate_id}" in out.output, out.output
    assert device(runtime, "kiosk-1").gate_id == places.other_gate_id
    out = commands.invoke(cli, ["bind-device", str(kiosk_id), "--none"])
    assert out.exit_code == 0 and "place: unbound" in out.output
    bound = [(a, r) for a, t, r in audit_actions(runtime) if a == "device_bound"]
    assert bound == [("device_bound", f"gate:{places.other_gate_id}"), ("device_bound", "unbound")]


def test_bind_device_to_a_missing_gate_changes_nothing(
    commands: CliRunner, runtime: Runtime, places: Places
) -> None:
    commands.invoke(
        cli, ["create-device", "kiosk-1", "--kind", "kiosk", "--gate", str(places.gate_id)]
    )
    kiosk_id = device(runtime, "kiosk-1").id
    out = commands.invoke(cli, ["bind-device", str(kiosk_id), "--gate", "999"])
    assert out.exit_code == 2 and json.loads(out.stderr)["error"] == "gate_not_found"
    assert device(runtime, "kiosk-1").gate_id == places.gate_id
    out = commands.invoke(cli, ["bind-device", str(kiosk_id)])
    assert out.exit_code == 2 and "exactly one of" in out.output


def test_set_device_liveness_off_needs_a_reason_and_is_audited(
    commands: CliRunner, runtime: Runtime
) -> None:
    commands.invoke(cli, ["create-device", "kiosk-1", "--kind", "kiosk"])
    kiosk_id = device(runtime, "kiosk-1").id
    out = commands.invoke(cli, ["set-device-liveness", str(kiosk_id), "off"])
    assert out.exit_code == 2 and json.loads(out.stderr)["error"] == "reason_required"
    assert device(runtime, "kiosk-1").liveness_required
    out = commands.invoke(
        cli, ["set-device-liveness", str(kiosk_id), "off", "--reason", "registration desk, staffed"]
    )
    assert out.exit_code == 0 and "liveness: off" in out.output, out.output
    assert not device(runtime, "kiosk-1").liveness_required
    assert ("device_liveness_off", f"device:{kiosk_id}", "registration desk, staffed") in (
        audit_actions(runtime)
    )
    out = commands.invoke(cli, ["set-device-liveness", str(kiosk_id), "on"])
    assert out.exit_code == 0 and device(runtime, "kiosk-1").liveness_required


def test_list_devices_shows_place_liveness_and_revocation(
    commands: CliRunner, runtime: Runtime, places: Places
) -> None:
    commands.invoke(
        cli, ["create-device", "kiosk-1", "--kind", "kiosk", "--gate", str(places.gate_id)]
    )
    commands.invoke(cli, ["create-device", "airport-1", "--kind", "airport_desk"])
    commands.invoke(cli, ["revoke-device", str(device(runtime, "airport-1").id)])
    out = commands.invoke(cli, ["list-devices"])
    assert out.exit_code == 0, out.output
    kiosk_line, airport_line = out.output.splitlines()[1:]
    assert f"gate:{places.gate_id} (MH-IN1)" in kiosk_line and " on " in kiosk_line
    assert kiosk_line.rstrip().endswith("-")
    assert "unbound" in airport_line and "off (staff-watched" in airport_line
    assert not airport_line.rstrip().endswith("-")


# -- the admin API --------------------------------------------------------------------------
def test_admin_binds_a_kiosk_and_the_list_shows_it(
    admin: Caller, runtime: Runtime, places: Places
) -> None:
    res = admin.post("/api/devices", json={"name": "kiosk-1", "kind": "kiosk"})
    assert res.status_code == 201 and res.json["place"] == "unbound"
    assert res.json["liveness_required"] is True
    kiosk_id = res.json["id"]
    res = admin.post(f"/api/devices/{kiosk_id}/binding", json={"gate_id": places.gate_id})
    assert res.status_code == 200 and res.json["place"] == f"gate:{places.gate_id}"
    listed = admin.get("/api/devices").json
    row = listed["devices"][0]
    assert (row["place"], row["place_code"], row["liveness_required"]) == (
        f"gate:{places.gate_id}",
        "MH-IN1",
        True,
    )
    assert [g["code"] for g in listed["places"]["gates"]] == ["MH-IN1", "MH-IN2"]
    assert listed["places"]["hotels"][0]["code"] == "FZH"
    res = admin.post(f"/api/devices/{kiosk_id}/binding", json={})
    assert res.json["place"] == "unbound"
    assert [r for a, _, r in audit_actions(runtime) if a == "device_bound"] == [
        f"gate:{places.gate_id}",
        "unbound",
    ]


@pytest.mark.parametrize(
    ("url", "body", "status", "code"),
    [
        ("/api/devices/{id}/binding", {"gate_id": 999}, 404, "gate_not_found"),
        ("/api/devices/{id}/binding", {"hotel_id": 999}, 400, "invalid_binding"),
        ("/api/devices/999/binding", {"gate_id": "GATE"}, 404, "device_not_found"),
        ("/api/devices/{id}/binding", {"gate_id": "1"}, 400, "validation_error"),
        ("/api/devices/{id}/liveness", {"required": False}, 400, "reason_required"),
        ("/api/devices/999/liveness", {"required": True}, 404, "device_not_found"),
        ("/api/devices/{id}/liveness", {"required": "no"}, 400, "validation_error"),
    ],
)
def test_bad_device_changes_are_refused_and_nothing_is_stored(
    admin: Caller,
    runtime: Runtime,
    places: Places,
    url: str,
    body: dict[str, object],
    status: int,
    code: str,
) -> None:
    kiosk_id = admin.post(
        "/api/devices", json={"name": "kiosk-1", "kind": "kiosk", "gate_id": places.gate_id}
    ).json["id"]
    body = {k: places.gate_id if v == "GATE" else v for k, v in body.items()}
    res = admin.post(url.format(id=kiosk_id), json=body)
    assert res.status_code == status, res.json
    assert res.json["error"] == code and res.json["message"]
    stored = device(runtime, "kiosk-1")
    assert stored.gate_id == places.gate_id and stored.liveness_required
    assert [a for a, _, _ in audit_actions(runtime)] == ["device_created"]


def test_admin_allows_still_photos_at_a_watched_kiosk_and_the_audit_log_shows_it(
    admin: Caller, places: Places
) -> None:
    kiosk_id = admin.post("/api/devices", json={"name": "kiosk-1", "kind": "kiosk"}).json["id"]
    res = admin.post(
        f"/api/devices/{kiosk_id}/liveness",
        json={"required": False, "reason": "registration desk, staffed all day"},
    )
    assert res.status_code == 200 and res.json["liveness_required"] is False
    assert admin.get("/api/devices").json["devices"][0]["liveness_required"] is False
    newest = admin.get("/api/audit").json["entries"][0]
    assert (newest["action"], newest["target"], newest["reason"]) == (
        "device_liveness_off",
        f"device:{kiosk_id}",
        "registration desk, staffed all day",
    )
    assert newest["actor"].startswith("staff:")


def test_create_device_through_the_api_takes_a_liveness_choice(admin: Caller) -> None:
    res = admin.post("/api/devices", json={"name": "gate-x", "kind": "gate", "liveness": False})
    assert res.status_code == 201 and res.json["liveness_required"] is False
    res = admin.post("/api/devices", json={"name": "k", "kind": "kiosk", "gate_id": 999})
    assert res.status_code == 404 and res.json["error"] == "gate_not_found"


def test_staff_and_security_may_not_change_devices(
    staff: Caller, security: Caller, admin: Caller
) -> None:
    kiosk_id = admin.post("/api/devices", json={"name": "kiosk-1", "kind": "kiosk"}).json["id"]
    for caller in (staff, security):
        res = caller.post(f"/api/devices/{kiosk_id}/liveness", json={"required": True})
        assert res.status_code == 403 and res.json["error"] == "forbidden"
        res = caller.post(f"/api/devices/{kiosk_id}/binding", json={})
        assert res.status_code == 403 and res.json["error"] == "forbidden"


def test_the_devices_page_is_for_admins_and_shows_its_texts_in_chinese(
    admin: Caller, staff: Caller
) -> None:
    page = admin.get("/console/devices")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "console-devices.js" in html and 'data-en="Devices"' in html and "活体检测" in html
    assert staff.get("/console/devices").status_code == 403


@pytest.mark.browser
def test_an_admin_binds_a_kiosk_and_allows_photos_on_the_devices_page(
    app: Flask, runtime: Runtime, places: Places
) -> None:
    from tests.browser_support import chromium, live_server

    with transaction(runtime.sessions) as db:
        accounts.create_user(db, "boss", PASSWORD, "admin")
        kiosk_id = accounts.create_device(db, "kiosk-1", "kiosk", "test")[0].id
    with chromium() as browser, live_server(app) as base:
        page = browser.new_page()
        page.request.post(f"{base}/api/auth/login", data={"username": "boss", "password": PASSWORD})
        page.goto(base + "/console/devices")
        page.wait_for_selector("body[data-ready='1']")
        row = f"#devices tr[data-id='{kiosk_id}']"
        assert page.inner_text(f"{row} td:nth-child(4)") == "未绑定"
        assert page.query_selector(f"{row} .badge.watched") is None
        page.select_option(f"{row} select", f"gate:{places.gate_id}")
        page.click(f"{row} td:nth-child(7) button")
        page.wait_for_selector(f"{row} td:nth-child(4):text-is('闸机 MH-IN1')")
        page.click(f"{row} td:nth-child(8) button")  # no reason: refused, in words
        page.wait_for_selector("#devices-status:has-text('需要填写理由')")
        page.fill(f"{row} td:nth-child(8) input", "registration desk, staffed")
        page.click(f"{row} td:nth-child(8) button")
        page.wait_for_selector(f"{row} .badge.watched:text-is('仅限有人值守：可用静态照片')")
        page.click("#lang")
        page.wait_for_selector(
            f"{row} .badge.watched:text-is('Staff-watched: still photos allowed')"
        )
    assert not device(runtime, "kiosk-1").liveness_required
    assert [a for a, _, _ in audit_actions(runtime)][-2:] == ["device_bound", "device_liveness_off"]
