"""The English language model: a trigram of the corpus mixed with PocketSphinx's general English.

The corpus (corpus.py: thousands of ways to ask each intent, off-topic questions, the summit's
session and place names) gives the trigrams; the general English model shipped in the
pocketsphinx wheel (`en-us.lm.bin`) gives the `GENERAL_WORDS` most frequent English words and
their unigram probabilities, interpolated into the unigrams with weight `GENERAL_WEIGHT`. So the
recogniser prefers the ways people ask a kiosk, yet a word that no template has can still come
out (and the classifier then sees it) instead of every utterance being forced onto a sentence.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pocketsphinx
from pocketsphinx import Config, LogMath, NGramModel
from pocketsphinx.lm import ArpaBoLM

from recognition.speech.catalogue import SummitWords
from recognition.speech.corpus import training_set

GENERAL_WORDS = 5000
GENERAL_WEIGHT = 0.15
DISCOUNT = 0.3


def model_dir() -> Path:
    return Path(pocketsphinx.get_model_path()) / "en-us"


@cache
def pronunciations() -> dict[str, list[str]]:
    """CMU dictionary lines by word (alternatives such as `word(2)` kept with their word)."""
    out: dict[str, list[str]] = {}
    with (model_dir() / "cmudict-en-us.dict").open(encoding="utf-8") as fh:
        for line in fh:
            out.setdefault(line.split(" ", 1)[0].split("(")[0], []).append(line)
    return out


@cache
def general_unigrams(size: int = GENERAL_WORDS) -> tuple[tuple[str, float], ...]:
    """The `size` most likely words of the general English model with their probabilities."""
    logmath = LogMath()
    model = NGramModel(Config(), logmath, str(model_dir() / "en-us.lm.bin"))
    scale = math.log(1.0001)  # LogMath's default base
    scored = []
    for word in pronunciations():
        value = model.prob([word])
        score = value[0] if isinstance(value, tuple) else value
        if score > -10_000_000 and word.isascii() and "_" not in word:
            scored.append((math.exp(score * scale), word))
    scored.sort(reverse=True)
    return tuple((w, p) for p, w in scored[:size])


def corpus_sentences(words: SummitWords) -> list[str]:
    """English training sentences whose every word the dictionary can pronounce."""
    known = pronunciations()
    return [s for s, _ in training_set("en", words) if all(w in known for w in s.split())]


def write_model(
    arpa: Path,
    dictionary: Path,
    words: SummitWords,
    general: bool = True,
    sentences: list[str] | None = None,
) -> int:
    """Write the mixed ARPA model and its dictionary; returns the vocabulary size.

    `sentences` replaces the corpus (the benchmarks' tuning split trains on part of it).
    """
    sentences = corpus_sentences(words) if sentences is None else sentences
    model = ArpaBoLM(text="\n".join(sentences), add_start=True, discount_mass=DISCOUNT)
    if general:
        tokens = sum(model.grams_1.values())
        extra = GENERAL_WEIGHT / (1.0 - GENERAL_WEIGHT) * tokens
        unigrams = general_unigrams()
        total = sum(p for _, p in unigrams)
        for word, p in unigrams:
            model.grams_1[word] += max(1, round(extra * p / total))
    model.compute()
    model.write_file(str(arpa))
    known = pronunciations()
    vocab = [w for w in model.grams_1 if w in known]
    dictionary.write_text("".join(ln for w in vocab for ln in known[w]), encoding="utf-8")
    return len(vocab)
