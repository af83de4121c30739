"""Streaming recognisers behind one interface: feed 16 kHz PCM chunks, read partials, finish.

`Engine.open_stream(words)` gives a `Stream` constrained to the catalogue and the summit's own
words; one stream per utterance, engines (and their models) are shared. PocketSphinx is the
built-in English default: a JSGF grammar generated from the catalogue, because open vocabulary
is far too inaccurate on this task (see benchmarks/speech_bench.py).
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
import pocketsphinx

from recognition.speech.catalogue import SummitWords, example_phrases
from recognition.speech.errors import SpeechError


@dataclass(frozen=True)
class Transcript:
    """The final words of one utterance and how sure the engine was (0..1)."""

    text: str
    confidence: float
    engine: str


class Stream(Protocol):
    def accept(self, pcm: bytes) -> str:
        """Feed PCM; returns the partial transcript so far."""
        ...

    def finish(self) -> Transcript:
        """End the utterance and return its final transcript."""
        ...


class Engine(Protocol):
    name: str
    language: str

    def open_stream(self, words: SummitWords) -> Stream:
        """A recogniser for one utterance, constrained to the catalogue and `words`."""
        ...


@cache
def _cmu_words() -> frozenset[str]:
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    with path.open(encoding="utf-8") as fh:
        return frozenset(line.split(" ", 1)[0].split("(")[0] for line in fh)


def jsgf_grammar(words: SummitWords) -> str:
    """A JSGF grammar of every English catalogue sentence whose words the dictionary knows."""
    known = _cmu_words()
    phrases = [p for p in example_phrases("en", words) if all(w in known for w in p.split())]
    body = " | ".join(f"( {p} )" for p in phrases)
    return f"#JSGF V1.0;\ngrammar kiosk;\npublic <question> = {body};\n"


class PocketSphinxEngine:
    """English PocketSphinx; `constrained=False` is the open-vocabulary baseline."""

    language = "en"

    def __init__(self, constrained: bool = True) -> None:
        self.constrained = constrained
        self.name = "pocketsphinx" if constrained else "pocketsphinx-open"
        self._idle: dict[str, list[pocketsphinx.Decoder]] = {}
        self._lock = threading.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="summit-jsgf-")

    def open_stream(self, words: SummitWords) -> Stream:
        key, grammar = ("open", "") if not self.constrained else self._grammar(words)
        with self._lock:
            idle = self._idle.setdefault(key, [])
            decoder = idle.pop() if idle else None
        if decoder is None:
            decoder = self._decoder(key, grammar)
        return _SphinxStream(self, key, decoder)

    def _grammar(self, words: SummitWords) -> tuple[str, str]:
        grammar = jsgf_grammar(words)
        return hashlib.sha256(grammar.encode()).hexdigest()[:16], grammar

    def _decoder(self, key: str, grammar: str) -> pocketsphinx.Decoder:
        try:
            if not grammar:
                return pocketsphinx.Decoder(loglevel="FATAL")
            path = Path(self._dir.name) / f"{key}.gram"
            path.write_text(grammar, encoding="utf-8")
            return pocketsphinx.Decoder(jsgf=str(path), loglevel="FATAL")
        except RuntimeError as exc:
            raise SpeechError(f"PocketSphinx failed to start: {exc}", "engine_failed") from exc

    def release(self, key: str, decoder: pocketsphinx.Decoder) -> None:
        """Return a decoder to the pool once its utterance is over."""
        with self._lock:
            self._idle.setdefault(key, []).append(decoder)

    def close(self) -> None:
        self._idle.clear()
        self._dir.cleanup()


# Digital silence (exact zeros, as synthetic or gated audio has) throws PocketSphinx's noise
# tracking off and it stops short of the last word; a microphone-like floor at -72 dBFS fixes it.
DITHER_LSB = 8.0


class _SphinxStream:
    def __init__(self, engine: PocketSphinxEngine, key: str, decoder: pocketsphinx.Decoder) -> None:
        self._engine, self._key, self._decoder = engine, key, decoder
        self._rng = np.random.default_rng(0)
        self._decoder.start_utt()
        self._done = False

    def _dither(self, pcm: bytes) -> bytes:
        x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
        x += self._rng.normal(0.0, DITHER_LSB, len(x))
        return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()

    def accept(self, pcm: bytes) -> str:
        self._decoder.process_raw(self._dither(pcm), False, False)
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp else ""

    def finish(self) -> Transcript:
        if self._done:
            raise SpeechError("this utterance is already finished", "stream_finished")
        self._done = True
        try:
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
            text, prob = (hyp.hypstr, float(hyp.prob)) if hyp else ("", 0.0)
        finally:
            self._engine.release(self._key, self._decoder)
        return Transcript(text, prob, self._engine.name)
