"""The delegate's phone: a one-time link or code opens it; it shows a rotating entrance QR code.

The portal code is random (50 bits, no look-alike characters) and stored only as a digest.
Opening it once binds the phone's session to the attendee and spends the code, so a forwarded
link opens nothing. The QR image is made here (no CDN, no client library).
"""

from __future__ import annotations

import base64
import io
import secrets
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.codes import ROTATE_SECONDS, TTL_SECONDS, issue_code, read_code
from checkin.errors import CheckInConflict, CheckInForbidden
from checkin.journey import timeline
from checkin.service import masked_attendee
from core.audit import audit
from core.clock import iso
from core.crypto import hash_token
from core.errors import NotFound, Unauthorized
from core.runtime import Runtime
from models.attendee import Attendee

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are typed from paper too
CODE_LENGTH = 10


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def issue_portal_code(session: Session, attendee_id: int, actor: str) -> str:
    """A new one-time portal code for an attendee (replacing any unused one); audited."""
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    if attendee.revoked:
        raise CheckInConflict("this attendee's access was revoked", "attendee_revoked")
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    attendee.portal_code_digest = hash_token(code)
    audit(session, actor, "portal_code_issued", f"attendee:{attendee_id}")
    return code


def redeem_portal_code(session: Session, code: str) -> int:
    """The attendee a portal code opens; the code is spent (one time only)."""
    digest = hash_token(normalise(code))
    attendee = session.scalar(select(Attendee).where(Attendee.portal_code_digest == digest))
    if attendee is None:
        raise Unauthorized(
            "this link or code is not valid (or was used already)", "portal_code_invalid"
        )
    if attendee.revoked:
        raise CheckInForbidden("this attendee's access was revoked", "attendee_revoked")
    attendee.portal_code_digest = None
    audit(session, f"attendee:{attendee.id}", "portal_opened", f"attendee:{attendee.id}")
    return attendee.id


def qr_data_url(text: str) -> str:
    """A PNG QR code of `text` as a data URL (medium error correction, quiet zone of 4)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def phone_status(rt: Runtime, session: Session, attendee_id: int) -> dict[str, Any]:
    """A fresh entrance code (text and QR image) and the journey, for the phone page."""
    attendee = session.get(Attendee, attendee_id)
    if attendee is None or attendee.revoked:
        raise Unauthorized("open the phone page with your link again", "phone_login_required")
    ttl = int(rt.config.extra.get("ENTRANCE_CODE_TTL", TTL_SECONDS))
    code = issue_code(rt, attendee.id, ttl=ttl)
    entrance = read_code(rt, code)
    return {
        "attendee": masked_attendee(attendee),
        "code": code,
        "qr": qr_data_url(code),
        "expires_at": iso(entrance.expires),
        "refresh_seconds": min(ROTATE_SECONDS, max(1, ttl // 2)),
        "journey": timeline(session, attendee.id),
    }
