"""Staff users (passwords) and devices/drivers (bearer tokens): creation and authentication."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import audit
from core.clock import utcnow
from core.crypto import hash_token
from core.errors import Conflict, NotFound, Unauthorized, ValidationError
from core.events import emit
from models.auth import DEVICE_KINDS, LIVENESS_BY_DEFAULT, ROLES, Device, StaffUser
from models.hotel import Hotel
from models.transport import Driver
from models.venue import Gate

# Which kinds of device may be bound to which kind of place (a driver phone has its driver).
BINDABLE = {"gate": ("gate", "kiosk"), "hotel": ("hotel_desk",), "driver": ("driver",)}
PLACE_MODELS: dict[str, type[Gate] | type[Hotel] | type[Driver]] = {
    "gate": Gate,
    "hotel": Hotel,
    "driver": Driver,
}


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
    # A staff session's version (StaffUser.session_version when it logged in); a bump ends it.
    session_version: int = 0

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"


def create_user(session: Session, username: str, password: str, role: str) -> StaffUser:
    """Create a staff user with a hashed password."""
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", "invalid_role")
    if not 3 <= len(username) <= 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise ValidationError("username: 3-64 letters, digits, '.' or '_'", "invalid_username")
    _check_password(password)
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
    return _staff_principal(user)


def principal_for_user(session: Session, user_id: int, version: int | None) -> Principal | None:
    """The principal of a session cookie; None if the user is gone or disabled, or if the
    session was ended (logout, password change) after the cookie was issued."""
    user = session.get(StaffUser, user_id)
    if user is None or not user.active or version != user.session_version:
        return None
    return _staff_principal(user)


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise ValidationError("password must have at least 10 characters", "weak_password")


def _staff_principal(user: StaffUser) -> Principal:
    return Principal(
        "staff", user.id, user.role, user.username, session_version=user.session_version
    )


def end_sessions(session: Session, user_id: int, actor: str, reason: str) -> None:
    """End every session of a staff user at once: cookies issued before stop working.

    The web layer closes the user's open live connections when this is published.
    """
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", "user_not_found")
    user.session_version += 1
    audit(session, actor, "staff_sessions_ended", f"staff:{user_id}", reason)
    emit(session, "staff_sessions_ended", {"user_id": user_id, "reason": reason}, ["security"])


def change_password(session: Session, username: str, password: str, actor: str) -> StaffUser:
    """Set a staff user's password; their open sessions end (a stolen cookie dies with it)."""
    _check_password(password)
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}", "user_not_found")
    user.password_hash = generate_password_hash(password)
    end_sessions(session, user.id, actor, "password_changed")
    return user


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
    _check_place(session, kind, gate_id, hotel_id, driver_id)
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
    reason = reason.strip()
    if not required and not reason:
        raise ValidationError(
            "say why liveness may be off (who watches this device)", "reason_required"
        )
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
    _check_place(session, device.kind, gate_id, hotel_id, None)
    device.gate_id, device.hotel_id = gate_id, hotel_id
    audit(session, actor, "device_bound", f"device:{device_id}", device_place(device))
    return device


def device_place(device: Device) -> str:
    """Where a device is bound, as staff read it: "gate:3", "hotel:2", "driver:5", "unbound"."""
    return place_of(device.gate_id, device.hotel_id, device.driver_id)


def place_of(gate_id: int | None, hotel_id: int | None, driver_id: int | None) -> str:
    """A binding as one word: "gate:3", "hotel:2", "driver:5" or "unbound"."""
    for label, value in (("gate", gate_id), ("hotel", hotel_id), ("driver", driver_id)):
        if value is not None:
            return f"{label}:{value}"
    return "unbound"


@dataclass(frozen=True)
class DeviceRow:
    """A registered device as an admin lists it (never its token)."""

    id: int
    name: str
    kind: str
    place: str  # "gate:3", "hotel:2", "driver:5" or "unbound"
    place_code: str  # the gate's or hotel's code ("MH-IN1"), "" otherwise
    liveness_required: bool
    revoked_at: datetime | None
    gate_id: int | None
    hotel_id: int | None
    driver_id: int | None


def list_devices(session: Session) -> list[DeviceRow]:
    """Every registered device with its place and liveness policy, oldest first."""
    gates: dict[int, str] = {i: c for i, c in session.execute(select(Gate.id, Gate.code))}
    hotels: dict[int, str] = {i: c for i, c in session.execute(select(Hotel.id, Hotel.code))}
    rows = []
    for d in session.scalars(select(Device).order_by(Device.id)):
        code = gates.get(d.gate_id or 0) or hotels.get(d.hotel_id or 0) or ""
        rows.append(
            DeviceRow(
                d.id,
                d.name,
                d.kind,
                device_place(d),
                code,
                bool(d.liveness_required),
                d.revoked_at,
                d.gate_id,
                d.hotel_id,
                d.driver_id,
            )
        )
    return rows


def binding_choices(session: Session) -> dict[str, list[dict[str, object]]]:
    """The gates and hotels a device may be bound to, for an admin's picker."""
    gates = session.execute(select(Gate.id, Gate.code, Gate.name).order_by(Gate.code))
    hotels = session.execute(
        select(Hotel.id, Hotel.code, Hotel.name_zh, Hotel.name_en).order_by(Hotel.code)
    )
    return {
        "gates": [{"id": i, "code": c, "name": n} for i, c, n in gates],
        "hotels": [{"id": i, "code": c, "name_zh": z, "name_en": e} for i, c, z, e in hotels],
    }


def _check_place(
    session: Session, kind: str, gate_id: int | None, hotel_id: int | None, driver_id: int | None
) -> None:
    """A device has at most one place, of a kind that fits it, and the place must exist."""
    given = [
        (place, value)
        for place, value in (("gate", gate_id), ("hotel", hotel_id), ("driver", driver_id))
        if value is not None
    ]
    if len(given) > 1:
        raise ValidationError("a device is bound to one place only", "invalid_binding")
    if not given:
        return
    place, place_id = given[0]
    if kind not in BINDABLE[place]:
        raise ValidationError(f"a {kind} device cannot be bound to a {place}", "invalid_binding")
    if session.get(PLACE_MODELS[place], place_id) is None:
        raise NotFound(f"no {place} {place_id}", f"{place}_not_found")


def _device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id}", "device_not_found")
    return device
