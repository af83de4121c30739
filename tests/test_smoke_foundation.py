from tests.conftest import Caller


def test_staff_registers_attendee_and_sees_masked_data(staff: Caller) -> None:
    res = staff.post(
        "/api/attendees",
        json={
            "name": "张小三",
            "category": "delegate",
            "id_type": "cn_resident",
            "id_number": "11010519491231002X",
            "phone": "+8613812345678",
            "consent_face": True,
        },
    )
    assert res.status_code == 201, res.json
    assert res.json["name"] == "张*三"
    assert res.json["phone"] == "+86138****5678"
    assert res.json["id_number"] == "1101**********002X"
    detail = staff.get(f"/api/attendees/{res.json['id']}").json
    assert [s["stage"] for s in detail["journey"]] == ["registered"]
