"""Registration over the JSON API: rules, duplicates, masking, unmasking, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core.runtime import Runtime
from models import Attendee, AuditEntry, JourneyStep
from tests.conftest import Caller
from tests.factories import resident_id


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "王小明",
        "category": "delegate",
        "id_type": "cn_resident",
        "id_number": resident_id(),
        "phone": "+8613912345678",
        "email": "wang@example.cn",
        "organisation": "福州大学",
        "consent_face": True,
    }
    data.update(overrides)
    return data


def count_attendees(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count(Attendee.id))) or 0


def test_registration_records_consent_time_and_the_registered_stage(
    staff: Caller, runtime: Runtime
) -> None:
    res = staff.post("/api/attendees", json=body())
    assert res.status_code == 201
    assert res.json["consent_face"] is True and res.json["consent_face_at"]
    with runtime.sessions() as db:
        stages = db.scalars(select(JourneyStep.stage)).all()
    assert stages == ["registered"]


def test_id_numbers_are_stored_encrypted_not_in_clear(staff: Caller, runtime: Runtime) -> None:
    number = resident_id()
    staff.post("/api/attendees", json=body(id_number=number))
    with runtime.sessions() as db:
        row = db.scalars(select(Attendee)).one()
    assert number.encode() not in row.id_cipher
    assert number not in row.id_digest and row.id_masked != number


def test_duplicate_real_name_id_is_refused_with_409(staff: Caller, runtime: Runtime) -> None:
    number = resident_id()
    assert staff.post("/api/attendees", json=body(id_number=number)).status_code == 201
    res = staff.post("/api/attendees", json=body(id_number=number, name="李四"))
    assert res.status_code == 409
    assert res.json["error"] == "duplicate_id"
    assert count_attendees(runtime) == 1


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"id_number": "110105194912310021"}, 400, "invalid_id_check_digit"),
        ({"phone": "13812345678"}, 400, "invalid_phone"),
        ({"email": "not-an-email"}, 400, "invalid_email"),
        ({"name": "<b>x</b>"}, 400, "invalid_name"),
        ({"category": "king"}, 400, "invalid_category"),
        ({"id_type": "library_card"}, 400, "invalid_id_type"),
        ({"nationality": "CHN"}, 400, "invalid_nationality"),
        ({"language": "xx"}, 400, "invalid_language"),
        ({"consent_face": "yes"}, 400, "validation_error"),
        ({"name": 42}, 400, "validation_error"),
        ({"name": "名" * 1_000_000}, 400, "validation_error"),
        ({"unexpected": 1}, 400, "validation_error"),
    ],
)
def test_each_bad_field_gets_its_code_and_nothing_is_stored(
    staff: Caller, runtime: Runtime, overrides: dict[str, Any], status: int, code: str
) -> None:
    res = staff.post("/api/attendees", json=body(**overrides))
    assert res.status_code == status
    assert res.json["error"] == code and res.json["message"]
    assert count_attendees(runtime) == 0


def test_malformed_json_and_missing_fields_are_refused(staff: Caller, runtime: Runtime) -> None:
    res = staff.post("/api/attendees", data="{not json", content_type="application/json")
    assert res.status_code == 400 and res.json["error"] == "malformed_json"
    res = staff.post("/api/attendees", json=[1, 2])
    assert res.json["error"] == "validation_error"
    res = staff.post("/api/attendees", json={"name": "王五"})
    assert res.json["error"] == "validation_error"
    assert {f["field"] for f in res.json["fields"]} >= {"category", "id_type", "id_number"}
    assert count_attendees(runtime) == 0


def test_oversize_body_is_refused_before_parsing(staff: Caller, runtime: Runtime) -> None:
    res = staff.post(
        "/api/attendees", data=b"x" * (9 * 1024 * 1024), content_type="application/json"
    )
    assert res.status_code == 413 and res.json["error"] == "payload_too_large"
    assert count_attendees(runtime) == 0


def test_update_changes_profile_and_refuses_identity_edits(staff: Caller) -> None:
    created = staff.post("/api/attendees", json=body()).json
    res = staff.patch(
        f"/api/attendees/{created['id']}",
        json={"organisation": "新大陆", "phone": "+8615012345678"},
    )
    assert res.status_code == 200 and res.json["organisation"] == "新大陆"
    assert res.json["phone"] == "+86150****5678"
    res = staff.patch(f"/api/attendees/{created['id']}", json={"id_number": "X"})
    assert res.json["error"] == "validation_error"
    res = staff.patch(f"/api/attendees/{created['id']}", json={"phone": "bad"})
    assert res.json["error"] == "invalid_phone"
    assert staff.get(f"/api/attendees/{created['id']}").json["phone"] == "+86150****5678"
    assert (
        staff.patch("/api/attendees/99999", json={"organisation": "x"}).json["error"]
        == "attendee_not_found"
    )


def test_search_finds_by_pinyin_organisation_and_id_tail(staff: Caller) -> None:
    number = resident_id()
    staff.post("/api/attendees", json=body(name="陈晓东", id_number=number))
    for q in ("chen xiao", "chenxiaodong", "福州大学", number[-4:]):
        results = staff.get(f"/api/attendees?q={q}").json["results"]
        assert [r["name"] for r in results] == ["陈*东"], q
    assert staff.get("/api/attendees?q=").json["error"] == "invalid_query"


def test_unmask_is_admin_only_needs_a_reason_and_is_audited(
    staff: Caller, admin: Caller, runtime: Runtime
) -> None:
    number = resident_id()
    created = staff.post("/api/attendees", json=body(id_number=number)).json
    url = f"/api/attendees/{created['id']}/unmask"
    assert staff.post(url, json={"reason": "checking passport at desk"}).status_code == 403
    assert admin.post(url, json={"reason": ""}).json["error"] == "reason_required"
    res = admin.post(url, json={"reason": "guest lost badge, desk 3"})
    assert res.status_code == 200
    assert res.json["id_number"] == number and res.json["name"] == "王小明"
    with runtime.sessions() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "attendee_unmasked")).one()
    assert entry.reason == "guest lost badge, desk 3" and entry.actor.startswith("staff:")


def test_withdrawing_face_consent_clears_the_consent_time(staff: Caller) -> None:
    created = staff.post("/api/attendees", json=body()).json
    res = staff.patch(f"/api/attendees/{created['id']}", json={"consent_face": False})
    assert res.json["consent_face"] is False and res.json["consent_face_at"] is None
