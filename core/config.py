"""Configuration from the environment, with secrets generated into the instance folder.

`Config.from_env()` is what `run.py` uses; tests build `Config.for_tests(tmp_path)`.
Secrets (session key, template key, personal-data key, Ed25519 signing key) are read from the
environment if given, otherwise created once in `<instance>/secrets.json` (mode 0600) so that
a fresh machine works without set-up and nothing secret is ever committed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _new_secrets() -> dict[str, str]:
    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "TEMPLATE_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "PII_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SIGNING_KEY": base64.b64encode(signing).decode(),
    }


def load_secrets(instance: Path) -> dict[str, str]:
    """Read the instance secrets, creating them on first use."""
    path = instance / "secrets.json"
    instance.mkdir(parents=True, exist_ok=True)
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        missing = {k: v for k, v in _new_secrets().items() if k not in stored}
        if not missing:
            return stored
        stored.update(missing)
    else:
        stored = _new_secrets()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(stored, fh, indent=2)
    return stored


# Fine-tuning knobs read by single features (Config.extra), settable from the environment.
TUNABLES = (
    "ENTRANCE_CODE_TTL",
    "GATE_HOLD_SECONDS",
    "FACE_SYNC_INTERVAL",
    "FACE_TEMPLATE_UPDATES",
)


@dataclass(frozen=True)
class Config:
    """Everything configurable, resolved once at start-up."""

    instance_path: Path
    database_url: str
    secret_key: str
    template_keys: str  # "id:base64key[,id:base64key...]"; the first one encrypts new templates
    pii_key: str
    signing_key: str
    socketio_message_queue: str | None = None
    socketio_channel: str = "summit"
    summit_tz: str = "Asia/Shanghai"
    testing: bool = False
    secure_cookies: bool = False
    max_upload_bytes: int = 8 * 1024 * 1024
    rate_limit_factor: int = 1  # 0 switches rate limits off (loopback rehearsals and load runs)
    # Largest photo accepted, in pixels, checked from the header before decoding (docs/face.md).
    max_image_pixels: int = 12_000_000
    face_thresholds_path: Path | None = None
    # Origins (scheme://host[:port]) whose pages may open Socket.IO connections; empty means
    # the server's own origin only (engineio compares the Origin header with the Host).
    socketio_allowed_origins: tuple[str, ...] = ()
    # How long a phone link stays valid; None: until the end of the summit day it was issued.
    portal_code_ttl_hours: float | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, instance_path: Path | None = None) -> Config:
        """Build the configuration from environment variables and instance secrets."""
        instance = Path(
            os.environ.get("SUMMIT_INSTANCE", instance_path or PROJECT_ROOT / "instance")
        )
        stored = load_secrets(instance)
        env = os.environ
        return cls(
            instance_path=instance,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{instance / 'summit.db'}",
            secret_key=env.get("SECRET_KEY") or stored["SECRET_KEY"],
            template_keys=env.get("TEMPLATE_KEYS") or stored["TEMPLATE_KEYS"],
            pii_key=env.get("PII_KEY") or stored["PII_KEY"],
            signing_key=env.get("SIGNING_KEY") or stored["SIGNING_KEY"],
            socketio_message_queue=env.get("SOCKETIO_MESSAGE_QUEUE") or None,
            socketio_channel=env.get("SOCKETIO_CHANNEL", "summit"),
            summit_tz=env.get("SUMMIT_TZ", "Asia/Shanghai"),
            secure_cookies=env.get("SECURE_COOKIES", "0") == "1",
            rate_limit_factor=int(env.get("RATE_LIMIT_FACTOR", "1")),
            max_image_pixels=int(env.get("MAX_IMAGE_PIXELS", "12000000")),
            socketio_allowed_origins=_origins(env.get("SOCKETIO_ALLOWED_ORIGINS", "")),
            portal_code_ttl_hours=_hours(env.get("PORTAL_CODE_TTL_HOURS", "")),
            extra={k: env[k] for k in TUNABLES if k in env},
        )

    @classmethod
    def for_tests(cls, instance_path: Path, database_url: str | None = None) -> Config:
        """A configuration for tests: its own instance folder and database."""
        stored = load_secrets(instance_path)
        return cls(
            instance_path=instance_path,
            database_url=database_url or f"sqlite:///{instance_path / 'test.db'}",
            secret_key=stored["SECRET_KEY"],
            template_keys=stored["TEMPLATE_KEYS"],
            pii_key=stored["PII_KEY"],
            signing_key=stored["SIGNING_KEY"],
            testing=True,
        )

    def with_changes(self, **changes: object) -> Config:
        """A copy with some fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _origins(value: str) -> tuple[str, ...]:
    """'https://a.example, https://b.example' -> both, without trailing slashes."""
    return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())


def _hours(value: str) -> float | None:
    """A positive number of hours, or None when not set."""
    if not value.strip():
        return None
    hours = float(value)
    if hours <= 0:
        raise ValueError(f"PORTAL_CODE_TTL_HOURS must be positive, not {value!r}")
    return hours
