"""English PocketSphinx with the mixed corpus + general English language model (lm.py).

This is the English default: it can output words and sentences that no template has. Each
utterance yields the best transcript and an n-best list; the intent classifier reads the list.
`transcribe(pcm, language, words)` (the whole Transcript) and `decode(pcm, language, words)`
(n-best only) are the pure top-level entry points a worker pool can call in another process.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pocketsphinx

from recognition.speech import denoise as front_ends
from recognition.speech.catalogue import NO_WORDS, SummitWords, session_phrases
from recognition.speech.engines import DITHER_LSB, Stream, Transcript, transcribe_whole
from recognition.speech.errors import SpeechError, SpeechUnavailable
from recognition.speech.lm import write_model

NBEST = 5
LANGUAGE_WEIGHT = 6.5  # PocketSphinx's default; see docs/speech.md for the values tried
FILLERS = frozenset({"um", "uh", "hmm", "ah", "er", "oh"})
# The cepstral mean a decoder starts from. PocketSphinx's live CMN starts from a fixed guess
# ("40,3,-1") and adapts during the first utterance, so a fresh decoder misheard its first
# question. This is the mean a decoder holds while hearing training sentences spoken by
# espeak-ng en-us and flite slt (`benchmarks/speech_tune.py cmn`, averaged over sentences and
# both voices). Held-out-template corpus sentences, each heard by a decoder at its start value:
# 69.0% labelled right from this start, 61.1% from the default, 66.2% by a warm decoder
# (docs/speech.md). It still adapts from here to the room and the speaker.
CMN_INIT = "48.27,-1.61,2.49,15.94,-5.62,-1.31,-2.17,-7.13,1.11,-3.90,3.81,-0.52,1.11"
# The acoustic model adapted to speech heard through the kiosk's noise front end: one global
# linear transform of PocketSphinx's Gaussian means (MLLR), learnt by sphinxtrain from training
# corpus sentences spoken by voices the benchmarks do not use, clean and in white, pink and babble
# noise at 5-15 dB (`benchmarks/speech_adapt.py build`; docs/speech.md has how it was chosen and
# what it does to real recorded speech). PocketSphinx applies it when a decoder is built.
KIOSK_MLLR = Path(__file__).with_name("en-us-kiosk.mllr")
# No second (flat-lexicon) search pass: on the tuning split it cost 40-45% of the CPU time
# (babble 10 dB RTF 0.222 -> 0.124) for no gain in intents (docs/speech.md).
DECODER_OPTIONS: dict[str, Any] = {"cmninit": CMN_INIT, "fwdflat": False, "mllr": str(KIOSK_MLLR)}
MAX_ROOMS = 1000  # rooms (kiosks) whose cepstral mean is remembered per engine


def kiosk_mllr() -> str | None:
    """The acoustic transform decoders use: SPEECH_MLLR, a PocketSphinx MLLR file (sphinxtrain's
    mllr_solve writes them), "off" for none, or unset for KIOSK_MLLR."""
    name = os.environ.get("SPEECH_MLLR", "").strip()
    if name.lower() == "off":
        return None
    path = Path(name) if name else KIOSK_MLLR
    if not path.is_file():
        raise SpeechUnavailable(
            f"SPEECH_MLLR names no transform file: {name!r} (give a file or 'off')",
            "engine_missing",
        )
    return str(path)


def acoustic_model() -> str:
    """Which acoustic transform decoders use, for the console: "kiosk" (KIOSK_MLLR), "custom"
    (another file), "off", or "missing" (SPEECH_MLLR names no file; decoders refuse to start)."""
    try:
        chosen = kiosk_mllr()
    except SpeechUnavailable:
        return "missing"
    return "off" if chosen is None else "kiosk" if chosen == str(KIOSK_MLLR) else "custom"


def _words_key(words: SummitWords, general: bool) -> str:
    names = session_phrases("en", words) + [z.name_en for z in words.zones]
    return hashlib.sha256((f"{general}\n" + "\n".join(names)).encode()).hexdigest()[:16]


class CorpusLmEngine:
    """PocketSphinx with the corpus trigram mixed with general English (`general=False`: the
    corpus alone, for the benchmark)."""

    language = "en"

    def __init__(
        self,
        general: bool = True,
        sentences: list[str] | None = None,
        options: dict[str, Any] | None = None,
        denoise: str | None = None,
    ) -> None:
        self.general = general
        self.name = "pocketsphinx-lm" if general else "pocketsphinx-corpus"
        # the benchmarks' tuning split: another training text and other decoder settings
        self._sentences = sentences
        self._options = dict(DECODER_OPTIONS if options is None else options)
        if options is None:  # the served settings, with SPEECH_MLLR's transform
            self._options.pop("mllr")
            self._options.update({"mllr": mllr} if (mllr := kiosk_mllr()) else {})
        self.cmn_start = str(self._options.get("cmninit") or "")
        self._rooms: dict[str, str] = {}  # room -> the mean its last utterance ended with
        # the noise front end before the decoder (denoise.py): SPEECH_DENOISE's unless given
        self.denoise = front_ends.front_end() if denoise is None else denoise
        self._idle: dict[str, list[pocketsphinx.Decoder]] = {}
        self._lock = threading.Lock()

    def decoder(self, words: SummitWords) -> tuple[str, pocketsphinx.Decoder]:
        key = _words_key(words, self.general)
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if idle:
                return key, idle.pop()
        with tempfile.TemporaryDirectory(prefix="summit-lm-") as tmp:
            arpa, dictionary = Path(tmp) / "kiosk.arpa", Path(tmp) / "kiosk.dict"
            write_model(arpa, dictionary, words, self.general, self._sentences)
            try:
                dec = pocketsphinx.Decoder(
                    lm=str(arpa),
                    dict=str(dictionary),
                    lw=LANGUAGE_WEIGHT,
                    loglevel="FATAL",
                    **self._options,
                )
            except RuntimeError as exc:
                raise SpeechError(f"PocketSphinx failed to start: {exc}", "engine_failed") from exc
        return key, dec

    def release(self, key: str, dec: pocketsphinx.Decoder) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(dec)

    def open_stream(self, words: SummitWords, room: str | None = None) -> Stream:
        """One utterance heard in `room` (a kiosk: its microphone and its hall). Decoders are
        pooled and serve every room, so each utterance starts from the cepstral mean the
        room's last utterance ended with (CMN_INIT for a new room, or for none): the decoder
        stays adapted to a kiosk's noise and microphone, and never carries one kiosk's into
        another's question."""
        key, dec = self.decoder(words)
        return _LmStream(self, key, dec, room)

    def room_start(self, room: str | None) -> str:
        """The cepstral mean an utterance in `room` starts from ("" when CMN_INIT is off)."""
        if not self.cmn_start:
            return ""
        with self._lock:
            return self._rooms.get(room, self.cmn_start) if room else self.cmn_start

    def remember(self, room: str | None, dec: pocketsphinx.Decoder) -> None:
        """Keep the mean updated with this utterance (as the decoder itself would carry it
        into its next one) as the room's next start."""
        if not (room and self.cmn_start):
            return
        mean = str(dec.get_cmn(True))
        with self._lock:
            self._rooms.pop(room, None)
            self._rooms[room] = mean
            while len(self._rooms) > MAX_ROOMS:  # the least recently heard room goes
                self._rooms.pop(next(iter(self._rooms)))

    def close(self) -> None:
        self._idle.clear()


class _LmStream:
    def __init__(
        self, engine: CorpusLmEngine, key: str, dec: pocketsphinx.Decoder, room: str | None
    ) -> None:
        self._engine, self._key, self._dec, self._room = engine, key, dec, room
        start = engine.room_start(room)
        if start:
            dec.set_cmn(start)  # the room's, not whatever this pooled decoder heard last
        self._rng = np.random.default_rng(0)
        self._clean = front_ends.make(engine.denoise)
        self._heard = bytearray()  # the audio through the front end, before the dither
        self._dec.start_utt()
        self._done = False

    def accept(self, pcm: bytes) -> str:
        x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
        self._feed(self._clean.process(x) if self._clean else x)
        hyp = self._dec.hyp()
        return hyp.hypstr if hyp else ""

    def _feed(self, x: np.ndarray) -> None:
        if not len(x):  # the denoiser holds back less than a frame; PocketSphinx refuses 0 bytes
            return
        if self._clean:
            self._heard += np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
        x = x + self._rng.normal(0.0, DITHER_LSB, len(x))
        self._dec.process_raw(np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes())

    def front_audio(self) -> bytes | None:
        """The question as the noise front end gave it to the decoder (16 kHz 16-bit PCM; all
        of it once finished), or None when there is no front end (SPEECH_DENOISE=off)."""
        return bytes(self._heard) if self._clean else None

    def finish(self) -> Transcript:
        if self._done:
            raise SpeechError("this utterance is already finished", "stream_finished")
        self._done = True
        try:
            if self._clean:
                self._feed(self._clean.finish())
            self._dec.end_utt()
            self._engine.remember(self._room, self._dec)
            hyp = self._dec.hyp()
            text = hyp.hypstr if hyp else ""
            alternatives = _nbest(self._dec, text)
            return Transcript(text, _word_confidence(self._dec), self._engine.name, alternatives)
        finally:
            self._engine.release(self._key, self._dec)


def _word_confidence(dec: pocketsphinx.Decoder) -> float:
    """Mean posterior probability of the heard words (fillers and silences left out)."""
    try:
        segments = dec.seg() or ()  # None when the search kept no lattice
        probs = [s.prob for s in segments if s.word[:1] not in "<[" and s.word not in FILLERS]
    except RuntimeError:
        return 0.0
    return float(np.mean(probs)) if probs else 0.0


def _nbest(dec: pocketsphinx.Decoder, best: str) -> tuple[tuple[str, float], ...]:
    """Distinct n-best sentences with weights from their acoustic+language scores (sum 1)."""
    seen: dict[str, int] = {}
    try:
        for item in dec.nbest() or ():  # None when the search kept no lattice
            if item is None or not getattr(item, "hypstr", None):
                continue
            text = " ".join(w for w in item.hypstr.split() if not w.startswith("<"))
            if text and text not in seen:
                seen[text] = int(item.best_score)
            if len(seen) >= NBEST:
                break
    except RuntimeError:
        pass
    if not seen:
        return ((best, 1.0),) if best else ()
    top = max(seen.values())
    # scores are in log base 1.0001; a flattening factor keeps the runners-up in play
    weights = {t: float(np.exp((s - top) * np.log(1.0001) / 10.0)) for t, s in seen.items()}
    total = sum(weights.values())
    return tuple((t, w / total) for t, w in weights.items())


_shared: dict[str, CorpusLmEngine] = {}
_shared_lock = threading.Lock()


def transcribe(pcm: bytes, language: str = "en", words: SummitWords = NO_WORDS) -> Transcript:
    """Pure entry point: 16 kHz mono 16-bit PCM -> the whole transcript (best text, word
    confidence, n-best list), for a worker pool whose caller calls understand() with all three.

    English only (Chinese and Korean audio go through Vosk, registry.py). Engines are kept per
    process, so a worker pool pays the model build once per worker.
    """
    if language != "en":
        raise SpeechError("decode() serves English; other languages use Vosk", "bad_language")
    with _shared_lock:
        engine = _shared.setdefault("en", CorpusLmEngine())
    return transcribe_whole(engine.open_stream(words), pcm)


def decode(
    pcm: bytes, language: str = "en", words: SummitWords = NO_WORDS
) -> tuple[tuple[str, float], ...]:
    """Pure entry point: 16 kHz mono 16-bit PCM -> n-best (text, weight), best first.

    The word confidence the decision rule also uses is in `transcribe()`'s result.
    """
    result = transcribe(pcm, language, words)
    return result.alternatives or ((result.text, 1.0),)
