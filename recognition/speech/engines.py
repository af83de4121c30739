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
from pocketsphinx.lm import ArpaBoLM

from recognition.speech.catalogue import SummitWords, example_phrases
from recognition.speech.errors import SpeechError


@dataclass(frozen=True)
class Transcript:
    """The final words of one utterance, how sure the engine was (0..1), its n-best list
    ((text, weight), best first; empty when the engine gives only one sentence) and what other
    recognisers heard in the same audio (`also`; the kiosk's English: Moonshine's)."""

    text: str
    confidence: float
    engine: str
    alternatives: tuple[tuple[str, float], ...] = ()
    also: tuple[Transcript, ...] = ()


class Stream(Protocol):
    def accept(self, pcm: bytes) -> str:
        """Feed PCM; returns the partial transcript so far."""
        ...

    def finish(self) -> Transcript:
        """End the utterance and return its final transcript."""
        ...


CHUNK = 3200  # 100 ms of 16 kHz PCM: how a whole utterance is fed to a streaming engine


def transcribe_whole(stream: Stream, pcm: bytes) -> Transcript:
    """Feed a whole utterance (16 kHz mono 16-bit PCM) through a stream in 100 ms chunks."""
    for start in range(0, len(pcm), CHUNK):
        stream.accept(pcm[start : start + CHUNK])
    return stream.finish()


class Engine(Protocol):
    name: str
    language: str

    def open_stream(self, words: SummitWords, room: str | None = None) -> Stream:
        """A recogniser for one utterance, constrained to the catalogue and `words`; `room`
        names where it is heard (a kiosk), for engines that adapt to a room."""
        ...


@cache
def _cmu_words() -> frozenset[str]:
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    with path.open(encoding="utf-8") as fh:
        return frozenset(line.split(" ", 1)[0].split("(")[0] for line in fh)


def grammar_sentences(words: SummitWords) -> list[str]:
    """English catalogue sentences whose every word the PocketSphinx dictionary knows."""
    known = _cmu_words()
    return [p for p in example_phrases("en", words) if all(w in known for w in p.split())]


def jsgf_grammar(sentences: list[str]) -> str:
    """A JSGF grammar accepting exactly the given sentences."""
    body = " | ".join(f"( {p} )" for p in sentences)
    return f"#JSGF V1.0;\ngrammar kiosk;\npublic <question> = {body};\n"


@dataclass
class _Decoders:
    """A grammar decoder and a catalogue n-gram decoder (the fallback) for one vocabulary."""

    grammar: pocketsphinx.Decoder
    ngram: pocketsphinx.Decoder | None
    sentences: frozenset[str]


class PocketSphinxEngine:
    """English PocketSphinx constrained to the catalogue; `constrained=False` is the baseline.

    The grammar accepts only whole catalogue sentences. When a speaker's pronunciation of the
    last word is far from the dictionary's, the grammar search ends short of any sentence; the
    utterance is then decoded again with an n-gram model trained on the same sentences, which
    still knows only the catalogue's words but may stop anywhere.
    """

    language = "en"

    def __init__(self, constrained: bool = True) -> None:
        self.constrained = constrained
        self.name = "pocketsphinx" if constrained else "pocketsphinx-open"
        self._idle: dict[str, list[_Decoders]] = {}
        self._lock = threading.Lock()

    def open_stream(self, words: SummitWords, room: str | None = None) -> Stream:
        del room  # this engine does not adapt to rooms
        sentences = grammar_sentences(words) if self.constrained else []
        key = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:16]
        with self._lock:
            idle = self._idle.setdefault(key, [])
            decoders = idle.pop() if idle else None
        if decoders is None:
            decoders = self._decoders(key, sentences)
        return _SphinxStream(self, key, decoders)

    def _decoders(self, key: str, sentences: list[str]) -> _Decoders:
        if not sentences:
            return _Decoders(pocketsphinx.Decoder(loglevel="FATAL"), None, frozenset())
        # The decoders read their files when created; the files need not outlive this call.
        with tempfile.TemporaryDirectory(prefix="summit-sphinx-") as tmp:
            return self._decoders_from(Path(tmp), key, sentences)

    def _decoders_from(self, folder: Path, key: str, sentences: list[str]) -> _Decoders:
        try:
            (folder / f"{key}.gram").write_text(jsgf_grammar(sentences), encoding="utf-8")
            self._write_ngram(folder / f"{key}.arpa", folder / f"{key}.dict", sentences)
            return _Decoders(
                pocketsphinx.Decoder(jsgf=str(folder / f"{key}.gram"), loglevel="FATAL"),
                pocketsphinx.Decoder(
                    lm=str(folder / f"{key}.arpa"),
                    dict=str(folder / f"{key}.dict"),
                    loglevel="FATAL",
                ),
                frozenset(sentences),
            )
        except RuntimeError as exc:
            raise SpeechError(f"PocketSphinx failed to start: {exc}", "engine_failed") from exc

    @staticmethod
    def _write_ngram(arpa: Path, dictionary: Path, sentences: list[str]) -> None:
        model = ArpaBoLM(text="\n".join(sentences), add_start=True, discount_mass=0.2)
        model.compute()
        model.write_file(str(arpa))
        vocab = {w for p in sentences for w in p.split()}
        source = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
        with source.open(encoding="utf-8") as fh:
            lines = [ln for ln in fh if ln.split(" ", 1)[0].split("(")[0] in vocab]
        dictionary.write_text("".join(lines), encoding="utf-8")

    def release(self, key: str, decoders: _Decoders) -> None:
        """Return decoders to the pool once their utterance is over."""
        with self._lock:
            self._idle.setdefault(key, []).append(decoders)

    def close(self) -> None:
        self._idle.clear()


# Digital silence (exact zeros, as synthetic or gated audio has) throws PocketSphinx's noise
# tracking off and it stops short of the last word; a microphone-like floor at -72 dBFS fixes it.
DITHER_LSB = 8.0


class _SphinxStream:
    def __init__(self, engine: PocketSphinxEngine, key: str, decoders: _Decoders) -> None:
        self._engine, self._key, self._dec = engine, key, decoders
        self._rng = np.random.default_rng(0)
        self._audio = bytearray()
        self._dec.grammar.start_utt()
        self._done = False

    def _dither(self, pcm: bytes) -> bytes:
        x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
        x += self._rng.normal(0.0, DITHER_LSB, len(x))
        return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()

    def accept(self, pcm: bytes) -> str:
        pcm = self._dither(pcm)
        self._audio += pcm
        self._dec.grammar.process_raw(pcm, False, False)
        hyp = self._dec.grammar.hyp()
        return hyp.hypstr if hyp else ""

    def finish(self) -> Transcript:
        if self._done:
            raise SpeechError("this utterance is already finished", "stream_finished")
        self._done = True
        try:
            return self._final()
        finally:
            self._engine.release(self._key, self._dec)

    def _final(self) -> Transcript:
        self._dec.grammar.end_utt()
        hyp = self._dec.grammar.hyp()
        text, prob = (hyp.hypstr, float(hyp.prob)) if hyp else ("", 0.0)
        if self._dec.ngram is None or text in self._dec.sentences or not self._audio:
            return Transcript(text, prob, self._engine.name)
        fallback = self._dec.ngram
        fallback.start_utt()
        fallback.process_raw(bytes(self._audio), False, True)
        fallback.end_utt()
        hyp = fallback.hyp()
        return Transcript(
            hyp.hypstr if hyp else text, float(hyp.prob) if hyp else prob, self._engine.name
        )
