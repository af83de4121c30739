"""The kiosk assistant page: ask aloud, type, or tap a common question; see the answer."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, render_template

from recognition.speech.catalogue import load_catalogue

bp = Blueprint("kiosk_ui_assistant_pages", __name__)
# The tap-to-ask buttons: intent and slots, labelled with the catalogue's question texts.
COMMON: tuple[tuple[str, dict[str, str]], ...] = (
    ("my_hotel", {}),
    ("my_pickup", {}),
    ("my_departure", {}),
    ("agenda_next", {}),
    ("directions", {"place": "restroom"}),
    ("wifi", {}),
    ("checkout", {}),
    ("help", {}),
)


def common_questions() -> list[dict[str, Any]]:
    """Button data for the common questions in zh, en and ko."""
    catalogue = load_catalogue()
    out = []
    for intent, slots in COMMON:
        texts = catalogue["questions"][intent]
        labels = {}
        for lang in ("zh", "en", "ko"):
            place = catalogue["places"].get(slots.get("place", ""), {}).get(lang, [""])[0]
            labels[lang] = texts[lang].format(place=place, session="")
        out.append({"intent": intent, "slots": json.dumps(slots), **labels})
    return out


@bp.get("/kiosk/assistant")
def assistant() -> str:
    """The page; it authenticates its API calls and stream with the kiosk's device token."""
    return render_template("assistant.html", common=common_questions())
