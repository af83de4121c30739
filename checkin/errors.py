"""Errors of venue check-in. A refusal at a gate is not an error: it is a decision with a reason.

    core.errors.ValidationError
     +-- CheckInError                   400  a request that cannot be decided (bad code...)
          +-- CheckInConflict (Conflict)   409  nonce_reused, attendee_revoked (new portal code)
          +-- CheckInForbidden (Forbidden) 403  attendee_revoked (portal code redeemed)

`CheckInError.code` is one of the stable codes below. Entrance-code refusals are raised by
`checkin.codes.verify_code` and become the gate decision's `reason` when a gate asks.
"""

from __future__ import annotations

from core.errors import Conflict, Forbidden, ValidationError

# Entrance-code refusals: each has its own code so a gate (or hotel kiosk) can say why.
CODE_MALFORMED = "code_malformed"
CODE_FORGED = "code_forged"
CODE_EXPIRED = "code_expired"
CODE_NOT_YET_VALID = "code_not_yet_valid"
CODE_REPLAYED = "code_replayed"

# Gate decision reasons (granted ones first).
GRANTED_REASONS = (
    "checked_in",
    "reentry",
    "exited",
    "not_inside",  # an exit scan for someone never seen entering: let out, kept for the record
    "override",
)
DENIED_REASONS = (
    "already_checked_in",  # anti-passback: inside this zone already (answered with first_seen)
    "category_not_allowed",
    "outside_hours",
    "gate_closed",
    "attendee_revoked",
    "watchlist_hit",  # supervisor needed; raises a security alert
    "face_unknown",
    "face_ambiguous",  # show the entrance code: 1:1 then
    "face_mismatch",  # code holder's face does not match the person at the gate
    "no_face",
    "multiple_faces",
    "low_quality",
    "liveness_failed",  # a still photo, a replayed feed, or no blink in time
    "liveness_required",  # a single photo at a gate that needs the live camera stream
    CODE_MALFORMED,
    CODE_FORGED,
    CODE_EXPIRED,
    CODE_NOT_YET_VALID,
    CODE_REPLAYED,
)


class CheckInError(ValidationError):
    """A check-in request that cannot be served, with a stable `code` (the check-in family)."""

    status = 400


class CheckInConflict(Conflict, CheckInError):
    """The request clashes with what is stored (a nonce used elsewhere, a revoked attendee)."""

    status = 409


class CheckInForbidden(Forbidden, CheckInError):
    """The caller may not have this (a revoked attendee's phone)."""

    status = 403
