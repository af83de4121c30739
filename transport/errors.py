"""Transport errors: each carries a stable code the API returns.

core.errors.SummitError
 +-- TransportError (400)        bad input: times, capacities, unknown actions
 |    +-- TransportNotFound (404) unknown flights, trips, drivers, attendees
 |    +-- TransportConflict (409) a trip in the wrong state, a driver booked twice
 |    +-- NotYourTrip (403)       a driver asking about another driver's trip
"""

from __future__ import annotations

from core.errors import SummitError


class TransportError(SummitError):
    status = 400


class TransportNotFound(TransportError):
    status = 404


class TransportConflict(TransportError):
    status = 409


class NotYourTrip(TransportError):
    status = 403

    def __init__(self, trip_id: int) -> None:
        super().__init__(f"trip {trip_id} is not assigned to you", "not_your_trip")


class PlanConflict(TransportConflict):
    """The data a re-plan was solved from changed before it could be stored, several times."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "plan_conflict")
