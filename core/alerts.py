"""Alerts that staff must acknowledge: any domain raises them, the console shows and acks them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from core.clock import iso
from core.events import emit
from core.masking import mask_name
from models.attendee import Attendee
from models.events import Alert
from models.venue import Gate

SEVERITIES = ("info", "warning", "critical")


def raise_alert(
    session: Session,
    kind: str,
    message: str,
    *,
    severity: str = "warning",
    attendee_id: int | None = None,
    gate_id: int | None = None,
    security: bool = False,
    params: dict[str, Any] | None = None,
) -> Alert:
    """Store an alert and publish `alert_raised` to the console (and security staff if asked).

    `message` must already be masked: it is the text of last resort. Screens word the alert
    from its kind and `params` (JSON values, masked names only, times as ISO UTC) in the
    viewer's language; an alert about a gate gets `gate` (its code) and `who` (the masked
    name, when someone was identified) added.
    """
    if severity not in SEVERITIES:
        severity = "warning"
    params = {**_place_params(session, gate_id, attendee_id), **(params or {})}
    alert = Alert(
        kind=kind,
        severity=severity,
        message=message,
        params=json.dumps(params, ensure_ascii=False) if params else None,
        attendee_id=attendee_id,
        gate_id=gate_id,
        security=security,
    )
    session.add(alert)
    session.flush()
    rooms = ["console", "security"] if security else ["console"]
    emit(
        session,
        "alert_raised",
        {
            "id": alert.id,
            "kind": kind,
            "severity": severity,
            "message": message,
            "params": params,
            "attendee_id": attendee_id,
            "gate_id": gate_id,
            "security": security,
            "at": iso(alert.created_at),
        },
        rooms,
    )
    return alert


def _place_params(session: Session, gate_id: int | None, attendee_id: int | None) -> dict[str, Any]:
    gate = session.get(Gate, gate_id) if gate_id is not None else None
    person = session.get(Attendee, attendee_id) if attendee_id is not None else None
    params: dict[str, Any] = {}
    if gate is not None:
        params["gate"] = gate.code
    if person is not None:
        params["who"] = mask_name(person.name)
    return params


def alert_params(alert: Alert) -> dict[str, Any]:
    """The stored parameters of an alert (empty when it has none)."""
    value: dict[str, Any] = json.loads(alert.params) if alert.params else {}
    return value
