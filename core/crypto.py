"""AES-GCM boxes for data at rest (face templates, ID numbers) and keyed digests for look-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import SummitError


class KeyRing:
    """Several AES-256-GCM keys by id; the first encrypts, any decrypts (for key rotation)."""

    def __init__(self, spec: str) -> None:
        self._keys: dict[str, AESGCM] = {}
        self.primary = ""
        for part in spec.split(","):
            key_id, _, b64 = part.strip().partition(":")
            raw = base64.b64decode(b64)
            if len(raw) != 32 or not key_id:
                raise SummitError(
                    "template key must be 'id:base64(32 bytes)'", "bad_key_config", 500
                )
            self._keys[key_id] = AESGCM(raw)
            self.primary = self.primary or key_id

    def key_ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> tuple[str, bytes]:
        """Encrypt with the primary key; returns (key id, nonce + ciphertext)."""
        nonce = os.urandom(12)
        return self.primary, nonce + self._keys[self.primary].encrypt(nonce, plaintext, aad)

    def decrypt(self, key_id: str, blob: bytes, aad: bytes = b"") -> bytes:
        """Decrypt a blob made by `encrypt` under the named key."""
        box = self._keys.get(key_id)
        if box is None:
            raise SummitError(f"no key with id {key_id!r} is configured", "unknown_key", 500)
        try:
            return box.decrypt(blob[:12], blob[12:], aad)
        except InvalidTag as exc:
            raise SummitError("stored data failed authentication", "tampered_data", 500) from exc


class PiiBox:
    """Encrypts personal identifiers and derives a keyed digest to look them up by equality."""

    def __init__(self, b64key: str) -> None:
        raw = base64.b64decode(b64key)
        self._aes = AESGCM(raw)
        self._mac_key = hashlib.sha256(b"lookup:" + raw).digest()

    def digest(self, value: str) -> str:
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aes.encrypt(nonce, value.encode(), None)

    def decrypt(self, blob: bytes) -> str:
        try:
            return self._aes.decrypt(blob[:12], blob[12:], None).decode()
        except InvalidTag as exc:
            raise SummitError("stored data failed authentication", "tampered_data", 500) from exc


def hash_token(secret: str) -> str:
    """Digest of a high-entropy bearer token secret (tokens are random, so no slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()
