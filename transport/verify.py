"""Confirming a passenger at the car: a face photo checked against their enrolment, or their code.

Both checks belong to other packages (recognition.face.api, checkin.codes) and are imported
only when used, so transport works, and says clearly what is missing, while they are absent.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import io
from typing import Any

from sqlalchemy.orm import Session

from core.errors import SummitError
from core.runtime import Runtime
from transport.errors import TransportError


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise SummitError(
            f"{name} is not installed on this server", "verifier_unavailable", 503
        ) from exc


def decode_photo(photo_b64: str) -> Any:
    """A base64 JPEG/PNG to an RGB array for the face engine."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        raw = base64.b64decode(photo_b64.split(",")[-1], validate=True)
        with Image.open(io.BytesIO(raw)) as img:
            return np.asarray(img.convert("RGB"))
    except (binascii.Error, UnidentifiedImageError, OSError) as exc:
        raise TransportError("photo must be a base64 JPEG or PNG", "invalid_photo") from exc


def verify_face(rt: Runtime, photo_b64: str, attendee_id: int) -> None:
    """Raise `face_mismatch` unless the photo shows this attendee."""
    rgb = decode_photo(photo_b64)
    service = _module("recognition.face.api").face_service(rt)
    result = service.verify(rgb, attendee_id)
    if getattr(result, "decision", None) != "match":
        raise TransportError("the face does not match this passenger", "face_mismatch")


def verify_code(session: Session, rt: Runtime, code: str, attendee_id: int) -> None:
    """Raise `code_mismatch` unless the entrance code is this attendee's and valid now."""
    codes = _module("checkin.codes")
    try:
        found = codes.verify_code(session, rt, code)
    except SummitError as exc:
        raise TransportError(f"entrance code refused: {exc.message}", "code_mismatch") from exc
    owner = getattr(found, "attendee_id", found)
    if owner != attendee_id:
        raise TransportError("the entrance code belongs to someone else", "code_mismatch")
