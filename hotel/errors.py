"""Errors of the hotel domain; each has a stable code that kiosks and consoles act on.

Every one is a HotelError (catch the domain) and the core.errors class of its HTTP meaning:

HotelError
 +-- HotelNotFound (NotFound)         404  stay_not_found, reservation_not_found, room_not_found
 +-- HotelConflict (Conflict)         409  wrong_hotel, not_checked_in, already_checked_in,
 |    |                                    room_taken, too_early, reservation_ended, ...
 |    +-- RoomsShort                  409  rooms_short (its alert is stored: hotel.shortage)
 +-- HotelInvalid (ValidationError)   400  room_wrong_hotel, room_type_mismatch, no_identity

The lobby kiosk also passes on the refusals of `checkin.identification` (core errors): 403
ticket_*, liveness_required, device_not_bound, wrong_hotel (desk); 409 code_replayed.
"""

from __future__ import annotations

from core.errors import Conflict, NotFound, SummitError, ValidationError


class HotelError(SummitError):
    """Any error of the hotel domain; never raised itself (each has an HTTP meaning below)."""


class HotelNotFound(NotFound, HotelError):
    """Something named by id or identity does not exist (here)."""


class HotelConflict(Conflict, HotelError):
    """The request clashes with the stay's or room's current state."""


class HotelInvalid(ValidationError, HotelError):
    """The request is malformed for the hotel domain (wrong hotel's room, no identity...)."""


class RoomsShort(HotelConflict):
    """No room of the reserved type is left in the block (or free in the hotel) for a night."""

    def __init__(self, message: str, night: str) -> None:
        super().__init__(message, "rooms_short", night=night)
