"""The attacks of issue 13, tried against a running server (`python run.py serve`) as an
attacker with a stolen device token and a printed photo would: each is refused with a clear
error, and nothing is stored.

One demo summit (60 attendees, arrivals from yesterday) is seeded into a fresh instance; one
delegate with a hotel reservation has a face enrolled through the staff API.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.clock import utcnow
from models import AccessEvent, Attendee, Gate, Hotel, Stay, TicketUse
from seed.venue import open_around
from tests.conftest import SHARED_FACES
from tests.servers import run_cli, server

pytestmark = pytest.mark.slow
PHOTO = "enroll/obama/obama.jpg"
PROBE = "probe/obama1.jpg"


@dataclass
class Summit:
    base: str
    instance: Path
    db: Engine
    tokens: dict[str, str]
    attendee_id: int
    hotel_desk: str  # the token of the desk at the delegate's hotel
    gate_id: int  # the gate kiosk-1 is bound to
    other_gate_id: int  # a gate it is not bound to (the VIP entrance)
    photo: bytes
    probe: bytes

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def count(self, model: Any, *where: Any) -> int:
        with self.db.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def code(self) -> str:
        out = run_cli(self.instance, "issue-entrance-code", "--attendee", str(self.attendee_id))
        return out.strip().split()[-1]


def _staff(base: str) -> tuple[requests.Session, dict[str, str]]:
    http = requests.Session()
    res = http.post(
        f"{base}/api/auth/login", json={"username": "admin", "password": "admin-demo-2026"}
    )
    res.raise_for_status()
    return http, {"X-CSRF-Token": res.json()["csrf"]}


def _delegate_with_a_stay(db: Engine) -> tuple[int, str]:
    """A consenting delegate whose reservation is open tonight, and their hotel's code."""
    with db.connect() as conn:
        row = conn.execute(
            select(Stay.attendee_id, Hotel.code)
            .join(Hotel, Hotel.id == Stay.hotel_id)
            .join(Attendee, Attendee.id == Stay.attendee_id)
            .where(
                Stay.state == "reserved",
                Stay.check_in_date <= date.today(),
                Stay.check_out_date > date.today(),
                Attendee.consent_face.is_(True),
                Attendee.revoked.is_(False),
            )
            .order_by(Stay.id)
        ).first()
    assert row is not None, "the demo seed has no reservation open tonight"
    return int(row[0]), str(row[1])


@pytest.fixture(scope="module")
def summit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Summit]:
    if not SHARED_FACES.exists():
        pytest.skip(f"{SHARED_FACES} is absent; the face attacks need real photos")
    instance = tmp_path_factory.mktemp("attacks")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    run_cli(instance, "seed-demo", "--attendees", "60", "--start", yesterday)
    tokens = json.loads((instance / "demo-tokens.json").read_text())
    db = create_engine(f"sqlite:///{instance / 'summit.db'}")
    with Session(db) as session:  # gates open at whatever hour the tests run
        open_around(session, utcnow())
        session.commit()
    attendee_id, hotel_code = _delegate_with_a_stay(db)
    with db.connect() as conn:
        gates = {code: gid for gid, code in conn.execute(select(Gate.id, Gate.code))}
    devices = run_cli(instance, "list-devices")
    bound = next(line for line in devices.splitlines() if "kiosk-1" in line)
    gate_id = next(gid for code, gid in gates.items() if f"gate:{gid}" in bound.split())
    photo = (SHARED_FACES / PHOTO).read_bytes()
    with server(instance) as base:
        http, csrf = _staff(base)
        res = http.post(
            f"{base}/api/attendees/{attendee_id}/faces",
            headers=csrf,
            files={"image": ("f.jpg", io.BytesIO(photo), "image/jpeg")},
        )
        assert res.status_code == 201, res.text
        yield Summit(
            base,
            instance,
            db,
            tokens,
            attendee_id,
            f"hotel-desk-{hotel_code}",
            gate_id,
            gates["VIP-IN1"],
            photo,
            (SHARED_FACES / PROBE).read_bytes(),
        )
    db.dispose()


def _photo(data: bytes) -> dict[str, Any]:
    return {"image": ("p.jpg", io.BytesIO(data), "image/jpeg")}


def test_a_still_photo_gets_no_room_key_at_the_hotel_kiosk(summit: Summit) -> None:
    res = requests.post(
        f"{summit.base}/api/hotel/kiosk/identify",
        headers=summit.auth(summit.hotel_desk),
        files=_photo(summit.probe),
        timeout=60,
    )
    assert res.status_code == 403, res.text
    assert res.json()["error"] == "liveness_required" and "ticket" not in res.json()
    forged = requests.post(
        f"{summit.base}/api/hotel/kiosk/check-in",
        headers=summit.auth(summit.hotel_desk),
        json={"ticket": "eyJkIjoxfQ.forged.signature-of-nobody"},
        timeout=30,
    )
    assert forged.status_code == 403 and forged.json()["error"] == "ticket_invalid"
    assert summit.count(Stay, Stay.attendee_id == summit.attendee_id, Stay.state != "reserved") == 0
    assert summit.count(TicketUse) == 0


def test_a_still_photo_admits_nobody_at_a_gate_and_a_kiosk_acts_only_at_its_own_gate(
    summit: Summit,
) -> None:
    import base64

    image = base64.b64encode(summit.probe).decode()
    body = {"method": "face", "nonce": "attack-photo-1", "image": image}
    at_own_gate = requests.post(
        f"{summit.base}/api/gates/{summit.gate_id}/pass",
        headers=summit.auth("kiosk-1"),
        json=body,
        timeout=60,
    )
    assert at_own_gate.status_code == 200, at_own_gate.text
    assert at_own_gate.json()["granted"] is False
    assert at_own_gate.json()["reason"] == "liveness_required"
    before = summit.count(AccessEvent, AccessEvent.gate_id == summit.other_gate_id)
    elsewhere = requests.post(
        f"{summit.base}/api/gates/{summit.other_gate_id}/pass",
        headers=summit.auth("kiosk-1"),
        json={**body, "nonce": "attack-photo-2"},
        timeout=60,
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "wrong_gate"
    assert summit.count(AccessEvent, AccessEvent.gate_id == summit.other_gate_id) == before


def _ticket(summit: Summit, device: str, purpose: str = "assistant") -> str:
    res = requests.post(
        f"{summit.base}/api/recognition/identify-code",
        headers=summit.auth(device),
        json={"code": summit.code(), "purpose": purpose},
        timeout=30,
    )
    assert res.status_code == 200, res.text
    return str(res.json()["ticket"])


def _say(text: str, folder: Path) -> bytes:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is needed to make test speech")
    path = folder / "q.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True, timeout=60)
    return path.read_bytes()


def test_personal_answers_and_trips_need_a_ticket_from_the_same_device(
    summit: Summit, tmp_path: Path
) -> None:
    audio = _say("where is my hotel", tmp_path)
    other_ticket = _ticket(summit, "kiosk-2")

    def ask(**params: str) -> requests.Response:
        return requests.post(
            f"{summit.base}/api/speech/query",
            headers={**summit.auth("kiosk-1"), "Content-Type": "audio/wav"},
            params=params,
            data=audio,
            timeout=120,
        )

    claimed = ask(attendee_id=str(summit.attendee_id))
    assert claimed.status_code == 400 and claimed.json()["error"] == "validation_error"
    borrowed = ask(ticket=other_ticket)
    assert borrowed.status_code == 403 and borrowed.json()["error"] == "ticket_other_device"
    trips = f"{summit.base}/api/transport/attendees/{summit.attendee_id}/trips"
    bare = requests.get(trips, headers=summit.auth("kiosk-1"), timeout=30)
    assert bare.status_code == 403
    assert bare.json()["error"] in ("ticket_required", "ticket_invalid")
    foreign = requests.get(
        trips, headers=summit.auth("kiosk-1"), params={"ticket": other_ticket}, timeout=30
    )
    assert foreign.status_code == 403 and foreign.json()["error"] == "ticket_other_device"
    own = requests.get(
        trips,
        headers=summit.auth("kiosk-2"),
        params={"ticket": other_ticket},
        timeout=30,
    )
    assert own.status_code == 200, own.text


def test_an_entrance_code_already_used_gets_no_key_and_a_ticket_works_once(
    summit: Summit,
) -> None:
    code = summit.code()
    used = requests.post(
        f"{summit.base}/api/hotel/kiosk/identify",
        headers=summit.auth(summit.hotel_desk),
        json={"code": code},
        timeout=30,
    )
    assert used.status_code == 200, used.text
    ticket = used.json()["ticket"]
    again = requests.post(
        f"{summit.base}/api/hotel/kiosk/identify",
        headers=summit.auth(summit.hotel_desk),
        json={"code": code},
        timeout=30,
    )
    assert again.status_code == 409 and again.json()["error"] == "code_replayed"
    first = requests.post(
        f"{summit.base}/api/hotel/kiosk/check-in",
        headers=summit.auth(summit.hotel_desk),
        json={"ticket": ticket},
        timeout=30,
    )
    assert first.status_code == 200, first.text
    replay = requests.post(
        f"{summit.base}/api/hotel/kiosk/check-in",
        headers=summit.auth(summit.hotel_desk),
        json={"ticket": ticket},
        timeout=30,
    )
    assert replay.status_code == 403 and replay.json()["error"] == "ticket_used"
    assert summit.count(TicketUse, TicketUse.attendee_id == summit.attendee_id) == 1


def test_a_code_used_at_a_gate_gets_no_key_and_a_gate_refuses_a_still_photo(
    summit: Summit,
) -> None:
    code = summit.code()
    at_gate = requests.post(
        f"{summit.base}/api/gates/{summit.gate_id}/pass",
        headers=summit.auth("kiosk-1"),
        json={"method": "code", "nonce": "attack-code-gate-1", "code": code},
        timeout=30,
    )
    assert at_gate.status_code == 200, at_gate.text
    assert at_gate.json()["granted"] is True, at_gate.json()
    keys_before = summit.count(TicketUse)
    at_hotel = requests.post(
        f"{summit.base}/api/hotel/kiosk/identify",
        headers=summit.auth(summit.hotel_desk),
        json={"code": code},
        timeout=30,
    )
    assert at_hotel.status_code == 409 and at_hotel.json()["error"] == "code_replayed"
    assert "ticket" not in at_hotel.json()
    assert summit.count(TicketUse) == keys_before
    import base64

    gate_device = next(name for name in summit.tokens if name.startswith("gate-MH-IN"))
    with summit.db.connect() as conn:
        gate_id = conn.scalar(select(Gate.id).where(Gate.code == gate_device.removeprefix("gate-")))
    photo = requests.post(
        f"{summit.base}/api/gates/{gate_id}/pass",
        headers=summit.auth(gate_device),
        json={
            "method": "face",
            "nonce": "attack-photo-gate-1",
            "image": base64.b64encode(summit.probe).decode(),
        },
        timeout=60,
    )
    assert photo.status_code == 200 and photo.json()["granted"] is False
    assert photo.json()["reason"] == "liveness_required"
