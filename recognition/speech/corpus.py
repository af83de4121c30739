"""The training corpus: thousands of questions per language expanded from corpus_templates.json.

Templates use `[a|b|]` (one option, empty allowed) and `{slot}` (one entry of the language's slot
list, plus the summit's own session titles and place names). Expansion is random but seeded, so
the corpus is the same on every machine. Conversational filler (prefixes such as "excuse me",
suffixes such as "please") is added to part of the sentences. Labels are corpus intents:
`agenda` stands for agenda_next and agenda_session, `unknown` for off-topic questions.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from recognition.speech.catalogue import (
    NO_WORDS,
    SummitWords,
    load_catalogue,
    normalise_en,
    place_aliases,
    session_phrases,
)

TEMPLATES_PATH = Path(__file__).with_name("corpus_templates.json")
PER_TEMPLATE = {"en": 70, "zh": 40, "ko": 30}
MAX_PER_INTENT = {"en": 900, "zh": 500, "ko": 200}
FILLER_SHARE = 0.35
_TOKEN = re.compile(r"\[([^\]]*)\]|\{(\w+)\}")
# Which templates to expand: keep(intent, template index). The benchmarks' tuning split holds
# some templates out to choose settings on phrasings the models never saw.
Keep = Callable[[str, int], bool]


@cache
def templates() -> dict[str, Any]:
    """The parsed template file (read-only)."""
    data: dict[str, Any] = json.loads(TEMPLATES_PATH.read_text(encoding="utf-8"))
    return data


def labels() -> list[str]:
    """Corpus intents (classifier labels), `unknown` included."""
    return list(templates()["en"]["intents"])


def _slots(language: str, words: SummitWords) -> dict[str, list[str]]:
    spec = templates()[language]
    slots = {k: list(v) for k, v in spec["slots"].items()}
    if language == "ko":
        return slots
    norm = normalise_en if language == "en" else str
    summit_places = [a for names in place_aliases(language, words).values() for a in names]
    slots["place"] = list(dict.fromkeys(slots.get("place", []) + [norm(p) for p in summit_places]))
    sessions = [norm(s) for s in session_phrases(language, words)]
    slots["session"] = list(dict.fromkeys(slots.get("session", []) + sessions))
    return slots


def _expand(template: str, slots: dict[str, list[str]], rng: random.Random) -> str:
    def pick(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return str(rng.choice(m.group(1).split("|")))
        return rng.choice(slots[m.group(2)])

    return _TOKEN.sub(pick, template)


def _with_filler(text: str, spec: dict[str, Any], rng: random.Random, language: str) -> str:
    if rng.random() > FILLER_SHARE:
        return text
    sep = " " if language != "zh" else ""
    return sep.join(p for p in (rng.choice(spec["prefix"]), text, rng.choice(spec["suffix"])) if p)


def _clean(text: str, language: str) -> str:
    if language == "en":
        return normalise_en(text)
    if language == "zh":
        return re.sub(r"\s+", "", text)
    return " ".join(text.split())


def build_corpus(
    language: str, words: SummitWords = NO_WORDS, keep: Keep | None = None
) -> list[tuple[str, str]]:
    """(sentence, corpus intent) pairs for `language`, deduplicated, in a stable order."""
    spec = templates()[language]
    slots = _slots(language, words)
    rng = random.Random(f"summit-corpus-{language}")
    out: list[tuple[str, str]] = []
    for intent, lines in spec["intents"].items():
        seen: dict[str, None] = {}
        for index, template in enumerate(lines):
            if keep is not None and not keep(intent, index):
                continue
            for _ in range(PER_TEMPLATE[language]):
                text = _clean(
                    _with_filler(_expand(template, slots, rng), spec, rng, language), language
                )
                if text:
                    seen[text] = None
        sentences = list(seen)
        rng.shuffle(sentences)
        out += [(s, intent) for s in sentences[: MAX_PER_INTENT[language]]]
    return out


def corpus_intent(intent: str) -> str:
    """The corpus label of a public intent (agenda_next and agenda_session are one label)."""
    return "agenda" if intent.startswith("agenda") else intent


def catalogue_examples(language: str) -> list[tuple[str, str]]:
    """The catalogue's own example sentences without slots, labelled: part of the corpus too."""
    return [
        (_clean(example, language), corpus_intent(name))
        for name, spec in load_catalogue()["intents"].items()
        for example in spec["examples"].get(language, [])
        if "{" not in example
    ]


def training_set(
    language: str, words: SummitWords = NO_WORDS, keep: Keep | None = None
) -> list[tuple[str, str]]:
    """Everything the classifier and the language model learn from: corpus plus catalogue."""
    held_out = set(templates().get("held_out", {}).get(language, []))
    pairs = build_corpus(language, words, keep) + catalogue_examples(language)
    return [p for p in dict.fromkeys(pairs) if p[0] not in held_out]
