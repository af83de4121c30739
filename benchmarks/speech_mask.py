#!/usr/bin/env python3
"""A learned babble mask: a small network that predicts, frame by frame, how much of each band is
the asker's voice, tried in front of PocketSphinx for crowd babble.

    .venv/bin/python benchmarks/speech_mask.py train --out /tmp/mask.npz [--per-label 60]
        [--lookahead 3] [--hidden 256 256] [--crowds 6] [--more-voices flite:rms flite:awb]
    .venv/bin/python benchmarks/speech_tune.py decode ... --denoise mask:/tmp/mask.npz
        (or ahead:/tmp/mask.npz: only where auto keeps the look-ahead mask, a voice-like lead)

`train` speaks training-corpus sentences of the tuning split's training templates
(speech_heard.sample, another seed) in speech_heard's voices (none a benchmark uses), mixes in
speech_heard's own babble (other talkers and lines than synth.babble(); `--crowds N`: that crowd
and N - 1 more of 3-8 talkers drawn from a larger pool, tried and not adopted; `--more-voices`:
askers beside speech_heard's, tried with flite's rms and awb and not adopted) at 0-20 dB, and
fits a multi-layer perceptron (scikit-learn) from the noisy log-mel bands of the current and
the previous frames (and with --lookahead N of the N next ones) to the ideal ratio mask of each
band, sqrt(S / (S + N)), which it can compute because it made the mixture. The served masks
stream in the spectral subtractor's frames (denoise.LearnedMask; a look-ahead mask N frames of
16 ms later): recognition/speech/babble-mask.npz (causal) is `train --per-label 60` (the
defaults; 1,423 s on a shared core), babble-mask-ahead.npz is `train --lookahead 3` (228 s on
one core); recognition/speech/mask.py reads them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_heard import VOICES, crowds, sample, say  # noqa: E402
from recognition.speech import mask  # noqa: E402
from recognition.speech.denoise import FRAME, HOP  # noqa: E402
from recognition.speech.mask import BANK, RATE, Features  # noqa: E402
from recognition.speech.synth import read_pcm  # noqa: E402

SEED = 2028  # not speech_heard's nor speech_adapt's


def spectra(x: np.ndarray) -> np.ndarray:
    """The subtractor's analysis frames (sqrt-Hann, 512/256), complex, (frames, bins)."""
    window = np.sqrt(np.hanning(FRAME + 1)[:-1])
    n = 1 + max(0, len(x) - FRAME) // HOP
    frames = np.stack([x[i * HOP : i * HOP + FRAME] for i in range(n)]) * window
    return np.fft.rfft(frames, axis=1)


@contextmanager
def masked(path: str, routes: tuple[str, ...] = ("MODEL", "AHEAD_MODEL")) -> Iterator[None]:
    """Inside, the served front ends use the mask in `path` instead of the served files named
    by `routes`: MODEL (babble-mask.npz, kept for a quiet lead) and AHEAD_MODEL
    (babble-mask-ahead.npz, for a voice-like lead); both unless told."""
    served = {route: getattr(mask, route) for route in routes}
    for route in routes:
        setattr(mask, route, Path(path))
    try:
        yield
    finally:
        for route, file in served.items():
            setattr(mask, route, file)


def ahead(features: np.ndarray, lookahead: int) -> np.ndarray:
    """Causal feature rows (frames, 241) with the next `lookahead` frames' bands appended, row
    by row as the served mask stacks them (mask.with_ahead)."""
    rows = list(features)
    return np.stack(
        [mask.with_ahead(r, rows[i + 1 : i + 1 + lookahead], lookahead) for i, r in enumerate(rows)]
    )


def active_rms(x: np.ndarray) -> float:
    frames = x[: len(x) // 480 * 480].reshape(-1, 480)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    active = frames[rms > 0.1 * rms.max()] if len(rms) else frames
    return float(np.sqrt(np.mean(active**2)))


def examples(
    per_label: int,
    seed: int,
    lookahead: int = 0,
    count: int = 1,
    voices: tuple[tuple[str, str, int], ...] = VOICES,
) -> tuple[np.ndarray, np.ndarray]:
    """(features, band masks) of the training mixtures, one row per frame; `count` crowds
    (speech_heard.crowds), one drawn for each sentence (with one crowd, the served masks');
    sentences spoken by `voices` in turn (speech_heard's unless told)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    with tempfile.TemporaryDirectory(prefix="speech-mask-") as tmp:
        folder = Path(tmp)
        pool = crowds(folder, 60.0, count, seed)
        for k, (text, _) in enumerate(sample(per_label, seed)):
            babble = pool[int(rng.integers(0, len(pool)))] if count > 1 else pool[0]
            clean = np.frombuffer(
                read_pcm(say(text, folder / f"{k}.wav", k, voices)), "<i2"
            ).astype(float)
            lead = np.zeros(int(rng.uniform(0.2, 0.6) * RATE))
            clean = np.concatenate([lead, clean, lead[: len(lead) // 2]])
            for snr in (rng.uniform(0.0, 10.0), rng.uniform(8.0, 20.0)):
                start = int(rng.integers(0, len(babble) - len(clean)))
                noise = babble[start : start + len(clean)]
                noise = noise * active_rms(clean) / (active_rms(noise) * 10 ** (snr / 20))
                gain = 10 ** rng.uniform(-0.5, 0.3)  # microphone level
                s, n = spectra(clean * gain), spectra(noise * gain)
                speech, other = BANK @ (np.abs(s) ** 2).T, BANK @ (np.abs(n) ** 2).T
                ys.append(np.sqrt(speech / (speech + other + 1e-9)).T)
                feats = Features()
                rows = np.stack([feats.next(p) for p in np.abs(s + n) ** 2])
                xs.append(ahead(rows, lookahead) if lookahead else rows)
            if k % 50 == 49:
                print(f"{k + 1} sentences, {sum(len(x) for x in xs)} frames", flush=True)
    return np.concatenate(xs), np.concatenate(ys)


def train(args: argparse.Namespace) -> None:
    from sklearn.neural_network import MLPRegressor

    start = time.time()
    voices = VOICES + tuple(voice(v) for v in args.more_voices)
    x, y = examples(args.per_label, args.seed, args.lookahead, args.crowds, voices)
    print(f"{len(x)} frames in {time.time() - start:.0f} s", flush=True)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    net = MLPRegressor(
        hidden_layer_sizes=tuple(args.hidden),
        activation="relu",
        batch_size=256,
        max_iter=args.epochs,
        early_stopping=True,
        validation_fraction=0.1,
        random_state=0,
        verbose=True,
    )
    net.fit((x - mean) / scale, np.log(np.clip(y, 0.02, 0.98) / (1 - np.clip(y, 0.02, 0.98))))
    weights = {f"w{i}": w.astype(np.float32) for i, w in enumerate(net.coefs_)}
    biases = {f"b{i}": b.astype(np.float32) for i, b in enumerate(net.intercepts_)}
    extra = {"lookahead": np.array(args.lookahead)} if args.lookahead else {}
    np.savez(args.out, mean=mean, scale=scale, **weights, **biases, **extra)
    print(f"-> {args.out} ({time.time() - start:.0f} s)")


def voice(spec: str) -> tuple[str, str, int]:
    """`flite:awb` or `espeak:en-us+m2:150` -> (kind, voice, words a minute; 0 for flite)."""
    kind, _, rest = spec.partition(":")
    name, _, speed = rest.partition(":")
    if kind not in ("espeak", "flite") or not name:
        raise argparse.ArgumentTypeError(f"{spec!r}: give espeak:VOICE[:WPM] or flite:VOICE")
    return kind, name, int(speed or (0 if kind == "flite" else 160))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--out", required=True)
    t.add_argument("--per-label", type=int, default=60)
    t.add_argument("--seed", type=int, default=SEED)
    t.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--lookahead", type=int, default=0, help="frames after the current one")
    t.add_argument("--crowds", type=int, default=1, help="1: the served crowd; more: varied")
    t.add_argument(
        "--more-voices",
        nargs="+",
        default=[],
        metavar="KIND:VOICE",
        help="speakers beside speech_heard's (flite:awb, espeak:en-us+m2:150)",
    )
    args = parser.parse_args()
    train(args)


if __name__ == "__main__":
    main()
