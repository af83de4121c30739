"""From words to what the kiosk does: answer an intent, offer candidates to confirm, or reject.

The classifier (classifier.py) gives each corpus label a probability from the text; the
recogniser's word confidence (1.0 for typed text) multiplies it, so a sentence heard badly is
confirmed rather than answered. Corpus labels become public intents with their slots here:
`agenda` is agenda_session when a session of the summit is named, else agenda_next; places are
found by name for `directions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from recognition.speech.catalogue import SummitWords, load_catalogue
from recognition.speech.classifier import ANSWER, MAX_CANDIDATES, OFFER, classifier
from recognition.speech.intents import Intent, find_place, find_session


@dataclass(frozen=True)
class Understanding:
    """The intent to answer (`unknown` when not answering), its confidence, and candidates."""

    intent: Intent
    confidence: float
    answered: bool
    candidates: tuple[Intent, ...]


def public_intent(label: str, text: str, language: str, words: SummitWords, p: float) -> Intent:
    """A corpus label as a catalogue intent with the slots the text names."""
    if label == "agenda":
        session = find_session(text, language, words)
        return Intent("agenda_session", session, p) if session else Intent("agenda_next", {}, p)
    if label == "directions":
        return Intent("directions", find_place(text, language, words) or {}, p)
    return Intent(label, {}, p)


def understand(text: str, language: str, words: SummitWords, heard: float = 1.0) -> Understanding:
    """Decide on one question; `heard` is the recogniser's confidence in the words (0..1)."""
    if language == "zh":
        text = text.replace(" ", "")
    text = text.strip()
    if not text:
        return Understanding(Intent("unknown"), 0.0, False, ())
    ranked = classifier(language).scores(text.lower()).ranked
    heard = max(0.0, min(1.0, heard))
    label, p = ranked[0]
    candidates = tuple(
        public_intent(name, text, language, words, round(q * heard, 3))
        for name, q in ranked
        if name != "unknown" and q >= OFFER
    )[:MAX_CANDIDATES]
    if label != "unknown" and p * heard >= ANSWER:
        return Understanding(candidates[0], p * heard, True, candidates)
    if label == "unknown" and p >= ANSWER:  # clearly off-topic: nothing to confirm
        return Understanding(Intent("unknown", {}, p), p * heard, False, ())
    return Understanding(Intent("unknown", {}, p * heard), p * heard, False, candidates)


def chosen(name: str, slots: dict[str, object], language: str, words: SummitWords) -> Intent:
    """An intent the delegate tapped (a common question or a confirm button), slots checked."""
    intents = load_catalogue()["intents"]
    if name not in intents:
        raise ValueError(f"unknown intent {name!r}")
    clean: dict[str, object] = {}
    if name == "directions" and slots.get("place"):
        place = str(slots["place"])
        places = load_catalogue()["places"]
        if place not in places:
            raise ValueError(f"unknown place {place!r}")
        names = places[place].get(language) or places[place]["en"]
        clean = {"place": place, "place_name": names[0]}
    if name == "agenda_session":
        ids = {s.id for s in words.sessions}
        session_id = slots.get("session_id")
        if not isinstance(session_id, int) or session_id not in ids:
            raise ValueError("session_id must name a session of the agenda")
        clean = {"session_id": session_id}
    return Intent(name, clean, 1.0)
