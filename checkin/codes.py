"""Rotating entrance codes: {attendee, issued, expires, nonce} signed with Ed25519.

A code is `SC1.` + base64url(21-byte payload + 64-byte signature): short enough for a
low-density QR code. Gates (and hotel kiosks, drivers' phones) verify it with the public key
alone, so they keep working offline. Replays across gates and revoked attendees need state and
are checked by `checkin.service` (online) or `checkin.offline` (offline), not here.

    from checkin.codes import verify_code
    attendee_id = verify_code(rt, text)          # raises CheckInError(code=...) when refused
"""

from __future__ import annotations

import base64
import calendar
import os
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from checkin.errors import (
    CODE_EXPIRED,
    CODE_FORGED,
    CODE_MALFORMED,
    CODE_NOT_YET_VALID,
    CheckInError,
)
from core.clock import simulated, utcnow
from core.runtime import Runtime

PREFIX = "SC1."
VERSION = 1
_LAYOUT = struct.Struct(">BIII8s")  # version, attendee, issued, expires (unix s), nonce
ROTATE_SECONDS = 30
TTL_SECONDS = 60  # one rotation of grace so a code scanned just before it changes still works
CLOCK_SKEW = 5  # seconds a gate's clock may run behind the issuer's

KeySource = Runtime | Ed25519PublicKey | Ed25519PrivateKey | bytes | str


@dataclass(frozen=True)
class EntranceCode:
    """A verified code: whose it is, when it was issued and expires (naive UTC), its nonce."""

    attendee_id: int
    issued: datetime
    expires: datetime
    nonce: str  # hex; identifies this code for replay checks


def code_ttl(rt: Runtime) -> int:
    """Seconds (of the server's clock) a new phone code lives: `ENTRANCE_CODE_TTL` real seconds.

    On a rehearsal or demo server whose clock runs `speed` times faster, that is `speed` times
    as many clock seconds, so a phone's code (refreshed every `ROTATE_SECONDS` real seconds)
    still passes a gate the person walks to.
    """
    real = int(rt.config.extra.get("ENTRANCE_CODE_TTL", TTL_SECONDS))
    clock = simulated()
    return max(1, round(real * clock.speed)) if clock is not None else real


def _unix(value: datetime) -> int:
    return calendar.timegm(value.timetuple())


def _from_unix(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)


def public_key(source: KeySource) -> Ed25519PublicKey:
    """The verifying key from a runtime, a key object, raw 32 bytes or their base64."""
    if isinstance(source, Runtime):
        return source.signing_key.public_key()
    if isinstance(source, Ed25519PrivateKey):
        return source.public_key()
    if isinstance(source, Ed25519PublicKey):
        return source
    raw = base64.b64decode(source) if isinstance(source, str) else source
    if len(raw) != 32:
        raise CheckInError("a public key is 32 raw bytes (base64)", "bad_public_key")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_b64(source: KeySource) -> str:
    """Base64 of the raw 32-byte public key, for gates to cache."""
    raw = public_key(source).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode()


def issue_code(
    rt_or_key: Runtime | Ed25519PrivateKey,
    attendee_id: int,
    *,
    now: datetime | None = None,
    ttl: int = TTL_SECONDS,
) -> str:
    """Sign a fresh code for an attendee, valid from `now` for `ttl` seconds."""
    key = rt_or_key.signing_key if isinstance(rt_or_key, Runtime) else rt_or_key
    issued = _unix(now or utcnow())
    payload = _LAYOUT.pack(VERSION, attendee_id, issued, issued + ttl, os.urandom(8))
    body = payload + key.sign(payload)
    return PREFIX + base64.urlsafe_b64encode(body).decode().rstrip("=")


def _unpack(code: str) -> tuple[bytes, bytes]:
    text = code.strip()
    if not text.startswith(PREFIX) or len(text) > 200:
        raise CheckInError("this is not a summit entrance code", CODE_MALFORMED)
    b64 = text[len(PREFIX) :]
    try:
        body = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    except (ValueError, TypeError) as exc:
        raise CheckInError("the entrance code is damaged", CODE_MALFORMED) from exc
    if len(body) != _LAYOUT.size + 64 or body[0] != VERSION:
        raise CheckInError("the entrance code is damaged", CODE_MALFORMED)
    return body[: _LAYOUT.size], body[_LAYOUT.size :]


def read_code(source: KeySource, code: str, *, now: datetime | None = None) -> EntranceCode:
    """Check a code's form, signature and validity window; returns what it says."""
    payload, signature = _unpack(code)
    try:
        public_key(source).verify(signature, payload)
    except InvalidSignature as exc:
        raise CheckInError("the entrance code's signature is not ours", CODE_FORGED) from exc
    _version, attendee_id, issued, expires, nonce = _LAYOUT.unpack(payload)
    moment = _unix(now or utcnow())
    if moment >= expires:
        raise CheckInError("the entrance code has expired; refresh it on the phone", CODE_EXPIRED)
    if moment + CLOCK_SKEW < issued:
        raise CheckInError("the entrance code is not valid yet", CODE_NOT_YET_VALID)
    return EntranceCode(attendee_id, _from_unix(issued), _from_unix(expires), nonce.hex())


def verify_code(source: KeySource, code: str, *, now: datetime | None = None) -> int:
    """The attendee id of a valid code; raises CheckInError with code_malformed, code_forged,
    code_expired or code_not_yet_valid."""
    return read_code(source, code, now=now).attendee_id
