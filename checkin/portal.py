"""The delegate's phone: a one-time link or code opens it; it shows a rotating entrance QR code.

The portal code is random (50 bits, no look-alike characters) and stored only as a digest.
Opening it once binds the phone's session to the attendee and spends the code, so a forwarded
link opens nothing. A code expires (by default at the end of the summit day it was issued).
The phone's session cookie carries the attendee's phone-session version, which re-issuing or
revoking the link, or the phone's own log-out, bumps: a copied cookie then opens nothing.
The QR image is made here (no CDN, no client library).
"""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.codes import ROTATE_SECONDS, TTL_SECONDS, code_ttl, issue_code, read_code
from checkin.errors import CheckInConflict, CheckInForbidden
from checkin.journey import timeline
from checkin.service import masked_attendee
from core.audit import audit
from core.clock import iso, to_local, to_utc, utcnow
from core.crypto import hash_token
from core.errors import NotFound, Unauthorized
from core.runtime import Runtime
from models.attendee import Attendee

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are typed from paper too
CODE_LENGTH = 10


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class PhoneSession:
    """What a phone's session cookie holds: whose phone, and the attendee's session version."""

    attendee_id: int
    version: int


def issue_portal_code(
    session: Session, attendee_id: int, actor: str, ttl_hours: float | None = None
) -> str:
    """A new one-time portal code for an attendee; audited.

    It replaces any unused code and ends the phone sessions opened before (a link re-issued
    because a phone was lost must lock that phone out). It expires after `ttl_hours`, or at
    the end of the summit day when that is None.
    """
    attendee = _attendee(session, attendee_id)
    if attendee.revoked:
        raise CheckInConflict("this attendee's access was revoked", "attendee_revoked")
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    attendee.portal_code_digest = hash_token(code)
    attendee.portal_code_expires_at = code_expiry(utcnow(), ttl_hours)
    attendee.portal_session_version += 1
    audit(session, actor, "portal_code_issued", f"attendee:{attendee_id}")
    return code


def code_expiry(issued: datetime, ttl_hours: float | None) -> datetime:
    """When a code issued at `issued` (naive UTC) stops opening the phone page (naive UTC)."""
    if ttl_hours is not None:
        return issued + timedelta(hours=ttl_hours)
    local_day = to_local(issued).date()
    return to_utc(datetime.combine(local_day + timedelta(days=1), time()))


def revoke_portal_link(session: Session, attendee_id: int, actor: str, reason: str = "") -> None:
    """Withdraw an attendee's phone link: the unused code and every open phone session; audited."""
    attendee = _attendee(session, attendee_id)
    attendee.portal_code_digest = None
    attendee.portal_code_expires_at = None
    attendee.portal_session_version += 1
    audit(session, actor, "portal_link_revoked", f"attendee:{attendee_id}", reason)


def redeem_portal_code(session: Session, code: str) -> PhoneSession:
    """The phone session a portal code opens; the code is spent (one time only)."""
    digest = hash_token(normalise(code))
    attendee = session.scalar(select(Attendee).where(Attendee.portal_code_digest == digest))
    if attendee is None:
        raise Unauthorized(
            "this link or code is not valid (or was used already)", "portal_code_invalid"
        )
    if attendee.revoked:
        raise CheckInForbidden("this attendee's access was revoked", "attendee_revoked")
    expires = attendee.portal_code_expires_at
    if expires is not None and utcnow() >= expires:
        raise Unauthorized(
            "this link has expired: ask the desk for a new one", "portal_code_expired"
        )
    attendee.portal_code_digest = None
    attendee.portal_code_expires_at = None
    audit(session, f"attendee:{attendee.id}", "portal_opened", f"attendee:{attendee.id}")
    return PhoneSession(attendee.id, attendee.portal_session_version)


def end_phone_session(session: Session, phone: PhoneSession) -> None:
    """The phone's own "log out": its cookie, and any copy of it, stops opening the page."""
    attendee = session.get(Attendee, phone.attendee_id)
    if attendee is not None and attendee.portal_session_version == phone.version:
        attendee.portal_session_version += 1
        audit(session, f"attendee:{attendee.id}", "phone_logged_out", f"attendee:{attendee.id}")


def _attendee(session: Session, attendee_id: int) -> Attendee:
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    return attendee


def qr_data_url(text: str) -> str:
    """A PNG QR code of `text` as a data URL (medium error correction, quiet zone of 4)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def phone_status(
    rt: Runtime, session: Session, phone: PhoneSession, with_qr: bool = False
) -> dict[str, Any]:
    """A fresh entrance code and the journey, for the phone page.

    The page draws the code's QR image itself; `with_qr` adds the server-drawn image (about 20
    ms of the server's CPU per code) for a client that cannot draw it.
    """
    attendee = session.get(Attendee, phone.attendee_id)
    if attendee is None or attendee.revoked or attendee.portal_session_version != phone.version:
        raise Unauthorized("open the phone page with your link again", "phone_login_required")
    ttl = int(rt.config.extra.get("ENTRANCE_CODE_TTL", TTL_SECONDS))  # real seconds
    code = issue_code(rt, attendee.id, ttl=code_ttl(rt))
    entrance = read_code(rt, code)
    status = {
        "attendee": masked_attendee(attendee),
        "code": code,
        "expires_at": iso(entrance.expires),
        "refresh_seconds": min(ROTATE_SECONDS, max(1, ttl // 2)),  # real seconds, at any speed
        "journey": timeline(session, attendee.id),
    }
    if with_qr:
        status["qr"] = qr_data_url(code)
    return status
