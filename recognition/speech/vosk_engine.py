"""Vosk on any Vosk model folder, in phrase-list mode built from the catalogue.

One `vosk.Model` per folder is shared by every stream (it is large and read-only); each stream
gets its own `KaldiRecognizer`. Vosk's own endpointing splits long audio into segments, which
are joined into one transcript.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import vosk

from recognition.speech.audio import RATE
from recognition.speech.catalogue import SummitWords, example_phrases
from recognition.speech.engines import Stream, Transcript
from recognition.speech.errors import SpeechError, SpeechUnavailable
from recognition.speech.intents import tokens

vosk.SetLogLevel(-1)
_models: dict[str, vosk.Model] = {}
_models_lock = threading.Lock()


def shared_model(path: Path) -> vosk.Model:
    """The one Model for a folder, loaded on first use."""
    key = str(path.resolve())
    with _models_lock:
        if key not in _models:
            if not (path / "am" / "final.mdl").exists():
                raise SpeechUnavailable(f"no Vosk model in {path}", "speech_model_missing")
            try:
                _models[key] = vosk.Model(key)
            except Exception as exc:  # Vosk raises bare Exception on a broken folder
                raise SpeechUnavailable(
                    f"Vosk could not load {path}", "speech_model_missing"
                ) from exc
        return _models[key]


def phrase_list(language: str, words: SummitWords) -> list[str]:
    """Catalogue sentences as Vosk phrases: words separated by spaces (jieba for Chinese)."""
    phrases = example_phrases(language, words)
    if language == "zh":
        phrases = [" ".join(tokens(p, "zh")) for p in phrases]
    return phrases


class VoskEngine:
    """A Vosk model for one language; `grammar=False` decodes with the model's full vocabulary."""

    def __init__(self, language: str, model_path: Path, grammar: bool = True) -> None:
        self.language = language
        self.model_path = model_path
        self.grammar = grammar
        self.name = "vosk" if grammar else "vosk-open"

    def open_stream(self, words: SummitWords, room: str | None = None) -> Stream:
        del room  # this engine does not adapt to rooms
        model = shared_model(self.model_path)
        if self.grammar:
            phrases = json.dumps(phrase_list(self.language, words), ensure_ascii=False)
            recogniser = vosk.KaldiRecognizer(model, RATE, phrases)
        else:
            recogniser = vosk.KaldiRecognizer(model, RATE)
        recogniser.SetWords(True)
        return _VoskStream(recogniser, self.name)


class _VoskStream:
    def __init__(self, recogniser: vosk.KaldiRecognizer, name: str) -> None:
        self._rec, self._name = recogniser, name
        self._segments: list[dict[str, Any]] = []
        self._done = False

    def accept(self, pcm: bytes) -> str:
        if self._rec.AcceptWaveform(pcm):
            self._segments.append(json.loads(self._rec.Result()))
        partial = json.loads(self._rec.PartialResult()).get("partial", "")
        return " ".join([*self._texts(), partial]).strip()

    def _texts(self) -> list[str]:
        return [str(s.get("text", "")) for s in self._segments if s.get("text")]

    def finish(self) -> Transcript:
        if self._done:
            raise SpeechError("this utterance is already finished", "stream_finished")
        self._done = True
        self._segments.append(json.loads(self._rec.FinalResult()))
        confs = [float(w["conf"]) for s in self._segments for w in s.get("result", [])]
        text = " ".join(self._texts())
        return Transcript(text, sum(confs) / len(confs) if confs else 0.0, self._name)
