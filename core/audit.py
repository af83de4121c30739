"""Audit trail: who did what sensitive thing, and why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.auth import AuditEntry


def audit(session: Session, actor: str, action: str, target: str = "", reason: str = "") -> None:
    """Add an audit entry to the caller's transaction."""
    session.add(AuditEntry(actor=actor, action=action, target=target, reason=reason))
