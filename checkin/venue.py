"""Read views of the venue: zones with rules, gates and people inside (for pages and console)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin.presence import inside_counts
from checkin.service import load_gate
from core.clock import iso
from models.venue import Gate, Zone, ZoneRule


def zone_view(zone: Zone, rules: list[ZoneRule], gates: list[Gate], inside: int) -> dict[str, Any]:
    return {
        "id": zone.id,
        "code": zone.code,
        "name_zh": zone.name_zh,
        "name_en": zone.name_en,
        "categories": zone.categories.split(","),
        "capacity": zone.capacity,
        "directions_zh": zone.directions_zh,
        "directions_en": zone.directions_en,
        "rules": [
            {
                "categories": r.categories.split(","),
                "starts_at": iso(r.starts_at),
                "ends_at": iso(r.ends_at),
            }
            for r in rules
        ],
        "gates": [
            {"id": g.id, "code": g.code, "name": g.name, "direction": g.direction, "open": g.open}
            for g in gates
        ],
        "inside": inside,
    }


def zone_overview(session: Session) -> list[dict[str, Any]]:
    """Every zone with its rules, gates and current head count."""
    counts = inside_counts(session)
    rules = session.scalars(select(ZoneRule).order_by(ZoneRule.starts_at)).all()
    gates = session.scalars(select(Gate).order_by(Gate.code)).all()
    return [
        zone_view(
            z,
            [r for r in rules if r.zone_id == z.id],
            [g for g in gates if g.zone_id == z.id],
            counts.get(z.id, 0),
        )
        for z in session.scalars(select(Zone).order_by(Zone.id))
    ]


def gate_view(session: Session, gate_id: int) -> dict[str, Any]:
    """One gate and its zone."""
    gate, zone = load_gate(session, gate_id)
    return {
        "id": gate.id,
        "code": gate.code,
        "name": gate.name,
        "direction": gate.direction,
        "open": gate.open,
        "zone": {
            "id": zone.id,
            "code": zone.code,
            "name_zh": zone.name_zh,
            "name_en": zone.name_en,
            "directions_zh": zone.directions_zh,
            "directions_en": zone.directions_en,
        },
    }
