#!/usr/bin/env python3
"""Training text as the recogniser hears it: corpus sentences spoken, noised and decoded.

    .venv/bin/python benchmarks/speech_heard.py --out /tmp/heard_en.tsv [--per-label 40]
    .venv/bin/python benchmarks/speech_tune.py rules /tmp/tune.json --heard /tmp/heard_en.tsv

Writes (label, condition, voice, rank, heard text) rows, to add to the intent classifier's
training text so that it learns what misheard questions look like. Tried on the tuning split
on 2026-12-01 and NOT adopted (no gain, more wrong answers on clean speech; docs/speech.md):
the served classifier learns from the corpus alone. What goes in, and what never does:

- Sentences: a seeded sample of the *training* corpus (corpus.py), only from the templates the
  tuning split trains on (benchmarks/speech_tune.py: template index % 3 != 1), so the rows are
  fair on the tuning split. Never the evaluation questions
  (recognition/speech/evaluation/questions.csv) nor the shared development set.
- Voices: none of the benchmark's (espeak-ng en-us 150 wpm, en-gb+f3 165, en-us+m3 135; flite
  slt, rms, awb): other espeak-ng variants and speeds, and flite kal and kal16.
- Noise: clean, and white, pink or babble at 5-15 dB, made here with numpy from seeds of this
  script (the babble from other lines and other talkers than synth.babble()).
- Decoder: the system's own (CorpusLmEngine, spectral subtraction, its settings) with the
  language model of the tuning split's training part, one kiosk (room) per condition.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_bench import WORDS  # noqa: E402
from benchmarks.speech_tune import train_part  # noqa: E402
from recognition.speech.corpus import labels, training_set  # noqa: E402
from recognition.speech.synth import mix_noise, read_pcm, speak, speak_flite  # noqa: E402

VOICES = (
    ("espeak", "en-us+m1", 170),
    ("espeak", "en-029", 145),
    ("espeak", "en-gb-scotland+f2", 155),
    ("flite", "kal", 0),
    ("espeak", "en-gb-x-gbclan+m4", 140),
    ("flite", "kal16", 0),
)
CONDITIONS = ("clean", "white", "pink", "babble")
TALKERS = ("en-gb-x-gbcwmd", "en-us-nyc+f1", "en-029+m2", "en-gb-scotland+f4", "en+m5")
TALK = (
    "the bus to the airport leaves every twenty minutes from the east gate",
    "i left my umbrella in the taxi and now it is raining again",
    "our team presented the results of the pilot project this morning",
    "they say the museum is closed on mondays but open late on fridays",
    "can you believe how cold it was at the ceremony last night",
)
# more talkers and lines for varied crowds (speech_mask.py train --crowds N); none is a
# benchmark's babble voice (synth.babble) or one of VOICES
MORE_TALKERS = (
    "en-us-nyc+m3",
    "en-029+f4",
    "en-gb-scotland+m6",
    "en+f2",
    "en-gb-x-gbcwmd+m1",
    "en-gb-x-gbclan+f1",
    "en-us-nyc+m7",
    "en-029+m5",
)
MORE_TALK = (
    "we waited almost an hour for the ferry because of the wind",
    "my sister is moving to a new apartment near the river next month",
    "the coffee here is much better than the one at the hotel",
    "he told me the football match was cancelled because of the storm",
    "i think we should book the restaurant before the weekend",
    "the children loved the fireworks over the harbour",
)
HYPOTHESES = 3  # n-best sentences kept per clip
PER_LABEL = 40  # sentences per label
SEED = 2026


def sample(per_label: int, seed: int) -> list[tuple[str, str]]:
    """Training sentences of the tuning split's training templates, `per_label` per label."""
    pairs = training_set("en", WORDS, train_part)
    rng = random.Random(seed)
    out = []
    for label in labels():
        mine = [p for p in pairs if p[1] == label]
        out += rng.sample(mine, min(per_label, len(mine)))
    return out


def say(text: str, out: Path, k: int, voices: tuple[tuple[str, str, int], ...] = VOICES) -> Path:
    """`text` spoken by the k-th of `voices` (cycling; VOICES unless told)."""
    kind, voice, speed = voices[k % len(voices)]
    return speak(text, out, voice, speed) if kind == "espeak" else speak_flite(text, out, voice)


def write_wav(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(np.clip(x, -32768, 32767).astype("<i2").tobytes())
    return path


def coloured(n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """White or pink (1/f power) noise, `n` samples."""
    x = rng.normal(0.0, 3000.0, n)
    if kind == "pink":
        spectrum = np.fft.rfft(x)
        spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
        x = np.fft.irfft(spectrum, n)
        x *= 3000.0 / (np.std(x) or 1.0)
    return x


def crowd(
    folder: Path,
    seconds: float,
    talkers: tuple[str, ...] = TALKERS,
    talk: tuple[str, ...] = TALK,
    speed: int = 165,
) -> np.ndarray:
    """Babble of this script's own talkers and lines, looped to `seconds`."""
    n = int(seconds * 16000)
    mix = np.zeros(n)
    for k, voice in enumerate(talkers):
        line = f"{talk[k % len(talk)]}. {talk[(k + 2) % len(talk)]}"
        path = speak(line, folder / f"talk{k}-{voice}-{speed}.wav", voice, speed)
        x = np.frombuffer(read_pcm(path), dtype="<i2").astype(np.float64)
        x = np.roll(np.tile(x, n // len(x) + 1)[:n], int(0.53 * k * 16000))
        mix += x / (np.std(x) or 1.0)
    return mix * 3000.0 / np.std(mix)


def crowds(folder: Path, seconds: float, count: int, seed: int) -> list[np.ndarray]:
    """`crowd()` as served, then count - 1 more of 3-8 talkers drawn from all of this
    script's talkers and lines, at 150-180 words a minute."""
    rng = np.random.default_rng(seed)
    out = [crowd(folder, seconds)]
    pool, lines = TALKERS + MORE_TALKERS, TALK + MORE_TALK
    for _ in range(count - 1):
        talkers = tuple(rng.choice(pool, int(rng.integers(3, 9)), replace=False))
        talk = tuple(rng.permutation(lines))
        out.append(crowd(folder, seconds, talkers, talk, int(rng.integers(150, 181))))
    return out


def noisy(clean: Path, cond: str, snr: float, babble: np.ndarray, rng: np.random.Generator) -> Path:
    if cond == "clean":
        return clean
    n = len(read_pcm(clean)) // 2
    if cond == "babble":
        start = int(rng.integers(0, len(babble) - n))
        noise = babble[start : start + n]
    else:
        noise = coloured(n, cond, rng)
    noise_path = write_wav(clean.with_suffix(".noise.wav"), noise)
    return mix_noise(clean, noise_path, clean.with_suffix(f".{cond}.wav"), snr)


def hear(engine: Any, folder: Path, per_label: int, seed: int) -> list[tuple[Any, ...]]:
    """Speak, noise and decode the sample: each sentence clean and in one kind of noise."""
    from recognition.speech.engines import transcribe_whole

    rng = np.random.default_rng(seed)
    babble = crowd(folder, 40.0)
    rows: list[tuple[Any, ...]] = []
    for k, (text, label) in enumerate(sample(per_label, seed)):
        voice = VOICES[k % len(VOICES)][1]
        clean = say(text, folder / f"{k}.wav", k)
        for cond in (CONDITIONS[0], CONDITIONS[1 + k % 3]):
            snr = float(rng.uniform(5.0, 15.0))
            pcm = read_pcm(noisy(clean, cond, snr, babble, rng))
            heard = transcribe_whole(engine.open_stream(WORDS, cond), pcm)  # a kiosk per noise
            name = cond if cond == "clean" else f"{cond}{snr:.0f}"
            texts = [t for t, _ in heard.alternatives] or [heard.text]
            rows += [(label, name, voice, r, t) for r, t in enumerate(texts[:HYPOTHESES]) if t]
        if k % 40 == 39:
            print(f"{k + 1} sentences, {len(rows)} rows", flush=True)
    return rows


def main() -> None:
    from recognition.speech.lm import pronunciations
    from recognition.speech.sphinx_lm import CorpusLmEngine

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--per-label", type=int, default=PER_LABEL)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    known = pronunciations()
    train = training_set("en", WORDS, train_part)
    sentences = [t for t, _ in train if all(w in known for w in t.split())]
    engine = CorpusLmEngine(sentences=sentences)
    with tempfile.TemporaryDirectory(prefix="speech-heard-") as tmp:
        rows = hear(engine, Path(tmp), args.per_label, args.seed)
    with open(args.out, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter="\t", lineterminator="\n")
        out.writerow(("label", "condition", "voice", "rank", "heard"))
        out.writerows(rows)
    print(f"{len(rows)} rows -> {args.out}")


if __name__ == "__main__":
    main()
