"""A kiosk reads a delegate's trips only with an identification ticket it was issued for them.

The attack this closes: a kiosk token and an attendee id revealed anyone's car and flight.
Staff keep reading by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from checkin import identification
from checkin.codes import issue_code
from core.runtime import Runtime
from models import Attendee
from models.db import transaction
from tests.conftest import Caller, device_caller
from tests.transport.helpers import (
    NOW,
    SUMMIT,
    make_driver,
    make_hotel,
    make_leg,
    make_passengers,
    make_stay,
)
from transport.service import plan_pickups


@dataclass
class Riders:
    rider: int
    other: int


@pytest.fixture
def riders(runtime: Runtime) -> Riders:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        people = make_passengers(db, runtime.pii, 2)
        for person in people:
            make_stay(db, person, hotel, SUMMIT.date(), SUMMIT.date() + timedelta(days=1))
            make_leg(db, person, SUMMIT)
        make_driver(db)
    with transaction(runtime.sessions) as db:
        plan_pickups(db, now=NOW)
        return Riders(people[0].id, people[1].id)


def ticket_for(device: Caller, runtime: Runtime, attendee_id: int) -> str:
    res = device.post(
        "/api/recognition/identify-code",
        json={"code": issue_code(runtime, attendee_id), "purpose": "journey"},
    )
    assert res.status_code == 200 and res.json["ticket"], res.json
    return str(res.json["ticket"])


def trips_of(caller: Caller, attendee_id: int, **kw: Any) -> Any:
    return caller.get(f"/api/transport/attendees/{attendee_id}/trips", **kw)


def test_a_kiosk_with_its_own_ticket_sees_only_that_delegates_trip(
    kiosk: Caller, runtime: Runtime, riders: Riders
) -> None:
    ticket = ticket_for(kiosk, runtime, riders.rider)
    res = trips_of(kiosk, riders.rider, query_string={"ticket": ticket})
    assert res.status_code == 200, res.json
    (trip,) = res.json["trips"]
    assert [p["attendee_id"] for p in trip["passengers"]] == [riders.rider]
    again = kiosk.client.get(
        f"/api/transport/attendees/{riders.rider}/trips",
        headers={**kiosk.headers, "X-Identification-Ticket": ticket},
    )
    assert again.status_code == 200  # the header works too, and reading does not use it up


def test_a_kiosk_without_a_ticket_is_refused(kiosk: Caller, riders: Riders) -> None:
    res = trips_of(kiosk, riders.rider)
    assert (res.status_code, res.json["error"]) == (403, "ticket_required")
    assert "trips" not in res.json


def test_a_ticket_for_someone_else_does_not_open_another_delegates_trips(
    kiosk: Caller, runtime: Runtime, riders: Riders
) -> None:
    ticket = ticket_for(kiosk, runtime, riders.other)
    res = trips_of(kiosk, riders.rider, query_string={"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_attendee")


def test_another_kiosks_ticket_is_refused(
    app: Flask, kiosk: Caller, runtime: Runtime, riders: Riders
) -> None:
    ticket = ticket_for(device_caller(app, runtime, "kiosk", "kiosk-2"), runtime, riders.rider)
    res = trips_of(kiosk, riders.rider, query_string={"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "ticket_other_device")


def test_an_expired_ticket_is_refused(
    kiosk: Caller, runtime: Runtime, riders: Riders, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = ticket_for(kiosk, runtime, riders.rider)
    monkeypatch.setattr(identification, "TICKET_SECONDS", -1)
    res = trips_of(kiosk, riders.rider, query_string={"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "ticket_expired")


def test_a_forged_ticket_is_refused(kiosk: Caller, riders: Riders) -> None:
    signer = URLSafeTimedSerializer("guessed-secret", salt="identification-ticket")
    forged = signer.dumps({"d": kiosk.principal_id, "a": riders.rider, "p": "journey", "j": "x"})
    res = trips_of(kiosk, riders.rider, query_string={"ticket": forged})
    assert (res.status_code, res.json["error"]) == (403, "ticket_invalid")


def test_a_revoked_delegates_ticket_shows_nothing(
    kiosk: Caller, runtime: Runtime, riders: Riders
) -> None:
    ticket = ticket_for(kiosk, runtime, riders.rider)
    with transaction(runtime.sessions) as db:
        attendee = db.get(Attendee, riders.rider)
        assert attendee is not None
        attendee.revoked = True
    res = trips_of(kiosk, riders.rider, query_string={"ticket": ticket})
    assert (res.status_code, res.json["error"]) == (403, "attendee_revoked")


def test_staff_still_read_any_delegates_trips_by_id(staff: Caller, riders: Riders) -> None:
    res = trips_of(staff, riders.rider)
    assert res.status_code == 200 and len(res.json["trips"]) == 1
