"""Every gate reason code is asserted by some behaviour test, and the pages can say each one."""

from __future__ import annotations

from pathlib import Path

from checkin.errors import DENIED_REASONS, GRANTED_REASONS
from kiosk_ui.messages import messages

HERE = Path(__file__).parent


def test_every_reason_code_is_asserted_by_a_test() -> None:
    tests = "".join(p.read_text() for p in HERE.glob("test_*.py") if p.name != Path(__file__).name)
    missing = [r for r in GRANTED_REASONS + DENIED_REASONS if f'"{r}"' not in tests]
    assert missing == []


def test_every_reason_code_has_words_in_chinese_and_english_on_the_pages() -> None:
    words = messages()["reason"]  # the catalogue every page words codes with
    assert [r for r in GRANTED_REASONS + DENIED_REASONS if len(words.get(r, [])) != 2] == []
