"""Persistence only: one module per aggregate. Importing this package registers every table."""

from models.attendee import Attendee, JourneyStep
from models.auth import AuditEntry, Device, StaffUser, TicketUse
from models.base import Base
from models.events import Alert, DomainEvent
from models.face import FaceTemplate
from models.hotel import Hotel, Room, RoomBlock, RoomNight, RoomType, Stay
from models.transport import Driver, Flight, Trip, TripPassenger, Vehicle
from models.venue import (
    AccessEvent,
    AgendaSession,
    CodeUse,
    Gate,
    VenueCheckIn,
    WatchlistEntry,
    Zone,
    ZonePresence,
    ZoneRule,
)

__all__ = [
    "AccessEvent",
    "AgendaSession",
    "Alert",
    "Attendee",
    "AuditEntry",
    "Base",
    "CodeUse",
    "Device",
    "DomainEvent",
    "Driver",
    "FaceTemplate",
    "Flight",
    "Gate",
    "Hotel",
    "JourneyStep",
    "Room",
    "RoomBlock",
    "RoomNight",
    "RoomType",
    "StaffUser",
    "Stay",
    "TicketUse",
    "Trip",
    "TripPassenger",
    "Vehicle",
    "VenueCheckIn",
    "WatchlistEntry",
    "Zone",
    "ZonePresence",
    "ZoneRule",
]
