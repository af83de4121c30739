"""Hotel aggregate: hotels, room types, blocks (allotments), rooms, stays and the night ledger.

Double-booking is made impossible by the database, not by the code that reads first:
- `room_night` has one row per room, night and bed (unique), and one per stay and night;
- `room_block.used` is raised only by `UPDATE ... WHERE used < allotment`, and a CHECK keeps it
  inside the allotment even if some code forgot the condition;
- a stay changes state only by `UPDATE ... WHERE state = <expected>`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_check

STAY_STATES = ("reserved", "checked_in", "checked_out", "no_show", "cancelled")
OPEN_STAY_STATES = ("reserved", "checked_in")  # stays a hotel kiosk can still act on


class Hotel(Base):
    __tablename__ = "hotel"
    __table_args__ = (
        CheckConstraint("check_in_hour BETWEEN 0 AND 23", name="check_in_hour"),
        CheckConstraint("check_out_hour BETWEEN 0 AND 23", name="check_out_hour"),
        CheckConstraint("no_show_cutoff_hour BETWEEN 0 AND 23", name="no_show_cutoff_hour"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    travel_minutes_airport: Mapped[int] = mapped_column(Integer, default=45)
    travel_minutes_station: Mapped[int] = mapped_column(Integer, default=25)
    # Position (WGS84 degrees): hotel-to-hotel minutes for trips serving several hotels.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    wifi_ssid: Mapped[str] = mapped_column(String(64), default="")
    wifi_password: Mapped[str] = mapped_column(String(64), default="")
    # Local hours (summit time zone): rooms ready from, rooms due by, and the hour of the
    # morning after an arrival night when an unclaimed reservation becomes a no-show.
    check_in_hour: Mapped[int] = mapped_column(Integer, default=14)
    check_out_hour: Mapped[int] = mapped_column(Integer, default=12)
    no_show_cutoff_hour: Mapped[int] = mapped_column(Integer, default=4)


class RoomType(Base):
    __tablename__ = "room_type"
    __table_args__ = (
        UniqueConstraint("hotel_id", "code"),
        CheckConstraint("beds > 0", name="beds_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotel.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))  # KING, TWIN, SUITE
    name: Mapped[str] = mapped_column(String(100))
    beds: Mapped[int] = mapped_column(Integer, default=1)  # guests who may share the room
    suite: Mapped[bool] = mapped_column(Boolean, default=False)


class RoomBlock(Base):
    """Allotment of rooms of one type for one night, optionally kept for one attendee category."""

    __tablename__ = "room_block"
    __table_args__ = (
        UniqueConstraint("room_type_id", "night", "category"),
        CheckConstraint("allotment >= 0", name="allotment_nonneg"),
        CheckConstraint("used >= 0 AND used <= allotment", name="used_within_allotment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotel.id", ondelete="CASCADE"), index=True)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_type.id", ondelete="CASCADE"))
    night: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20), default="")  # "" = any category
    allotment: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)  # rooms assigned from this block


class Room(Base):
    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("hotel_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotel.id", ondelete="CASCADE"))
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_type.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(10))
    floor: Mapped[int] = mapped_column(Integer, default=1)
    out_of_order: Mapped[bool] = mapped_column(Boolean, default=False)


class Stay(Base):
    """One attendee's reservation and stay; `room_id` is set when a room is assigned.

    Two delegates who share a twin room have two stays that name each other in `partner_id`;
    the room is assigned to both at once.
    """

    __tablename__ = "stay"
    __table_args__ = (
        CheckConstraint(enum_check("state", STAY_STATES), name="state"),
        CheckConstraint("check_out_date > check_in_date", name="date_order"),
        UniqueConstraint("attendee_id", "check_in_date"),
        Index("ix_stay_hotel_dates", "hotel_id", "check_in_date", "check_out_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotel.id", ondelete="RESTRICT"))
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_type.id", ondelete="RESTRICT"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="RESTRICT"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("stay.id", ondelete="SET NULL"))
    block_category: Mapped[str] = mapped_column(String(20), default="")  # sub-block tried first
    check_in_date: Mapped[date] = mapped_column(Date)
    check_out_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default="reserved")
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    key_pin_digest: Mapped[str | None] = mapped_column(String(64))


class RoomNight(Base):
    """Occupancy ledger: one row per room, night and bed makes double-booking impossible."""

    __tablename__ = "room_night"
    __table_args__ = (
        UniqueConstraint("room_id", "night", "bed"),
        UniqueConstraint("stay_id", "night"),
        CheckConstraint("bed >= 1", name="bed_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
    night: Mapped[date] = mapped_column(Date)
    bed: Mapped[int] = mapped_column(Integer, default=1)  # 1, or 2 when two delegates share
    stay_id: Mapped[int] = mapped_column(ForeignKey("stay.id", ondelete="CASCADE"))
    # The block this room-night was counted against (the same on both beds of a shared room).
    block_id: Mapped[int] = mapped_column(ForeignKey("room_block.id", ondelete="RESTRICT"))
