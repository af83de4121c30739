"""How each actor behaves: airport desk, drivers, delegates (phones), gates, hotel desks, kiosks."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from core.clock import iso
from rehearsal.actors import Api, LiveClient, Metrics, Phone, nonce
from rehearsal.engine import Scheduler
from rehearsal.plan import GateVisit, Landing, Plan


def _naive_utc(value: str) -> datetime:
    """An ISO time from the API as naive UTC, as the clocks here count."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@dataclass
class Devices:
    """Bearer-token clients for every device the rehearsal uses."""

    airport: Api
    gates: dict[int, Api]
    hotels: dict[int, Api]
    kiosk: Api
    drivers: dict[int, str]  # driver id -> token


@dataclass
class World:
    base: str
    plan: Plan
    scheduler: Scheduler
    metrics: Metrics
    admin: Api
    devices: Devices
    rng: random.Random
    questions_audio: list[Path]
    hotel_of: dict[int, int]  # attendee id -> hotel id of their stay
    phones: dict[int, Phone] = field(default_factory=dict)
    drivers: dict[int, DriverActor] = field(default_factory=dict)
    checked_out: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def phone(self, attendee_id: int) -> Phone:
        with self.lock:
            if attendee_id not in self.phones:
                self.phones[attendee_id] = Phone(self.base, self.metrics, self.admin, attendee_id)
            return self.phones[attendee_id]

    # -- airport ---------------------------------------------------------------------------

    def schedule_landings(self, since: datetime | None = None) -> None:
        for landing in self.plan.landings:
            if since is not None and landing.landing < since:
                continue
            if landing.delayed_by:
                self.scheduler.at(landing.announce_at, partial(self.announce_delay, landing))
            self.scheduler.at(landing.landing, partial(self.land, landing))

    def announce_delay(self, landing: Landing) -> None:
        status, _ = self.devices.airport.post(
            "flight_estimate",
            f"/api/flights/{landing.leg_ids[0]}/estimate",
            json={"estimated_at": iso(landing.landing)},
        )
        self.metrics.outcome("delay_announced", str(status))

    def land(self, landing: Landing) -> None:
        status, _ = self.devices.airport.post(
            "flight_landed",
            f"/api/flights/{landing.leg_ids[0]}/landed",
            json={"landed_at": iso(landing.landing)},
        )
        self.metrics.outcome("landed", str(status))

    # -- venue gates -----------------------------------------------------------------------

    def schedule_visits(self, since: datetime | None = None) -> None:
        for visit in self.plan.visits:
            if since is not None and visit.served < since:
                continue
            self.scheduler.at(visit.served, partial(self.enter, visit))

    def enter(self, visit: GateVisit) -> None:
        code = self.phone(visit.attendee_id).entrance_code()
        if code is None:
            self.metrics.outcome("gate", "no_code")
            return
        status, answer = self.devices.gates[visit.gate_id].post(
            "gate_pass",
            f"/api/gates/{visit.gate_id}/pass",
            json={"method": "code", "code": code, "nonce": nonce()},
        )
        reason = answer.get("reason") or answer.get("error") or str(status)
        self.metrics.outcome("gate_granted" if answer.get("granted") else "gate_denied", reason)
        if answer.get("granted") and visit.exit_gate_id is not None:
            self.scheduler.at(visit.leave, partial(self.leave, visit))

    def leave(self, visit: GateVisit) -> None:
        code = self.phone(visit.attendee_id).entrance_code()
        gate_id = visit.exit_gate_id
        if code is None or gate_id is None:
            return
        _status, answer = self.devices.gates[gate_id].post(
            "gate_exit",
            f"/api/gates/{gate_id}/pass",
            json={"method": "code", "code": code, "nonce": nonce()},
        )
        self.metrics.outcome("exit", answer.get("reason") or answer.get("error") or "?")

    # -- kiosk questions -------------------------------------------------------------------

    def schedule_questions(self, since: datetime | None = None) -> None:
        if not self.questions_audio:
            return
        for when, attendee_id in self.plan.questions:
            if since is not None and when < since:
                continue
            self.scheduler.at(when, partial(self.ask, attendee_id))

    def ask(self, attendee_id: int) -> None:
        """At the assistant kiosk: show the entrance code for a ticket, then ask by voice."""
        code = self.phone(attendee_id).entrance_code()
        if code is None:
            self.metrics.outcome("question", "no_code")
            return
        status, found = self.devices.kiosk.post(
            "identify_code",
            "/api/recognition/identify-code",
            json={"code": code, "purpose": "assistant"},
        )
        if status != 200 or not found.get("ticket"):
            self.metrics.outcome(
                "question", found.get("reason") or found.get("error") or str(status)
            )
            return
        audio = self.rng.choice(self.questions_audio)
        with audio.open("rb") as fh:
            status, answer = self.devices.kiosk.post(
                "speech_query",
                "/api/speech/query",
                params={"language": "en", "ticket": found["ticket"]},
                files={"audio": (audio.name, fh, "audio/wav")},
            )
        self.metrics.outcome("question", answer.get("intent") or answer.get("error") or str(status))

    # -- hotels ----------------------------------------------------------------------------

    def hotel_visit(
        self, attendee_id: int, hotel_id: int | None, action: str, retries: int = 3
    ) -> None:
        """At the lobby kiosk: show the entrance code, then do what the kiosk offers."""
        desk = self.devices.hotels.get(hotel_id) if hotel_id else None
        if desk is None:
            return  # no reservation: this attendee sleeps elsewhere
        code = self.phone(attendee_id).entrance_code()
        if code is None:
            self.metrics.outcome(f"hotel_{action}", "no_code")
            return
        status, found = desk.post(
            "hotel_identify", "/api/hotel/kiosk/identify", json={"code": code}
        )
        offered = (found.get("action") or "").replace("_", "-")
        if status != 200 or not found.get("ticket"):
            self.metrics.outcome(f"hotel_{action}", found.get("error") or str(status))
            return
        if offered != action:  # e.g. checking out without ever having checked in
            self.metrics.outcome(f"hotel_{action}", f"kiosk_offers_{offered or 'nothing'}")
            return
        status, result = desk.post(
            f"hotel_{action}", f"/api/hotel/kiosk/{action}", json={"ticket": found["ticket"]}
        )
        error = result.get("error") or ""
        self.metrics.outcome(f"hotel_{action}", error or str(status))
        if error == "too_early" and retries > 0:  # leaves the bags and comes back later
            later = self.scheduler.clock.now() + timedelta(hours=2)
            self.scheduler.at(
                later, partial(self.hotel_visit, attendee_id, hotel_id, action, retries - 1)
            )

    # -- drivers ---------------------------------------------------------------------------

    def start_drivers(self) -> None:
        for driver_id, token in self.devices.drivers.items():
            actor = DriverActor(self, driver_id, token)
            self.drivers[driver_id] = actor
            actor.start()

    def stop_drivers(self) -> None:
        for actor in self.drivers.values():
            actor.live.close()


def _plan_key(trip: dict[str, Any]) -> tuple[Any, ...]:
    """What a driver plans by: times and passengers (not the version, which every step bumps)."""
    return (
        trip["pickup_at"],
        trip["ends_at"],
        tuple(sorted(p["attendee_id"] for p in trip["passengers"])),
    )


class DriverActor:
    """A driver's phone: live assignments, acknowledgements, and moving each trip along."""

    def __init__(self, world: World, driver_id: int, token: str) -> None:
        self.world = world
        self.driver_id = driver_id
        self.api = Api(world.base, world.metrics, token)
        self.live = LiveClient(world.base, self.on_event, token=token)
        self.keys: dict[int, tuple[Any, ...]] = {}
        self.last_seq = 0
        self.lock = threading.Lock()
        self.rounds: dict[int, threading.Lock] = {}

    def start(self) -> None:
        self.live.connect()
        self.sync()

    def on_event(self, envelope: dict[str, Any]) -> None:
        self.world.metrics.driver_seqs[self.driver_id].append(envelope["seq"])
        self.last_seq = max(self.last_seq, envelope["seq"])
        if envelope["event"].startswith("trip"):
            self.world.scheduler.at(self.world.scheduler.clock.now(), self.sync)

    def sync(self) -> None:
        """Load my trips; plan the steps of every new or re-timed one; acknowledge versions."""
        status, overview = self.api.get("driver_trips", "/api/driver/trips")
        if status != 200:
            return
        versions = {}
        for trip in overview.get("trips", []):
            versions[trip["id"]] = trip["version"]
            key = _plan_key(trip)
            with self.lock:
                if self.keys.get(trip["id"]) == key:
                    continue
                self.keys[trip["id"]] = key
            self.plan_trip(trip, key)
        self.api.post(
            "driver_ack", "/api/driver/ack", json={"seq": self.last_seq, "trips": versions}
        )

    def plan_trip(self, trip: dict[str, Any], key: tuple[Any, ...]) -> None:
        """Schedule what is left of this trip, from the state it is in now."""
        sched, tid, state = self.world.scheduler, trip["id"], trip["state"]
        pickup = _naive_utc(trip["pickup_at"])
        ends = _naive_utc(trip["ends_at"])
        drop = ends if trip["kind"] == "departure" else pickup + (ends - pickup) / 2
        if state in ("planned", "assigned"):
            self.step(tid, key, "accept")
        if state in ("planned", "assigned", "accepted"):
            sched.at(pickup - timedelta(minutes=10), lambda: self.step(tid, key, "arrive"))
        if state in ("planned", "assigned", "accepted", "at_pickup"):
            sched.at(pickup, lambda: self.board_all(trip, key))
        if state != "dropped_off":
            sched.at(drop, lambda: self.finish(trip, key))
        if trip["kind"] == "departure":
            for p in trip["passengers"]:
                sched.at(pickup - timedelta(minutes=30), partial(self.check_out, p["attendee_id"]))

    def current(self, tid: int, key: tuple[Any, ...]) -> bool:
        with self.lock:
            return self.keys.get(tid) == key

    def step(self, tid: int, key: tuple[Any, ...], action: str) -> int:
        if not self.current(tid, key):
            return 0
        status, _ = self.api.post(f"trip_{action}", f"/api/driver/trips/{tid}/{action}")
        return status

    def board_all(self, trip: dict[str, Any], key: tuple[Any, ...]) -> None:
        """At the pickup point: confirm each waiting passenger by the code on their phone, mark
        the absent ones no-show, then leave. One round per trip at a time, on the trip as the
        server has it now: a round that raced the `arrive` step, or a rider added meanwhile,
        used to leave a passenger `waiting` and the trip at the kerb for good (the demo's
        361-minute wait)."""
        tid = trip["id"]
        if not self.current(tid, key):
            return
        with self.rounds.setdefault(tid, threading.Lock()):
            boarded = 0
            for _attempt in range(3):
                status, fresh = self.api.get("driver_trip", f"/api/driver/trips/{tid}")
                if status != 200 or fresh.get("state") not in ("accepted", "at_pickup"):
                    return
                if fresh["state"] == "accepted":
                    self.step(tid, key, "arrive")
                for p in fresh["passengers"]:
                    if p.get("state") not in (None, "waiting"):
                        continue
                    boarded += self._board_one(tid, p["attendee_id"])
                if self.step(tid, key, "depart") in (200, 0):
                    break
            self.world.metrics.outcome("boarded", str(boarded))

    def _board_one(self, tid: int, attendee_id: int) -> int:
        code = self.world.phone(attendee_id).entrance_code()
        body = {"attendee_id": attendee_id, "method": "code", "code": code or "-"}
        status, _ = self.api.post("trip_board", f"/api/driver/trips/{tid}/board", json=body)
        if status == 200:
            return 1
        self.api.post(
            "trip_no_show", f"/api/driver/trips/{tid}/no-show", json={"attendee_id": attendee_id}
        )
        return 0

    def finish(self, trip: dict[str, Any], key: tuple[Any, ...]) -> None:
        if self.step(trip["id"], key, "drop_off") == 200 and trip["kind"] == "pickup":
            hotel_id = (trip.get("hotel") or {}).get("id")
            for p in trip["passengers"]:
                when = self.world.scheduler.clock.now() + timedelta(
                    minutes=self.world.rng.randrange(5, 25)
                )
                self.world.scheduler.at(
                    when, partial(self.world.hotel_visit, p["attendee_id"], hotel_id, "check-in")
                )

    def check_out(self, attendee_id: int) -> None:
        with self.world.lock:
            if attendee_id in self.world.checked_out:
                return
            self.world.checked_out.add(attendee_id)
        self.world.hotel_visit(attendee_id, self.world.hotel_of.get(attendee_id), "check-out")
