"""Intent with confidence: a text classifier trained only on the corpus (corpus.py).

Features are TF-IDF word n-grams (1-2; Chinese words from jieba) plus character n-grams, which
carry meaning across unseen phrasings and misrecognised words; the model is a multinomial
logistic regression whose probabilities are the confidence. `unknown` (off-topic questions) is
a class of its own; understand.py turns the probabilities into what the kiosk does.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline

from recognition.speech.corpus import training_set

MAX_CANDIDATES = 3  # "Did you mean" buttons at most
_lock = threading.Lock()


@dataclass(frozen=True)
class Scores:
    """Corpus labels with probabilities, best first."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def best(self) -> tuple[str, float]:
        return self.ranked[0]


def _zh_words(text: str) -> list[str]:
    from recognition.speech.intents import tokens

    return tokens(text, "zh")


_WIFI = re.compile(r"\bwi[- ]fi\b")


def plain_text(text: str) -> str:
    """Lower case, one spelling of Wi-Fi, hyphens as spaces ("check-in" is "check in"): typed
    text and a recogniser that writes "Wi-Fi" (Moonshine) read as the corpus does."""
    return _WIFI.sub("wifi", text.lower()).replace("-", " ")


def _features(language: str) -> FeatureUnion:
    if language == "zh":
        words = TfidfVectorizer(tokenizer=_zh_words, token_pattern=None, ngram_range=(1, 2))
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    else:
        words = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[^ ]+", preprocessor=plain_text
        )
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=plain_text
        )
    return FeatureUnion([("words", words), ("chars", chars)])


class IntentClassifier:
    """A trained classifier for one language."""

    def __init__(self, language: str, data: list[tuple[str, str]] | None = None) -> None:
        data = training_set(language) if data is None else data
        self.language = language
        self.model: Any = make_pipeline(
            _features(language), LogisticRegression(C=4.0, max_iter=2000)
        )
        self.model.fit([t for t, _ in data], [label for _, label in data])
        self.labels: list[str] = [str(c) for c in self.model.classes_]

    def scores(self, text: str) -> Scores:
        """Probabilities of every label for one question."""
        return self.scores_many([text])[0]

    def scores_many(self, texts: list[str]) -> list[Scores]:
        with _lock:  # sklearn pipelines are not documented as thread-safe
            probs = np.asarray(self.model.predict_proba(texts))
        out = []
        for row in probs:
            order = np.argsort(-row)
            out.append(Scores(tuple((self.labels[i], float(row[i])) for i in order)))
        return out


@cache
def classifier(language: str) -> IntentClassifier:
    """The language's classifier, trained on first use (a few seconds) and kept."""
    return IntentClassifier(language)
