"""Confirming a passenger at the car through the identification service (`checkin.identification`):
a face photo checked 1:1 against the passenger the driver picked on the manifest, or their
rotating entrance code, which must name that passenger. Refusals become transport codes here so
the driver's phone gets one kind of answer.

Liveness: a driver's phone is held by the driver, who sees the passenger in front of the car, so
driver devices are created with liveness off (`models.auth.LIVENESS_BY_DEFAULT` leaves them out).
If an admin turns it on for a phone, a still photo is refused there and the code must be used.
"""

from __future__ import annotations

import base64
import binascii

from checkin import identification
from checkin.identification import Identified, Policy
from core.runtime import Runtime
from transport.errors import TransportError

PURPOSE = "boarding"


def decode_photo(photo_b64: str) -> bytes:
    """The bytes of a base64 photo (a `data:` URL prefix is allowed)."""
    try:
        raw = base64.b64decode(photo_b64.split(",")[-1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TransportError("photo must be base64 (JPEG or PNG)", "invalid_photo") from exc
    if not raw:
        raise TransportError("a face photo is needed", "invalid_photo")
    return raw


def verify_face(rt: Runtime, policy: Policy, photo_b64: str, attendee_id: int) -> None:
    """Raise `face_mismatch` unless the photo's main face is this attendee's (1:1)."""
    raw = decode_photo(photo_b64)
    if policy.liveness_required:
        raise TransportError(
            "this phone checks liveness: board the passenger by entrance code",
            "liveness_required",
        )
    if not identification.verify_photo(rt, policy, PURPOSE, raw, attendee_id):
        raise TransportError("the face does not match this passenger", "face_mismatch")


def verify_code(rt: Runtime, policy: Policy, code: str, attendee_id: int) -> Identified:
    """The identification of a valid entrance code of this attendee, else `code_mismatch`.

    The caller records the code's use (`identification.record_code_use`) with the boarding,
    so the same code cannot board anyone a second time.
    """
    found = identification.identify_code(rt, policy, PURPOSE, code)
    if found.failure is not None:
        raise TransportError(f"entrance code refused ({found.failure})", "code_mismatch")
    if found.attendee_id != attendee_id:
        raise TransportError("the entrance code belongs to someone else", "code_mismatch")
    return found
