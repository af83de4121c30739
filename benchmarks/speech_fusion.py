#!/usr/bin/env python3
"""Tried for issue 15 and not adopted: Moonshine with a beam and the summit's word model fused in.

    .venv/bin/python benchmarks/speech_tune.py decode --engine moonshine --moonshine-served \
        --beam 4 [--fusion 0.6] [--speak] --out /tmp/moon-beam.json
    .venv/bin/python benchmarks/speech_tune.py route /tmp/tune.json /tmp/moon-beam.json --share 0.3

The served Moonshine decodes greedily (recognition/speech/moonshine.py). Here: a beam search over
its tokens, finished hypotheses ranked per token (without that the short ones win: "good morning
what is the name of my hotel" came out "george morning"), its n-best list weighted by score; with
`weight` > 0 the word model PocketSphinx decodes with (lm.write_model: the corpus trigram mixed
with general English) adds weight x log P(finished words) to each hypothesis (shallow fusion),
so Moonshine leans to the summit's words ("where is my room working" -> "where is my room
booking"); `speak` forbids an empty transcript. On the tuning split it was no better than
greedy decoding (docs/speech.md, "Moonshine with a beam and the summit's word model").
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from recognition.speech.engines import Transcript
from recognition.speech.moonshine import (
    END,
    NAME,
    RATE,
    START,
    TOKENS_PER_SECOND,
    Moonshine,
    plain,
    samples,
)


class WordLm:
    """An ARPA back-off model (the one write_model writes) that scores word sequences, for
    biasing a recogniser that does not take a language model itself (`beam` below).
    Natural-log probabilities; a word the model does not know costs `unknown`."""

    def __init__(self, arpa: Path, unknown: float = -20.0) -> None:
        self.grams: dict[tuple[str, ...], tuple[float, float]] = {}
        self.unknown = unknown
        self.order = 0
        size = 0
        ten = math.log(10.0)
        with arpa.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if line.startswith("\\") and line.endswith("-grams:"):
                    size = int(line[1:].split("-", 1)[0])
                    self.order = max(self.order, size)
                    continue
                if not line or line.startswith(("\\", "ngram ")) or not size:
                    continue
                parts = line.split()
                if len(parts) < size + 1:
                    continue
                words = tuple(parts[1 : 1 + size])
                back = float(parts[1 + size]) * ten if len(parts) > size + 1 else 0.0
                self.grams[words] = (float(parts[0]) * ten, back)
        self._cache: dict[tuple[str, ...], float] = {}

    def word(self, history: tuple[str, ...], word: str) -> float:
        """log P(word | history), backing off as ARPA does."""
        context = history[-(self.order - 1) :] if self.order > 1 else ()
        penalty = 0.0
        while True:
            hit = self.grams.get((*context, word))
            if hit is not None:
                return penalty + hit[0]
            if not context:
                return self.unknown
            penalty += self.grams.get(context, (0.0, 0.0))[1]
            context = context[1:]

    def sentence(self, words: tuple[str, ...], end: bool = False) -> float:
        """log P of these words after <s> (and </s> after them when `end`), memoised."""
        key = (*words, "</s>") if end else words
        if key in self._cache:
            return self._cache[key]
        if not key:
            return 0.0
        total = self.sentence(key[:-1]) + self.word(("<s>", *key[:-1]), key[-1])
        if len(self._cache) < 200_000:
            self._cache[key] = total
        return total


def beam(
    model: Moonshine,
    audio: np.ndarray,
    width: int = 4,
    lm: WordLm | None = None,
    weight: float = 0.0,
    bonus: float = 0.0,
    speak: bool = False,
) -> list[tuple[list[int], float, float]]:
    """Beam search over Moonshine's tokens, the summit's word model fused in: a hypothesis
    scores its tokens' log probabilities plus `weight` x the word model's log probability
    of its finished words plus `bonus` per word; finished ones are ranked by their score
    per token (the end token counted). Returns at most `width` finished hypotheses, best
    first: (token ids, score per token, mean token probability)."""
    hidden, mask, past = model.encode(audio)
    keys = list(past)
    # alive hypotheses: (tokens, acoustic log prob, token probabilities)
    alive: list[tuple[list[int], float, list[float]]] = [([], 0.0, [])]
    done: list[tuple[list[int], float, float]] = []
    ids = np.array([[START]], dtype=np.int64)
    steps = max(1, int(np.ceil(len(audio) / RATE * TOKENS_PER_SECOND)))

    def scored(tokens: list[int], acoustic: float, end: bool) -> float:
        words = tuple(plain(model.tokens.text(tokens)).split())
        finished = words if end else words[:-1]
        fused = weight * lm.sentence(finished, end) if lm is not None and weight else 0.0
        return acoustic + fused + bonus * len(finished)

    for step in range(steps):
        n = len(alive)
        inputs: dict[str, Any] = {
            "input_ids": ids,
            "encoder_hidden_states": np.repeat(hidden, n, axis=0),
            "use_cache_branch": [step > 0],
        }
        if "encoder_attention_mask" in model._decoder_inputs:
            inputs["encoder_attention_mask"] = np.repeat(mask, n, axis=0)
        logits, *present = model.decoder.run(None, {**inputs, **past})
        rows = logits[:, -1].astype(np.float64)
        rows = rows - rows.max(axis=1, keepdims=True)
        logp = rows - np.log(np.exp(rows).sum(axis=1, keepdims=True))
        if step == 0 and speak:  # somebody spoke (the kiosk heard a question): no empty answer
            logp[:, END] = -np.inf
        candidates = []
        for b, (tokens, acoustic, probs) in enumerate(alive):
            for token in np.argsort(logp[b])[::-1][:width]:
                lp = float(logp[b, token])
                grown = acoustic + lp
                end = int(token) == END
                path = tokens if end else [*tokens, int(token)]
                candidates.append(
                    (scored(path, grown, end), b, int(token), path, grown, [*probs, np.exp(lp)])
                )
        candidates.sort(key=lambda c: -c[0])
        kept = []
        for score, b, token, path, grown, probs in candidates:
            if token == END:  # finished ones compete per token, or the short would win
                done.append((path, score / (len(path) + 1), float(np.mean(probs))))
            elif len(kept) < width:
                kept.append((score, b, token, path, grown, probs))
        done = sorted(done, key=lambda d: -d[1])[:width]
        if not kept or (len(done) >= width and kept[0][0] / (step + 2) < done[-1][1]):
            break
        parents = np.array([k[1] for k in kept])
        for key, value in zip(keys, present, strict=True):
            if ".decoder." in key:
                past[key] = value[parents]
            else:  # the encoder's keys are made once and are the same for every hypothesis
                heard = value[:1] if step == 0 else past[key][:1]
                past[key] = np.repeat(heard, len(kept), axis=0)
        alive = [(k[3], k[4], k[5]) for k in kept]
        ids = np.array([[k[2]] for k in kept], dtype=np.int64)
    else:  # the longest allowed transcript ran out: the alive ones count as they are
        done += [(t, scored(t, a, True) / (len(t) + 1), float(np.mean(p))) for t, a, p in alive]
    return sorted(done, key=lambda d: -d[1])[:width]


def transcribe(
    model: Moonshine,
    pcm: bytes,
    width: int = 4,
    lm: WordLm | None = None,
    weight: float = 0.0,
    bonus: float = 0.0,
    speak: bool = False,
) -> Transcript:
    """As Moonshine.transcribe, with `beam`: the best hypothesis's words and mean token
    probability, and the n-best list weighted by score (per token, as if as long as the best)."""
    x = samples(pcm)
    if x is None:
        return Transcript("", 0.0, NAME)
    found = beam(model, x, max(1, width), lm, weight, bonus, speak)
    merged: dict[str, float] = {}
    top, length = found[0][1], len(found[0][0]) + 1
    for tokens, score, _ in found:
        said = plain(model.tokens.text(tokens))
        merged[said] = merged.get(said, 0.0) + float(np.exp((score - top) * length))
    total = sum(merged.values())
    ranked = sorted(merged.items(), key=lambda kv: -kv[1])
    alternatives = tuple((w, p / total) for w, p in ranked if w)
    words = plain(model.tokens.text(found[0][0]))
    return Transcript(words, found[0][2] if words else 0.0, NAME, alternatives)
