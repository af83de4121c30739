"""The one message catalogue (Chinese and English) for every code the server sends to a screen.

`messages.json` holds, per group, code -> [zh, en]: gate refusal reasons (`reason`), API error
codes (`error`), live event kinds (`event`), alert kinds (`alert`) and their texts with
parameters (`alert_text`), journey stages (`stage`), field and column names (`field`), stored
values shown as such (`value`: categories, methods, severities) and shared words (`word`).
Every page loads it with `/i18n/messages.js` and words it through `static/js/summit.js`;
tests/console/test_messages.py fails when a code the server can send has no text.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).with_name("messages.json")


@cache
def messages() -> dict[str, dict[str, list[str]]]:
    """The catalogue: group -> code -> [zh, en]."""
    data: dict[str, dict[str, list[str]]] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return data


@cache
def script() -> str:
    """The catalogue as a script (`window.SUMMIT_MESSAGES`), served by kiosk_ui.pages."""
    return "window.SUMMIT_MESSAGES = " + json.dumps(messages(), ensure_ascii=False) + ";\n"
