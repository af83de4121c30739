"""Transport aggregate: flights, vehicles, drivers, trips and who rides in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_check

FLIGHT_KINDS = ("arrival", "departure")
VEHICLE_KINDS = ("sedan", "van", "minibus", "coach")
TRIP_KINDS = ("pickup", "departure")
TRIP_STATES = (
    "planned",
    "assigned",
    "accepted",
    "at_pickup",
    "departed",
    "dropped_off",
    "cancelled",
)
PASSENGER_STATES = ("waiting", "on_board", "no_show", "dropped_off")


class Flight(Base):
    """One attendee's arrival or departure leg (flight or train)."""

    __tablename__ = "flight"
    __table_args__ = (
        CheckConstraint(enum_check("kind", FLIGHT_KINDS), name="kind"),
        UniqueConstraint("attendee_id", "kind"),
        Index("ix_flight_kind_time", "kind", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(12))  # MU5301, G1631
    place: Mapped[str] = mapped_column(String(10))  # FOC, FZS (Fuzhou South station)
    terminal: Mapped[str] = mapped_column(String(10), default="")
    international: Mapped[bool] = mapped_column(Boolean, default=False)
    scheduled_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    estimated_at: Mapped[datetime | None] = mapped_column(DateTime)
    landed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Vehicle(Base):
    __tablename__ = "vehicle"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(enum_check("kind", VEHICLE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    capacity: Mapped[int] = mapped_column(Integer)
    vip_only: Mapped[bool] = mapped_column(Boolean, default=False)


class Driver(Base):
    __tablename__ = "driver"
    __table_args__ = (
        CheckConstraint("shift_end > shift_start", name="shift_order"),
        CheckConstraint("acked_seq >= 0", name="acked_seq_nonneg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id", ondelete="SET NULL"))
    shift_start: Mapped[datetime] = mapped_column(DateTime)
    shift_end: Mapped[datetime] = mapped_column(DateTime)
    # Highest event sequence number the driver's phone acknowledged: where catch-up resumes
    # when the phone lost its own record (new phone, cleared storage).
    acked_seq: Mapped[int] = mapped_column(Integer, default=0)


class Trip(Timestamped, Base):
    __tablename__ = "trip"
    __table_args__ = (
        CheckConstraint(enum_check("kind", TRIP_KINDS), name="kind"),
        CheckConstraint(enum_check("state", TRIP_STATES), name="state"),
        CheckConstraint("ends_at > starts_at", name="time_order"),
        Index("ix_trip_driver_time", "driver_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12), default="planned")
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id", ondelete="RESTRICT"))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("driver.id", ondelete="RESTRICT"))
    place: Mapped[str] = mapped_column(String(10))
    meeting_point: Mapped[str] = mapped_column(String(200), default="")
    hotel_id: Mapped[int | None] = mapped_column(ForeignKey("hotel.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # vehicle leaves / pickup time (UTC)
    ends_at: Mapped[datetime] = mapped_column(DateTime)  # vehicle free again
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumps on every change
    acked_version: Mapped[int] = mapped_column(Integer, default=0)  # last version the phone got
    acked_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Hotel ids in visiting order ("3,1") when the trip serves several hotels; None: one.
    stops: Mapped[str | None] = mapped_column(String(200))


class TripPassenger(Base):
    __tablename__ = "trip_passenger"
    __table_args__ = (
        CheckConstraint(enum_check("state", PASSENGER_STATES), name="state"),
        UniqueConstraint("trip_id", "attendee_id"),
        # One ride per leg: two planners running at once cannot put a passenger in two trips.
        UniqueConstraint("flight_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trip.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    flight_id: Mapped[int] = mapped_column(ForeignKey("flight.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    confirmed_by: Mapped[str | None] = mapped_column(String(10))  # face | code
    boarded_at: Mapped[datetime | None] = mapped_column(DateTime)
