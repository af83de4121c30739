"""AES-GCM boxes for data at rest (face templates, ID numbers) and keyed digests for look-ups.

Also the device-side public-key pieces: a box sealed to a device's X25519 key (`seal_to` /
`open_sealed`, an ECIES construction) and the pair of public keys a device registers
(`DevicePublicKeys`), whose private halves never leave the device.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


def keyed_digest(key: bytes, value: str) -> str:
    """HMAC-SHA256 of `value` under `key`, hex: a membership test without the value itself."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


SEALED_BOX_INFO = b"summit-sealed-box:v1"
SEALED_OVERHEAD = 32 + 12  # ephemeral public key + AES-GCM nonce before the ciphertext


def seal_to(recipient: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt to an X25519 public key: ephemeral X25519, HKDF-SHA256, AES-256-GCM.

    Returns ephemeral public key (32 bytes) + nonce (12) + ciphertext and tag. The ephemeral
    private key is dropped here, so only the holder of the recipient's private key can open it.
    """
    peer = X25519PublicKey.from_public_bytes(recipient)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    key = _box_key(ephemeral.exchange(peer), ephemeral_public, recipient)
    nonce = os.urandom(12)
    return ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(private_key: X25519PrivateKey, blob: bytes, aad: bytes) -> bytes:
    """Open a box made by `seal_to` for this private key's public half."""
    ephemeral_public, nonce, box = blob[:32], blob[32:SEALED_OVERHEAD], blob[SEALED_OVERHEAD:]
    recipient = private_key.public_key().public_bytes_raw()
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _box_key(shared, ephemeral_public, recipient)
        return AESGCM(key).decrypt(nonce, box, aad)
    except (InvalidTag, ValueError) as exc:
        raise SummitError("the sealed box is not for this key", "sealed_box_invalid") from exc


def _box_key(shared: bytes, ephemeral_public: bytes, recipient: bytes) -> bytes:
    # Both public keys go into the salt, so a box cannot be re-targeted to another recipient.
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=ephemeral_public + recipient,
        info=SEALED_BOX_INFO,
    )
    return hkdf.derive(shared)


@dataclass(frozen=True)
class DevicePublicKeys:
    """The public halves of a device's own keys, as stored in `Device.public_key`.

    Stored as JSON `{"v": 1, "box": base64 X25519, "sign": base64 Ed25519}` (32 raw bytes
    each): data for the device is sealed to `box`, and the device signs with `sign`.
    """

    box: bytes
    sign: bytes

    @classmethod
    def from_b64(cls, box: str, sign: str) -> DevicePublicKeys:
        """Decode and check two base64 public keys; `bad_public_key` if either is not one."""
        try:
            keys = cls(base64.b64decode(box, validate=True), base64.b64decode(sign, validate=True))
            X25519PublicKey.from_public_bytes(keys.box)
            Ed25519PublicKey.from_public_bytes(keys.sign)
        except (binascii.Error, ValueError) as exc:
            raise SummitError("a public key is 32 raw bytes (base64)", "bad_public_key") from exc
        return keys

    @classmethod
    def from_text(cls, text: str) -> DevicePublicKeys:
        data = json.loads(text)
        return cls.from_b64(data["box"], data["sign"])

    def to_text(self) -> str:
        box, sign = base64.b64encode(self.box).decode(), base64.b64encode(self.sign).decode()
        return json.dumps({"v": 1, "box": box, "sign": sign}, sort_keys=True)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this device's Ed25519 signature of `message`."""
        try:
            Ed25519PublicKey.from_public_bytes(self.sign).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True
