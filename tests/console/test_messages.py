"""The message catalogue has Chinese and English for every code the server can send a screen.

Codes are read from the source, so a new one fails here until it has words: alert kinds
(`raise_alert`), live event kinds (`emit`, `publish_trip`), journey stages (`record_stage`),
audit actions (`audit`), error codes (`raise SomeError("message", "code")`) and the gate's
reasons.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from checkin.errors import DENIED_REASONS, GRANTED_REASONS
from checkin.service import ALERTS
from core.config import PROJECT_ROOT
from kiosk_ui.messages import messages
from models.attendee import CATEGORIES, ID_TYPES

PACKAGES = ("core", "models", "checkin", "recognition", "hotel", "transport", "kiosk_ui", "web",
            "rehearsal", "seed")  # fmt: skip
# (function name, index of the code among its positional arguments, catalogue group)
CALLS = {
    "raise_alert": (1, "alert"),
    "emit": (1, "event"),
    "publish_trip": (2, "event"),
    "record_stage": (2, "stage"),
    "audit": (2, "event"),  # audit actions, shown in the audit log
}
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$|^[a-z]+$")


def _strings(node: ast.AST) -> list[str]:
    """String constants of an argument (both branches of `"a" if x else "b"`)."""
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def codes_in_source() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"alert": set(), "event": set(), "stage": set(), "error": set()}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    args = node.exc.args
                    if len(args) > 1:
                        found["error"].update(s for s in _strings(args[1]) if CODE.match(s))
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in CALLS and path.parent.name != "web":
                    index, group = CALLS[name]
                    if len(node.args) > index and not isinstance(node.args[index], ast.Dict):
                        found[group].update(s for s in _strings(node.args[index]) if CODE.match(s))
    return found


def test_every_code_the_server_sends_has_chinese_and_english_words() -> None:
    catalogue = messages()
    found = codes_in_source()
    found["reason"] = set(GRANTED_REASONS + DENIED_REASONS)
    found["alert"] |= set(ALERTS)
    found["value"] = set(CATEGORIES + ID_TYPES)
    assert len(found["error"]) > 100 and len(found["event"]) > 20  # the scan reads the source
    words = {**catalogue, "error": {**catalogue["reason"], **catalogue["error"]}}  # as S.reason
    missing = {
        group: sorted(code for code in codes if code not in words[group])
        for group, codes in found.items()
    }
    assert missing == {group: [] for group in found}


def test_every_entry_has_both_languages_and_no_raw_code_as_its_words() -> None:
    bad = [
        (group, code)
        for group, entries in messages().items()
        for code, pair in entries.items()
        if len(pair) != 2 or not all(pair) or any(CODE.match(text) and "_" in text for text in pair)
    ]
    assert bad == []
    assert Path(PROJECT_ROOT / "kiosk_ui/static/js/summit.js").exists()
