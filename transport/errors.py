"""Transport errors: each carries a stable code the API returns.

Every one is a TransportError (catch the domain) and also the core.errors class of its HTTP
meaning (catch the meaning); the web layer answers with the error's status.

core.errors.ValidationError
 +-- TransportError (400)                       bad input: times, capacities, unknown actions
      +-- TransportNotFound (404, NotFound)     unknown flights, trips, drivers, attendees
      +-- TransportConflict (409, Conflict)     a trip in the wrong state, a driver booked twice
      |    +-- PlanConflict (409)               plan_conflict: a re-plan's data kept changing
      +-- NotYourTrip (403, Forbidden)          a driver asking about another driver's trip
"""

from __future__ import annotations

from core.errors import Conflict, Forbidden, NotFound, ValidationError


class TransportError(ValidationError):
    """The transport family; raised itself, the input was wrong."""

    status = 400


class TransportNotFound(NotFound, TransportError):
    status = 404


class TransportConflict(Conflict, TransportError):
    status = 409


class NotYourTrip(Forbidden, TransportError):
    status = 403

    def __init__(self, trip_id: int) -> None:
        super().__init__(f"trip {trip_id} is not assigned to you", "not_your_trip")


class PlanConflict(TransportConflict):
    """The data a re-plan was solved from changed before it could be stored, several times."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "plan_conflict")
