"""A shortage is an error that nothing assigned, with one alert that outlives the rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.alerts import raise_alert
from core.errors import Conflict
from core.runtime import Runtime
from hotel import allocation, service, shortage
from hotel.clock import nights_between
from hotel.errors import HotelConflict, HotelError, HotelInvalid, HotelNotFound, RoomsShort
from models import Alert, RoomNight, Stay
from models.db import transaction
from tests.factories import make_attendee
from tests.hotel.helpers import ARRIVAL, make_hotel, make_stay


def assign(runtime: Runtime, stay_id: int) -> None:
    """What a desk does: allocate the stay's nights, refusing with the alert when none is left."""
    with transaction(runtime.sessions) as db:
        stay = db.get(Stay, stay_id)
        assert stay is not None
        try:
            allocation.allocate(db, stay, nights_between(stay.check_in_date, stay.check_out_date))
        except RoomsShort as exc:
            shortage.refuse(db, stay, exc)


def test_a_full_block_raises_rooms_short_keeps_one_alert_and_assigns_nothing(
    runtime: Runtime,
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, rooms={"KING": 2}, allotment={"KING": 1})
        stays = [make_stay(db, make_attendee(db, runtime.pii).id, hotel).id for _ in range(2)]
    assign(runtime, stays[0])
    for _ in range(2):
        with pytest.raises(RoomsShort) as raised:
            assign(runtime, stays[1])
        assert (raised.value.code, raised.value.status) == ("rooms_short", 409)
        assert raised.value.to_dict()["night"]
    with runtime.sessions() as db:
        stay = db.get(Stay, stays[1])
        assert stay is not None and stay.room_id is None and stay.state == "reserved"
        nights = select(func.count(RoomNight.id)).where(RoomNight.stay_id == stays[1])
        assert db.scalar(nights) == 0
        assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "hotel_rooms_short")) == 1


def test_hotel_errors_are_the_core_error_of_their_http_meaning() -> None:
    assert issubclass(RoomsShort, HotelConflict) and issubclass(RoomsShort, Conflict)
    for cls, status in ((HotelNotFound, 404), (HotelConflict, 409), (HotelInvalid, 400)):
        assert issubclass(cls, HotelError) and cls.status == status


def test_a_refusal_stores_only_its_alert_not_the_callers_other_pending_writes(
    runtime: Runtime,
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, rooms={"KING": 1}, allotment={"KING": 0})
        stay_id = make_stay(db, make_attendee(db, runtime.pii).id, hotel).id
    with pytest.raises(RoomsShort), transaction(runtime.sessions) as db:
        raise_alert(db, "pending_work", "written before the shortage, like a spent ticket")
        service.assign_room(db, stay_id, "staff:1")
    with runtime.sessions() as db:
        kinds = list(db.scalars(select(Alert.kind)))
        assert kinds == ["hotel_rooms_short"]


def test_assigning_arrivals_keeps_the_rooms_given_before_a_shortage(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, rooms={"KING": 2}, allotment={"KING": 1})
        stays = [make_stay(db, make_attendee(db, runtime.pii).id, hotel).id for _ in range(2)]
    with transaction(runtime.sessions) as db:
        done = service.assign_arrivals(db, ARRIVAL, "staff:1")
    assert done == {"assigned": 1, "rooms_short": 1}
    with runtime.sessions() as db:
        rooms = [db.get(Stay, s).room_id for s in stays]  # type: ignore[union-attr]
        assert rooms[0] is not None and rooms[1] is None
        assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "hotel_rooms_short")) == 1
