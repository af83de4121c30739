"""The intent catalogue (catalogue.json) and the summit's own words, as plain values.

The catalogue is data: intents with examples and weighted cue words per language, places with
their spoken aliases, and answer texts. `SummitWords` carries what the database adds (session
titles, zone names) so that grammars and slot matching know this summit's vocabulary.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "zh", "ko")
CATALOGUE_PATH = Path(__file__).with_name("catalogue.json")


@dataclass(frozen=True)
class SessionName:
    """One agenda session as people say it: whole title and the parts around a colon."""

    id: int
    title_en: str
    title_zh: str


@dataclass(frozen=True)
class ZoneName:
    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class SummitWords:
    """What the database adds to the catalogue's vocabulary."""

    sessions: tuple[SessionName, ...] = ()
    zones: tuple[ZoneName, ...] = ()
    hotels: tuple[str, ...] = field(default_factory=tuple)


@cache
def load_catalogue(path: Path = CATALOGUE_PATH) -> dict[str, Any]:
    """The parsed catalogue (cached; it is read-only data)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def normalise_en(text: str) -> str:
    """Lower case, spelling variants folded (wi-fi, check-out), punctuation dropped."""
    text = text.lower().replace("wi-fi", "wifi").replace("wi fi", "wifi")
    text = re.sub(r"\bcheck-?out\b", "check out", text)
    text = re.sub(r"\bpick-?up\b", "pickup", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


def title_parts(title: str, language: str) -> list[str]:
    """A title and its parts around a colon ('Forum: Smart cities' -> whole, 'forum', ...)."""
    parts = [p.strip() for p in re.split(r"[:：]", title) if p.strip()]
    whole = " ".join(parts) if language == "en" else "".join(parts)
    out = [whole, *parts] if len(parts) > 1 else [whole]
    return [normalise_en(p) for p in out] if language == "en" else out


def place_aliases(language: str, words: SummitWords) -> dict[str, list[str]]:
    """Spoken names of every place: catalogue places plus the database's zones."""
    places = load_catalogue()["places"]
    aliases = {key: list(p.get(language, [])) for key, p in places.items()}
    for zone in words.zones:
        name = zone.name_en if language == "en" else zone.name_zh
        if language == "ko" or not name:
            continue
        key = next((k for k, p in places.items() if p.get("zone") and p["zone"] in zone.code), "")
        spoken = normalise_en(name) if language == "en" else name
        aliases.setdefault(key or f"zone:{zone.code}", []).append(spoken)
    return aliases


def session_phrases(language: str, words: SummitWords) -> list[str]:
    """Every way of naming a session in `language` (Korean has no session titles)."""
    if language == "ko":
        return []
    seen: list[str] = []
    for s in words.sessions:
        for part in title_parts(s.title_en if language == "en" else s.title_zh, language):
            if part not in seen:
                seen.append(part)
    return seen


def example_phrases(language: str, words: SummitWords) -> list[str]:
    """All catalogue examples with {place} and {session} expanded: the grammar's sentences."""
    intents = load_catalogue()["intents"]
    places = [a for names in place_aliases(language, words).values() for a in names]
    fills = {"{place}": places, "{session}": session_phrases(language, words)}
    out: list[str] = []
    for intent in intents.values():
        for example in intent["examples"].get(language, []):
            slot = next((s for s in fills if s in example), None)
            variants = [example.replace(slot, f) for f in fills[slot]] if slot else [example]
            out.extend(v if language != "en" else normalise_en(v) for v in variants)
    return list(dict.fromkeys(out))


NO_WORDS = SummitWords()  # the catalogue alone, without a summit's sessions and zones
