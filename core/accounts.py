"""Staff users (passwords) and devices/drivers (bearer tokens): creation and authentication."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import audit
from core.clock import utcnow
from core.crypto import hash_token
from core.errors import Conflict, NotFound, Unauthorized, ValidationError
from core.events import emit
from models.auth import DEVICE_KINDS, LIVENESS_BY_DEFAULT, ROLES, Device, StaffUser


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff user, a device, or a driver (a device of kind 'driver')."""

    kind: str  # "staff" | "device"
    id: int
    role: str  # admin/staff/security, or the device kind
    name: str
    gate_id: int | None = None
    hotel_id: int | None = None
    driver_id: int | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"


def create_user(session: Session, username: str, password: str, role: str) -> StaffUser:
    """Create a staff user with a hashed password."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", "invalid_role")
    if not 3 <= len(username) <= 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise ValidationError("username: 3-64 letters, digits, '.' or '_'", "invalid_username")
    if len(password) < 10:
        raise ValidationError("password must have at least 10 characters", "weak_password")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(f"user {username!r} exists", "duplicate_username")
    user = StaffUser(username=username, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate_user(session: Session, username: str, password: str) -> Principal:
    """Check a username and password; the same error for unknown user and wrong password."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        raise Unauthorized("wrong username or password", "bad_credentials")
    return Principal("staff", user.id, user.role, user.username)


def principal_for_user(session: Session, user_id: int) -> Principal | None:
    """The principal behind a logged-in session, or None if the user is gone or disabled."""
    user = session.get(StaffUser, user_id)
    if user is None or not user.active:
        return None
    return Principal("staff", user.id, user.role, user.username)


def create_device(
    session: Session,
    name: str,
    kind: str,
    actor: str,
    *,
    gate_id: int | None = None,
    hotel_id: int | None = None,
    driver_id: int | None = None,
    liveness: bool | None = None,
) -> tuple[Device, str]:
    """Register a device and return it with its bearer token (shown once, stored hashed)."""
    if kind not in DEVICE_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(DEVICE_KINDS)}", "invalid_kind")
    if not 1 <= len(name.strip()) <= 80:
        raise ValidationError("device name: 1-80 characters", "invalid_name")
    if session.scalar(select(Device.id).where(Device.name == name)):
        raise Conflict(f"device {name!r} exists", "duplicate_device")
    if kind == "driver" and driver_id is None:
        raise ValidationError("a driver token needs a driver id", "driver_required")
    secret = secrets.token_urlsafe(32)
    device = Device(
        name=name,
        kind=kind,
        token_hash=hash_token(secret),
        gate_id=gate_id,
        hotel_id=hotel_id,
        driver_id=driver_id,
        liveness_required=kind in LIVENESS_BY_DEFAULT if liveness is None else liveness,
    )
    session.add(device)
    session.flush()
    audit(session, actor, "device_created", f"device:{device.id}", kind)
    if not device.liveness_required and kind in LIVENESS_BY_DEFAULT:
        audit(session, actor, "device_liveness_off", f"device:{device.id}", "set at creation")
    return device, f"{device.id}.{secret}"


def authenticate_token(session: Session, token: str) -> Principal:
    """Resolve a bearer token `<id>.<secret>` to its device principal."""
    raw_id, _, secret = token.partition(".")
    if not raw_id.isdigit() or not secret:
        raise Unauthorized("malformed bearer token", "bad_token")
    device = session.get(Device, int(raw_id))
    if device is None or not hmac.compare_digest(device.token_hash, hash_token(secret)):
        raise Unauthorized("unknown bearer token", "bad_token")
    if device.revoked_at is not None:
        raise Unauthorized("this token was revoked", "token_revoked")
    return Principal(
        "device",
        device.id,
        device.kind,
        device.name,
        gate_id=device.gate_id,
        hotel_id=device.hotel_id,
        driver_id=device.driver_id,
    )


def revoke_device(session: Session, device_id: int, actor: str, reason: str = "") -> Device:
    """Revoke a device token at once; later requests with it get `token_revoked`."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id}", "device_not_found")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit(session, actor, "device_revoked", f"device:{device_id}", reason)
        # The web layer closes the device's open live connections when this is published.
        emit(session, "device_revoked", {"device_id": device_id, "kind": device.kind}, ["security"])
    return device


def set_device_liveness(
    session: Session, device_id: int, required: bool, actor: str, reason: str
) -> Device:
    """Turn a device's liveness check on or off (off: a person watches it; audited)."""
    device = _device(session, device_id)
    if bool(device.liveness_required) != required:
        device.liveness_required = required
        action = "device_liveness_on" if required else "device_liveness_off"
        audit(session, actor, action, f"device:{device_id}", reason)
    return device


def bind_device(
    session: Session,
    device_id: int,
    actor: str,
    *,
    gate_id: int | None = None,
    hotel_id: int | None = None,
) -> Device:
    """Bind a device to its place (a gate or a hotel); it acts only there (audited)."""
    device = _device(session, device_id)
    if device.kind == "driver":
        raise ValidationError("a driver phone is bound to its driver", "invalid_binding")
    device.gate_id, device.hotel_id = gate_id, hotel_id
    place = f"gate:{gate_id}" if gate_id else f"hotel:{hotel_id}" if hotel_id else "unbound"
    audit(session, actor, "device_bound", f"device:{device_id}", place)
    return device


def _device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id}", "device_not_found")
    return device
