"""Synthetic spoken questions for tests and the benchmark: espeak-ng voices, sox noise.

Nothing here is used when serving; it needs the `espeak-ng` and `sox` programs. SNR is measured
against the speech's active frames (those above -45 dBFS), so leading silence does not flatter it.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from recognition.speech.audio import RATE, SILENCE_DBFS, frame_levels

ENGLISH_VOICES = (("en-us", 150), ("en-gb+f3", 165), ("en-us+m3", 135), ("en-gb-x-rp+f2", 180))
KOREAN_VOICES = (("ko", 150), ("ko+f3", 135))


def speak(text: str, out: Path, voice: str = "en-us", speed: int = 150, pad_s: float = 0.3) -> Path:
    """Say `text` with espeak-ng into a 16 kHz mono 16-bit WAV with some silence around it."""
    raw = out.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    subprocess.run(
        [
            "sox",
            str(raw),
            "-r",
            str(RATE),
            "-c",
            "1",
            "-b",
            "16",
            str(out),
            "pad",
            str(pad_s),
            str(pad_s),
        ],
        check=True,
    )
    raw.unlink()
    return out


def read_pcm(path: Path) -> bytes:
    """The frames of a 16 kHz mono WAV."""
    with wave.open(str(path)) as wav:
        return bytes(wav.readframes(wav.getnframes()))


def _active_rms(data: bytes) -> float:
    x = np.frombuffer(data, dtype="<i2").astype(np.float64)
    size = RATE * 30 // 1000
    n = len(x) // size
    frames = x[: n * size].reshape(n, size)
    active = frames[frame_levels(data) > SILENCE_DBFS]
    return float(np.sqrt(np.mean((active if len(active) else frames) ** 2)))


def add_noise(clean: Path, out: Path, snr_db: float, kind: str = "pinknoise") -> Path:
    """Mix sox-generated noise into `clean` at `snr_db` (speech RMS over noise RMS)."""
    seconds = len(read_pcm(clean)) / (2 * RATE)
    noise = out.with_suffix(".noise.wav")
    subprocess.run(
        [
            "sox",
            "-R",
            "-r",
            str(RATE),
            "-c",
            "1",
            "-b",
            "16",
            "-n",
            str(noise),
            "synth",
            f"{seconds:.3f}",
            kind,
            "vol",
            "0.3",
        ],
        check=True,
    )
    gain = _active_rms(read_pcm(clean)) / (_active_rms(read_pcm(noise)) * 10 ** (snr_db / 20))
    subprocess.run(["sox", "-m", str(clean), "-v", f"{gain:.6f}", str(noise), str(out)], check=True)
    noise.unlink()
    return out


def silence(out: Path, seconds: float = 2.0, rate: int = RATE, channels: int = 1) -> Path:
    """A silent WAV of the given shape."""
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            str(rate),
            "-c",
            str(channels),
            "-b",
            "16",
            str(out),
            "trim",
            "0",
            str(seconds),
        ],
        check=True,
    )
    return out


def convert(src: Path, out: Path, rate: int, channels: int) -> Path:
    """The same audio at another rate and channel count."""
    subprocess.run(
        ["sox", str(src), "-r", str(rate), "-c", str(channels), "-b", "16", str(out)], check=True
    )
    return out
