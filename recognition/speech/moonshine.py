"""Moonshine tiny: an open-vocabulary English recogniser learnt from recorded speech.

PocketSphinx (sphinx_lm.py) is the English default; in a loud hall it misses most questions
(babble at 10 dB), where Moonshine tiny, a 27M-parameter encoder-decoder trained by Useful
Sensors on recorded speech (MIT licence), still hears most of them. The kiosk runs it beside
PocketSphinx (`WithMoonshine`; the intent rule weighs both, understand.understand_heard;
docs/speech.md "Two recognisers").

Models: the quantized ONNX encoder and decoder of the npm package @moonshine-ai/moonshine-js
0.1.29 and the tokenizer of the PyPI package useful-moonshine-onnx 20251121 (both MIT), put
into `WEIGHTS` by `./dev setup` and checked against `FILES`; run here with onnxruntime on one
thread (greedy decoding as useful-moonshine-onnx does). SPEECH_MOONSHINE names another folder
with the same three files, or "off" for PocketSphinx alone.

The word confidence is the mean probability of the tokens Moonshine chose (the end token
included): the intent rule scales its answer score with it as it does PocketSphinx's word
posteriors, so a misheard question is offered as buttons, not answered.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from recognition.speech.audio import LOUD_DB, speech_over_noise
from recognition.speech.catalogue import SummitWords
from recognition.speech.engines import Engine, Stream, Transcript
from recognition.speech.errors import SpeechError, SpeechUnavailable

WEIGHTS = Path(__file__).with_name("weights") / "moonshine-tiny"
FILES = {
    "encoder_model.onnx": "c6fc4b7bc5af75c0591fd157a1f3829b533d18e9769a888fd95a62e470dd4f4a",
    "decoder_model_merged.onnx": "eed87831c3a6103534aae7d47a5d485025c659a1323901513961c39fe8a1a367",
    "tokenizer.json": "b68b995a58b3373db6c4f46864a9db50cd1333d086150ffa2c1096581ede9c10",
}
NAME = "moonshine-tiny"
LAYERS, HEADS, HEAD_DIM = 6, 8, 36  # Moonshine tiny's decoder (as useful-moonshine-onnx)
START, END = 1, 2  # decoder start and end tokens
RATE = 16000
MIN_SECONDS, MAX_SECONDS = 0.1, 64.0  # what the model accepts in one call
TOKENS_PER_SECOND = 6.5  # longest transcript allowed: a runaway decoder stops there
_BYTE = re.compile(r"<0x([0-9A-Fa-f]{2})>")
log = logging.getLogger(__name__)


def folder() -> Path | None:
    """Where Moonshine's files are (SPEECH_MOONSHINE or WEIGHTS), or None when it is switched
    off or not installed; SpeechUnavailable when SPEECH_MOONSHINE names a folder without them."""
    chosen = os.environ.get("SPEECH_MOONSHINE", "").strip()
    if chosen.lower() == "off":
        return None
    path = Path(chosen) if chosen else WEIGHTS
    missing = [name for name in FILES if not (path / name).is_file()]
    if missing and chosen:
        raise SpeechUnavailable(
            f"SPEECH_MOONSHINE names a folder without {', '.join(missing)} (or give 'off')",
            "engine_missing",
        )
    return None if missing else path


def status() -> str:
    """For the console: "moonshine" (heard beside PocketSphinx), "off" (SPEECH_MOONSHINE=off),
    "not_installed" (PocketSphinx alone) or "moonshine_missing" (SPEECH_MOONSHINE names a
    folder without the files; English speech then refuses to start)."""
    try:
        path = folder()
    except SpeechUnavailable:
        return "moonshine_missing"
    if path is not None:
        return "moonshine"
    return (
        "off"
        if os.environ.get("SPEECH_MOONSHINE", "").strip().lower() == "off"
        else "not_installed"
    )


class Tokens:
    """Token ids -> text, as the tokenizer.json's decoder does (SentencePiece-style pieces:
    "▁" is a space, <0xNN> pieces are raw bytes, the first space is dropped)."""

    def __init__(self, path: Path) -> None:
        spec = json.loads(path.read_text(encoding="utf-8"))
        vocab: dict[str, int] = spec["model"]["vocab"]
        self.pieces = [""] * (max(vocab.values()) + 1)
        for piece, index in vocab.items():
            self.pieces[index] = piece
        self.special = {t["id"] for t in spec.get("added_tokens", []) if t.get("special")}

    def text(self, ids: list[int]) -> str:
        out = bytearray()
        for i in ids:
            if i in self.special or not 0 <= i < len(self.pieces):
                continue
            piece = self.pieces[i]
            byte = _BYTE.fullmatch(piece)
            out += bytes([int(byte.group(1), 16)]) if byte else piece.replace("▁", " ").encode()
        said = out.decode("utf-8", errors="replace")
        return said[1:] if said.startswith(" ") else said


def samples(pcm: bytes) -> np.ndarray | None:
    """16 kHz mono 16-bit PCM as the float audio Moonshine takes; None when too short to hear,
    SpeechError when longer than it hears at once."""
    x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768
    seconds = len(x) / RATE
    if seconds < MIN_SECONDS:
        return None
    if seconds > MAX_SECONDS:
        raise SpeechError("the question is longer than Moonshine hears at once", "audio_too_long")
    return x


def plain(said: str) -> str:
    """Moonshine's punctuated, cased text as the kiosk's words: lower case, letters, digits and
    apostrophes (hyphens and slashes become spaces)."""
    said = said.lower().replace("-", " ").replace("/", " ")
    return " ".join("".join(c for c in said if c.isalnum() or c in " '").split())


class Moonshine:
    """The model, loaded once and shared by every thread (onnxruntime sessions are)."""

    name = NAME

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self.encoder = onnxruntime.InferenceSession(
                str(path / "encoder_model.onnx"), options, providers=["CPUExecutionProvider"]
            )
            self.decoder = onnxruntime.InferenceSession(
                str(path / "decoder_model_merged.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise SpeechError(f"Moonshine failed to start: {exc}", "engine_failed") from exc
        self.tokens = Tokens(path / "tokenizer.json")
        self._encoder_inputs = {i.name for i in self.encoder.get_inputs()}
        self._decoder_inputs = {i.name for i in self.decoder.get_inputs()}

    def encode(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Float audio (-1..1, 16 kHz) -> the encoder's states, their attention mask and the
        decoder's empty cache (its keys in the decoder's order)."""
        x = audio.astype(np.float32)[None, :]
        mask = np.ones_like(x, dtype=np.int64)
        encoder_in: dict[str, Any] = {"input_values": x}
        if "attention_mask" in self._encoder_inputs:
            encoder_in["attention_mask"] = mask
        hidden = self.encoder.run(None, encoder_in)[0]
        empty = np.zeros((0, HEADS, 1, HEAD_DIM), dtype=np.float32)
        past = {
            f"past_key_values.{i}.{a}.{b}": empty
            for i in range(LAYERS)
            for a in ("decoder", "encoder")
            for b in ("key", "value")
        }
        return hidden, mask, past

    def generate(self, audio: np.ndarray) -> tuple[list[int], float]:
        """Token ids for float audio (-1..1, 16 kHz) and their mean probability."""
        hidden, mask, past = self.encode(audio)
        tokens: list[int] = []
        probs: list[float] = []
        ids = [[START]]
        for i in range(max(1, int(np.ceil(len(audio) / RATE * TOKENS_PER_SECOND)))):
            inputs: dict[str, Any] = {
                "input_ids": ids,
                "encoder_hidden_states": hidden,
                "use_cache_branch": [i > 0],
            }
            if "encoder_attention_mask" in self._decoder_inputs:
                inputs["encoder_attention_mask"] = mask
            logits, *present = self.decoder.run(None, {**inputs, **past})
            row = logits[0, -1].astype(np.float64)
            p = np.exp(row - row.max())
            token = int(row.argmax())
            probs.append(float(p[token] / p.sum()))
            if token == END:
                break
            tokens.append(token)
            ids = [[token]]
            for key, value in zip(past, present, strict=True):
                if i == 0 or ".decoder." in key:  # the encoder's keys are made once
                    past[key] = value
        return tokens, float(np.mean(probs))

    def transcribe(self, pcm: bytes) -> Transcript:
        """16 kHz mono 16-bit PCM -> its words (lower case), word confidence and itself as the
        one hypothesis."""
        x = samples(pcm)
        if x is None:
            return Transcript("", 0.0, NAME)
        tokens, sure = self.generate(x)
        words = plain(self.tokens.text(tokens))
        return Transcript(words, sure if words else 0.0, NAME, ((words, 1.0),) if words else ())


_loaded: dict[Path, Moonshine] = {}
_lock = threading.Lock()


def shared() -> Moonshine | None:
    """This process's Moonshine (loaded on first use), or None when not installed or off."""
    path = folder()
    if path is None:
        return None
    with _lock:
        if path not in _loaded:
            _loaded[path] = Moonshine(path)
        return _loaded[path]


def require() -> Moonshine:
    """Moonshine, or SpeechUnavailable with how to install it."""
    model = shared()
    if model is None:
        raise SpeechUnavailable(
            "Moonshine is not installed; run ./dev setup (or SPEECH_MOONSHINE=off)",
            "engine_missing",
        )
    return model


class WithMoonshine:
    """The kiosk's English: PocketSphinx streams while the delegate speaks (partial words on
    the screen), then Moonshine hears the whole question (raw, or in a loud hall through
    PocketSphinx's noise front end: `_Both.for_moonshine`); the transcript carries both
    (Moonshine's in `also`) and the intent rule weighs them (understand.understand_heard,
    MOONSHINE_SHARE in checkin/speech_service.py)."""

    language = "en"

    def __init__(self, first: Engine, moonshine: Moonshine) -> None:
        self.first, self.moonshine = first, moonshine
        self.name = f"{first.name}+{moonshine.name}"

    def open_stream(self, words: SummitWords, room: str | None = None) -> Stream:
        return _Both(self.first.open_stream(words, room), self.moonshine)

    def close(self) -> None:
        closer = getattr(self.first, "close", None)
        if callable(closer):
            closer()


class _Both:
    def __init__(self, first: Stream, moonshine: Moonshine) -> None:
        self.first, self.moonshine = first, moonshine
        self.audio = bytearray()

    def accept(self, pcm: bytes) -> str:
        self.audio += pcm
        return self.first.accept(pcm)

    def finish(self) -> Transcript:
        heard = self.first.finish()
        try:
            second = self.moonshine.transcribe(self.for_moonshine())
        except Exception as exc:  # onnxruntime's own errors: PocketSphinx still answers
            log.warning("Moonshine failed, PocketSphinx alone decides: %s", type(exc).__name__)
            return heard
        return replace(heard, also=(second,))

    def for_moonshine(self) -> bytes:
        """What Moonshine hears: the raw audio in a quiet hall, and in a loud one (speech over
        noise below audio.LOUD_DB) the audio PocketSphinx heard through the noise front end,
        which costs nothing more. Chosen on the tuning split (docs/speech.md): the front end
        helps Moonshine in steady noise and crowds and costs it words on clean speech."""
        raw = bytes(self.audio)
        level = speech_over_noise(raw)
        if level is None or level >= LOUD_DB:
            return raw
        front = getattr(self.first, "front_audio", None)
        cleaned = front() if callable(front) else None
        return cleaned or raw
