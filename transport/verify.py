"""Confirming a passenger at the car: a face photo checked 1:1 against their enrolment, or their
rotating entrance code. Both engines belong to other packages (recognition.face.api and
checkin.codes); their refusals become transport codes here so the driver's phone gets one kind
of answer.
"""

from __future__ import annotations

import base64
import binascii

from core.errors import SummitError
from core.runtime import Runtime
from transport.errors import TransportError


def decode_photo(photo_b64: str) -> bytes:
    """The bytes of a base64 photo (a `data:` URL prefix is allowed)."""
    try:
        raw = base64.b64decode(photo_b64.split(",")[-1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TransportError("photo must be base64 (JPEG or PNG)", "invalid_photo") from exc
    if not raw:
        raise TransportError("a face photo is needed", "invalid_photo")
    return raw


def verify_face(rt: Runtime, photo_b64: str, attendee_id: int) -> None:
    """Raise `face_mismatch` unless the photo's main face is this attendee's."""
    from recognition.face.api import face_service

    raw = decode_photo(photo_b64)
    result = face_service(rt).identify_bytes(raw, candidates=[attendee_id])
    if result.decision != "match":
        raise TransportError(
            f"the face does not match this passenger ({result.decision})", "face_mismatch"
        )


def verify_code(rt: Runtime, code: str, attendee_id: int) -> None:
    """Raise `code_mismatch` unless the entrance code is valid now and this attendee's."""
    from checkin.codes import verify_code as read

    # Codes verify offline with the public key; a replayed code only boards its owner again.
    try:
        owner = read(rt, code)
    except SummitError as exc:
        raise TransportError(f"entrance code refused: {exc.message}", "code_mismatch") from exc
    if owner != attendee_id:
        raise TransportError("the entrance code belongs to someone else", "code_mismatch")
