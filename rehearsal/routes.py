"""HTTP of rehearsals: the simulated clock (for the simulator) and the report pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic
from flask import Blueprint, Response, jsonify, render_template, request
from werkzeug.wrappers import Response as WzResponse

from core.clock import iso, simulated, utcnow
from core.errors import NotFound, SummitError, ValidationError
from rehearsal.charts import bar_chart
from web.api import documented, parse_json, runtime
from web.auth import ADMIN, ANY_STAFF, requires, staff_on_page, to_login

bp = Blueprint("rehearsal", __name__)


class AdvanceBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    advance_seconds: int = pydantic.Field(ge=1, le=7 * 24 * 3600)


def reports_dir() -> Path:
    return runtime().config.instance_path / "rehearsals"


def list_reports() -> list[Path]:
    folder = reports_dir()
    return sorted(folder.glob("rehearsal-*.json"), reverse=True) if folder.exists() else []


def load_report(name: str) -> dict[str, Any]:
    """A saved report by file name (names only: no paths from the request reach the disk)."""
    for path in list_reports():
        if path.name == name:
            data: dict[str, Any] = json.loads(path.read_text())
            data["name"] = path.name
            return data
    raise NotFound(f"no rehearsal report {name!r}", "report_not_found")


@bp.get("/api/rehearsal/clock")
@requires(*ANY_STAFF)
def clock() -> Response:
    """The server's clock: simulated during a rehearsal."""
    sim = simulated()
    return jsonify(
        {
            "now": iso(utcnow()),
            "simulated": sim is not None,
            "speed": sim.speed if sim else 1.0,
        }
    )


@bp.post("/api/rehearsal/clock")
@requires(*ADMIN)
@documented(AdvanceBody, "Skip the simulated clock ahead (rehearsal servers only).")
def advance_clock() -> Response:
    body = parse_json(AdvanceBody)
    sim = simulated()
    if sim is None:
        raise SummitError("this server runs on the wall clock", "not_simulated", 409)
    from datetime import timedelta

    sim.advance(timedelta(seconds=body.advance_seconds))
    return jsonify({"now": iso(utcnow())})


@bp.get("/api/rehearsal/reports")
@requires(*ANY_STAFF)
def reports() -> Response:
    """Saved rehearsal reports, newest first."""
    return jsonify({"reports": [p.name for p in list_reports()]})


@bp.get("/api/rehearsal/reports/<name>")
@requires(*ANY_STAFF)
def report(name: str) -> Response:
    """One saved rehearsal report."""
    return jsonify(load_report(name))


@bp.get("/rehearsal")
def report_page() -> str | WzResponse:
    """The newest report (or ?a=NAME), or two side by side (?a=NAME&b=NAME)."""
    if staff_on_page() is None:
        return to_login()
    names = [p.name for p in list_reports()]
    chosen = [n for n in (request.args.get("a"), request.args.get("b")) if n]
    if not chosen and names:
        chosen = names[:1]
    if len(chosen) > 2:
        raise ValidationError("compare at most two reports", "too_many_reports")
    loaded = [load_report(n) for n in chosen]
    return render_template("rehearsal.html", reports=loaded, names=names, chart=bar_chart)
