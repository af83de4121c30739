"""Check-in, check-out, room assignment and sharing, through the service functions."""

from __future__ import annotations

import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from checkin.journey import timeline
from core.errors import SummitError
from core.events import Published, subscribe
from core.runtime import Runtime
from hotel import service
from hotel.errors import RoomsShort
from hotel.keys import KeyMaker, read_qr_key, with_qr_images
from models import Alert, RoomBlock, RoomNight, Stay
from models.db import transaction
from tests.factories import make_attendee
from tests.hotel.helpers import ARRIVAL, DEPARTURE, NIGHTS, local, make_hotel, make_stay, pair

EVENING = local(ARRIVAL, 19)


def setup(rt: Runtime, n: int = 1, **hotel_kw: Any) -> tuple[int, list[int]]:
    with transaction(rt.sessions) as db:
        hotel = make_hotel(db, **hotel_kw)
        stays = [make_stay(db, make_attendee(db, rt.pii).id, hotel).id for _ in range(n)]
        return hotel.id, stays


def check_in(rt: Runtime, stay_id: int, **kw: Any) -> dict[str, Any]:
    kw.setdefault("now", EVENING)
    with transaction(rt.sessions) as db:
        return service.check_in_guest(db, KeyMaker.from_runtime(rt), stay_id, "test", **kw)


def decode_qr(data_uri: str) -> str:
    import base64

    png = base64.b64decode(data_uri.split(",", 1)[1])
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code found in the image"
    return found[0].text


def test_check_in_assigns_a_room_for_every_night_and_issues_a_working_key(runtime: Runtime) -> None:
    _hotel, (stay_id,) = setup(runtime)
    welcome = check_in(runtime, stay_id)
    assert welcome["state"] == "checked_in" and welcome["room"].startswith("K")
    assert len(welcome["key"]["pin"]) == 6 and welcome["key"]["pin"].isdigit()
    shown = with_qr_images(welcome)
    payload = read_qr_key(decode_qr(shown["key"]["qr_png"]), runtime.signing_key.public_key())
    assert payload["r"] == welcome["room"] and payload["s"] == stay_id
    assert decode_qr(shown["wifi"]["qr_png"]) == "WIFI:T:WPA;S:HTL-Guest;P:summit2026;;"
    with transaction(runtime.sessions) as db:
        nights = db.scalars(select(RoomNight.night).where(RoomNight.stay_id == stay_id)).all()
        assert sorted(nights) == NIGHTS
        assert db.scalar(select(func.sum(RoomBlock.used))) == 3
        stay = db.get(Stay, stay_id)
        assert stay and stay.key_pin_digest == KeyMaker.from_runtime(runtime).pin_digest(
            stay_id, welcome["key"]["pin"]
        )
        assert [s["stage"] for s in timeline(db, stay.attendee_id)][-1] == "hotel_checked_in"


def test_checked_in_event_carries_only_the_masked_name(runtime: Runtime) -> None:
    seen: list[Published] = []
    stop = subscribe(seen.append)
    try:
        _hotel, (stay_id,) = setup(runtime)
        check_in(runtime, stay_id)
    finally:
        stop()
    event = next(e for e in seen if e.name == "hotel_checked_in")
    assert event.payload["name"] == "张*三" and "console" in event.rooms


def test_sharing_partners_get_the_same_twin_room_and_one_block_count(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        a = make_stay(db, make_attendee(db, runtime.pii).id, hotel, "TWIN")
        b = make_stay(db, make_attendee(db, runtime.pii).id, hotel, "TWIN")
        pair(db, a, b)
        ids = (a.id, b.id)
    first = check_in(runtime, ids[1])
    second = check_in(runtime, ids[0])
    assert first["room"] == second["room"] and first["key"]["pin"] != second["key"]["pin"]
    with transaction(runtime.sessions) as db:
        used = db.scalar(select(func.sum(RoomBlock.used)))
        beds = db.scalars(select(RoomNight.bed).where(RoomNight.night == ARRIVAL)).all()
    assert used == len(NIGHTS) and sorted(beds) == [1, 2]


def test_vip_takes_the_vip_sub_block_before_the_general_one(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db, rooms={"SUITE": 3}, vip_suites=1)
        vip = make_stay(
            db,
            make_attendee(db, runtime.pii, category="vip").id,
            hotel,
            "SUITE",
            block_category="vip",
        )
        vip_id = vip.id
    check_in(runtime, vip_id)
    with transaction(runtime.sessions) as db:
        used = dict(
            db.execute(
                select(RoomBlock.category, func.sum(RoomBlock.used)).group_by(RoomBlock.category)
            ).all()
        )
    assert used == {"vip": 3, "": 0}


def test_full_block_raises_rooms_short_keeps_one_alert_and_assigns_nothing(
    runtime: Runtime,
) -> None:
    _hotel, stays = setup(runtime, n=3, rooms={"KING": 3}, allotment={"KING": 2})
    assert check_in(runtime, stays[0])["state"] == "checked_in"
    assert check_in(runtime, stays[1])["state"] == "checked_in"
    for _ in range(2):
        with pytest.raises(RoomsShort):
            check_in(runtime, stays[2])
    with transaction(runtime.sessions) as db:
        stay = db.get(Stay, stays[2])
        assert stay and stay.state == "reserved" and stay.room_id is None
        assert (
            db.scalar(
                select(func.count()).select_from(RoomNight).where(RoomNight.stay_id == stays[2])
            )
            == 0
        )
        assert db.scalar(select(func.count(Alert.id)).where(Alert.kind == "hotel_rooms_short")) == 1


def test_check_out_frees_remaining_nights_and_records_the_journey(runtime: Runtime) -> None:
    _hotel, (stay_id,) = setup(runtime)
    check_in(runtime, stay_id)
    seen: list[Published] = []
    stop = subscribe(seen.append)
    try:
        with transaction(runtime.sessions) as db:  # leaves a day early, after the first night
            result = service.check_out_guest(db, stay_id, "test", now=local(NIGHTS[1], 9))
    finally:
        stop()
    assert result["state"] == "checked_out" and result["nights_released"] == 2
    assert not result["late"]
    with transaction(runtime.sessions) as db:
        assert db.scalars(select(RoomNight.night)).all() == [ARRIVAL]
        assert db.scalar(select(func.sum(RoomBlock.used))) == 1
        stay = db.get(Stay, stay_id)
        assert stay and timeline(db, stay.attendee_id)[-1]["stage"] == "hotel_checked_out"
    out = next(e for e in seen if e.name == "hotel_checked_out")
    assert out.payload["early_departure"] and out.payload["travel_minutes_airport"] == 45


def test_check_out_after_noon_on_departure_day_is_late(runtime: Runtime) -> None:
    _hotel, (stay_id,) = setup(runtime)
    check_in(runtime, stay_id)
    with transaction(runtime.sessions) as db:
        result = service.check_out_guest(db, stay_id, "test", now=local(DEPARTURE, 13))
    assert result["late"] and result["nights_released"] == 0


def test_arrival_before_the_hotel_opens_rooms_is_flagged_early(runtime: Runtime) -> None:
    _hotel, (stay_id,) = setup(runtime)
    assert check_in(runtime, stay_id, now=local(ARRIVAL, 9))["early"] is True


def test_late_arrival_after_midnight_counts_for_the_first_night(runtime: Runtime) -> None:
    _hotel, (stay_id,) = setup(runtime)
    assert check_in(runtime, stay_id, now=local(NIGHTS[1], 2))["early"] is False
    with transaction(runtime.sessions) as db:
        assert sorted(db.scalars(select(RoomNight.night)).all()) == NIGHTS


def test_pre_assigned_room_is_kept_at_check_in(runtime: Runtime) -> None:
    _hotel, (stay_id,) = setup(runtime)
    with transaction(runtime.sessions) as db:
        assigned = service.assign_room(db, stay_id, "staff:1")
    assert check_in(runtime, stay_id)["room"] == assigned["room"]
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(func.sum(RoomBlock.used))) == 3


@pytest.mark.parametrize(
    ("when", "code"),
    [(local(ARRIVAL, 5), "too_early"), (local(DEPARTURE, 10), "reservation_ended")],
)
def test_check_in_outside_the_reservation_dates_is_refused(
    runtime: Runtime, when: Any, code: str
) -> None:
    _hotel, (stay_id,) = setup(runtime)
    with pytest.raises(SummitError) as err:
        check_in(runtime, stay_id, now=when)
    assert err.value.code == code


def test_room_taken_by_another_kiosk_meanwhile_is_skipped_and_counted_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotel import allocation

    _hotel, (first, second) = setup(runtime, n=2)
    taken = check_in(runtime, first)["room"]
    with transaction(runtime.sessions) as db:
        taken_id = db.scalar(select(RoomNight.room_id).where(RoomNight.stay_id == first))
    real = allocation._pick_free_room
    picks: list[int | None] = []

    def stale_first(*args: Any) -> int | None:
        # Simulates the read another kiosk made before the first room was committed.
        picks.append(taken_id if not picks else real(*args))
        return picks[-1]

    monkeypatch.setattr(allocation, "_pick_free_room", stale_first)
    assert check_in(runtime, second)["room"] != taken
    assert len(picks) == 2
    with transaction(runtime.sessions) as db:
        assert db.scalar(select(func.sum(RoomBlock.used))) == 2 * len(NIGHTS)


def test_partner_leaving_early_keeps_the_shared_room_for_the_one_who_stays(
    runtime: Runtime,
) -> None:
    with transaction(runtime.sessions) as db:
        hotel = make_hotel(db)
        a = make_stay(db, make_attendee(db, runtime.pii).id, hotel, "TWIN")
        b = make_stay(db, make_attendee(db, runtime.pii).id, hotel, "TWIN")
        pair(db, a, b)
        ids = (a.id, b.id)
    check_in(runtime, ids[0])
    check_in(runtime, ids[1])
    with transaction(runtime.sessions) as db:
        left = service.check_out_guest(db, ids[0], "test", now=local(NIGHTS[1], 9))
    assert left["nights_released"] == 2
    with transaction(runtime.sessions) as db:
        remaining = db.execute(select(RoomNight.stay_id, RoomNight.night)).all()
        assert sorted(remaining) == sorted([(ids[0], ARRIVAL)] + [(ids[1], n) for n in NIGHTS])
        assert db.scalar(select(func.sum(RoomBlock.used))) == len(NIGHTS)  # still one room
