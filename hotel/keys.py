"""Room keys and Wi-Fi: a one-time shown PIN, a signed QR key, and the Wi-Fi join QR.

The QR key is `SKEY1.<payload>.<signature>` (base64url), signed with the summit's Ed25519 key
so a door lock that knows only the public key can check it offline. The PIN is stored as a
keyed digest; it is shown once at the kiosk and never again.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import qrcode
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.crypto import PiiBox
from core.runtime import Runtime
from hotel.errors import HotelInvalid

KEY_PREFIX = "SKEY1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class KeyMaker:
    """Makes room keys; built once from the runtime's secrets."""

    pii: PiiBox
    signing_key: Ed25519PrivateKey

    @classmethod
    def from_runtime(cls, rt: Runtime) -> KeyMaker:
        return cls(rt.pii, rt.signing_key)

    def new_pin(self) -> str:
        """A six-digit PIN from the OS's random source."""
        return f"{secrets.randbelow(10**6):06d}"

    def pin_digest(self, stay_id: int, pin: str) -> str:
        """Keyed digest of a stay's PIN (what is stored)."""
        return self.pii.digest(f"roomkey:{stay_id}:{pin}")

    def qr_key(self, hotel_code: str, room: str, stay_id: int, expires: datetime) -> str:
        """A signed key the door lock can check offline."""
        body = {"h": hotel_code, "r": room, "s": stay_id, "exp": expires.isoformat()}
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return f"{KEY_PREFIX}.{_b64(raw)}.{_b64(self.signing_key.sign(raw))}"


def read_qr_key(text: str, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a QR key's signature and return its payload (what a door lock would do)."""
    prefix, _, rest = text.partition(".")
    raw_b64, _, sig_b64 = rest.partition(".")
    if prefix != KEY_PREFIX or not raw_b64 or not sig_b64:
        raise HotelInvalid("not a room key", "key_malformed")
    raw = _unb64(raw_b64)
    try:
        public_key.verify(_unb64(sig_b64), raw)
    except InvalidSignature as exc:
        raise HotelInvalid("room key signature is wrong", "key_forged") from exc
    payload: dict[str, Any] = json.loads(raw)
    return payload


def wifi_uri(ssid: str, password: str) -> str:
    """The `WIFI:` string phones understand when they scan a QR code."""

    def esc(value: str) -> str:
        for ch in '\\;,:"':
            value = value.replace(ch, "\\" + ch)
        return value

    return f"WIFI:T:WPA;S:{esc(ssid)};P:{esc(password)};;"


def with_qr_images(welcome: dict[str, Any]) -> dict[str, Any]:
    """Add the key and Wi-Fi QR images to a check-in answer.

    Called by the routes after the commit: drawing two QR codes takes tens of milliseconds,
    which must not be spent holding the room block's row lock.
    """
    if "key" not in welcome:
        return welcome
    key = {**welcome["key"], "qr_png": qr_png_data_uri(welcome["key"]["qr"])}
    wifi = {**welcome["wifi"], "qr_png": _cached_qr(welcome["wifi"]["uri"])}
    return {**welcome, "key": key, "wifi": wifi}


@lru_cache(maxsize=64)
def _cached_qr(text: str) -> str:
    return qr_png_data_uri(text)


def qr_png_data_uri(text: str) -> str:
    """A PNG QR code of `text` as a data: URI (the page shows it in an <img>)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2)
    code.add_data(text)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image().save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
