"""No-show release after the cut-off: rooms go back, audited and alerted, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import SummitError
from core.runtime import Runtime
from hotel import release, service
from hotel.keys import KeyMaker
from models import Alert, AuditEntry, RoomBlock, RoomNight, Stay
from models.db import transaction
from tests.factories import make_attendee
from tests.hotel.helpers import ARRIVAL, NIGHTS, local, make_hotel, make_stay, pair


def release_at(rt: Runtime, day_index: int, hour: int) -> dict:  # type: ignore[type-arg]
    with transaction(rt.sessions) as db:
        return release.release_no_shows(db, local(NIGHTS[day_index], hour), "test")


def test_unclaimed_pre_assigned_room_is_released_after_the_cut_off_only(
    runtime: Runtime,
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        late = make_stay(db, make_attendee(db, runtime.pii).id, hotel).id
        arrived = make_stay(db, make_attendee(db, runtime.pii).id, hotel).id
        tomorrow = make_stay(
            db, make_attendee(db, runtime.pii).id, hotel, check_in_date=NIGHTS[1]
        ).id
        service.assign_room(db, late, "staff:1")
        service.check_in_guest(
            db, KeyMaker.from_runtime(runtime), arrived, "test", now=local(ARRIVAL, 18)
        )
    assert release_at(runtime, 1, 3)["released"] == 0  # 03:00: still before the 04:00 cut-off
    assert release_at(runtime, 1, 5) == {"released": 1, "by_hotel": {"HTL": 1}}
    assert release_at(runtime, 1, 6)["released"] == 0  # a second run changes nothing
    with transaction(runtime.sessions) as db:
        states = dict(db.execute(select(Stay.id, Stay.state)).all())
        assert states == {late: "no_show", arrived: "checked_in", tomorrow: "reserved"}
        assert db.get(Stay, late).room_id is None  # type: ignore[union-attr]
        assert db.scalar(select(func.count()).where(RoomNight.stay_id == late)) == 0
        assert db.scalar(select(func.sum(RoomBlock.used))) == len(NIGHTS)  # only `arrived`
        assert db.scalar(
            select(func.count()).where(
                AuditEntry.action == "hotel_no_show_released", AuditEntry.target == f"stay:{late}"
            )
        )
        assert db.scalar(select(func.count()).where(Alert.kind == "hotel_no_shows")) == 1
    with pytest.raises(SummitError) as err, transaction(runtime.sessions) as db:
        service.check_in_guest(
            db, KeyMaker.from_runtime(runtime), late, "test", now=local(NIGHTS[1], 9)
        )
    assert err.value.code == "reservation_released"


def test_no_show_partner_leaves_the_shared_room_to_the_one_who_came(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        came = make_stay(db, make_attendee(db, runtime.pii).id, hotel, "TWIN")
        absent = make_stay(db, make_attendee(db, runtime.pii).id, hotel, "TWIN")
        pair(db, came, absent)
        ids = came.id, absent.id
        service.check_in_guest(
            db, KeyMaker.from_runtime(runtime), came.id, "test", now=local(ARRIVAL, 18)
        )
    assert release_at(runtime, 1, 5)["released"] == 1
    with transaction(runtime.sessions) as db:
        ledger = db.execute(select(RoomNight.stay_id, func.count()).group_by(RoomNight.stay_id))
        assert dict(ledger.all()) == {ids[0]: len(NIGHTS)}
        assert db.scalar(select(func.sum(RoomBlock.used))) == len(NIGHTS)  # the room still used
