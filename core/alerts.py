"""Alerts that staff must acknowledge: any domain raises them, the console shows and acks them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.clock import iso
from core.events import emit
from models.events import Alert

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
) -> Alert:
    """Store an alert and publish `alert_raised` to the console (and security staff if asked).

    `message` must already be masked: it is shown on screens as it is.
    """
    if severity not in SEVERITIES:
        severity = "warning"
    alert = Alert(
        kind=kind,
        severity=severity,
        message=message,
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
            "attendee_id": attendee_id,
            "gate_id": gate_id,
            "security": security,
            "at": iso(alert.created_at),
        },
        rooms,
    )
    return alert
