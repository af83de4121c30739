"""Intent matching on text: weighted cue words from the catalogue, plus place/session slots.

English is split on spaces after normalising; Chinese is segmented with jieba (the catalogue's
cue words and place names are added to its dictionary first); Korean is split on spaces and a
cue matches the start of a word, because particles attach to nouns (호텔은 = 호텔 + 은).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import jieba

from recognition.speech.catalogue import (
    SummitWords,
    load_catalogue,
    normalise_en,
    place_aliases,
    title_parts,
)

jieba.setLogLevel(logging.WARNING)
_jieba_lock = threading.Lock()
_jieba_words: set[str] = set()
STOPWORDS = {"the", "a", "an", "and", "of", "for", "to", "in", "on", "at", "with"}


@dataclass(frozen=True)
class Intent:
    """What the question asks: an intent name ("unknown" when unsure), its slots and score."""

    name: str
    slots: dict[str, Any] = field(default_factory=dict)
    score: float = 0.0


def tokens(text: str, language: str) -> list[str]:
    """Split a question into words the cues are matched against."""
    if language == "zh":
        _teach_jieba()
        with _jieba_lock:
            return [t for t in jieba.lcut(text) if t.strip()]
    if language == "en":
        return normalise_en(text).split()
    return text.split()


def _teach_jieba() -> None:
    """Add cue words and place names to jieba so that they come out as single tokens."""
    if _jieba_words:
        return
    catalogue = load_catalogue()
    words = {cue for i in catalogue["intents"].values() for cue in i["cues"].get("zh", {})}
    words |= {a for p in catalogue["places"].values() for a in p.get("zh", [])}
    with _jieba_lock:
        for word in sorted(words):
            jieba.add_word(word, freq=200000)
        _jieba_words.update(words)


def _has(cue: str, toks: list[str], text: str, language: str) -> bool:
    if language == "en":
        return f" {cue} " in f" {' '.join(toks)} "
    if language == "zh":
        return cue in toks
    return (" " in cue and cue in text) or any(t.startswith(cue) for t in toks)


def find_place(text: str, language: str, words: SummitWords) -> dict[str, str] | None:
    """The place named in the question (longest alias wins), or None."""
    haystack = f" {normalise_en(text)} " if language == "en" else text.replace(" ", "")
    best: tuple[int, str, str] | None = None
    for key, aliases in place_aliases(language, words).items():
        for alias in aliases:
            needle = f" {alias} " if language == "en" else alias.replace(" ", "")
            if needle in haystack and (best is None or len(alias) > best[0]):
                best = (len(alias), key, alias)
    return {"place": best[1], "place_name": best[2]} if best else None


def find_session(text: str, language: str, words: SummitWords) -> dict[str, Any] | None:
    """The agenda session named in the question; among equal matches the first listed wins."""
    if language == "ko":
        return None
    toks = set(tokens(text, language))
    best: tuple[int, int, str] | None = None
    for s in words.sessions:
        for part in title_parts(s.title_en if language == "en" else s.title_zh, language):
            if language == "en":
                # at least half the title's content words: recognisers often miss one
                content = [w for w in part.split() if w not in STOPWORDS]
                hits = sum(w in toks for w in content)
                size = hits if content and 2 * hits >= len(content) else 0
            else:
                size = len(part) if part in text else 0
            if size and (best is None or size > best[0]):
                best = (size, s.id, part)
    return {"session_id": best[1], "session": best[2]} if best else None


def match_intent(text: str, language: str, words: SummitWords) -> Intent:
    """The best intent for a transcript, or `unknown` below the catalogue's minimum score."""
    catalogue = load_catalogue()
    if language == "zh":  # recognisers put spaces between Chinese words; jieba re-segments
        text = text.replace(" ", "")
    toks = tokens(text, language)
    found: dict[str, dict[str, Any] | None] = {
        "place": find_place(text, language, words),
        "session": find_session(text, language, words),
    }
    best = Intent("unknown")
    for name, spec in catalogue["intents"].items():
        score = sum(
            w
            for cue, w in spec["cues"].get(language, {}).items()
            if _has(cue, toks, text, language)
        )
        slot = spec.get("slot")
        filled = found.get(slot) if slot else None
        if filled:
            score += catalogue["slot_bonus"]
        if score > best.score:
            best = Intent(name, dict(filled) if filled else {}, score)
    if best.score < catalogue["min_score"]:
        return Intent("unknown", {}, best.score)
    return best
