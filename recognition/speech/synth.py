"""Synthetic spoken questions for tests and the benchmark: espeak-ng and flite voices, a neural
voice (hibari), sox noise.

Nothing here is used when serving; it needs the `espeak-ng` and `sox` programs. SNR is measured
against the speech's active frames (those above -45 dBFS), so leading silence does not flatter it.
Every sox call runs with -R (repeatable: a fixed seed for its dither), so the same text, voice and
noise give the same audio in every run; before 2026-12-01 23:00 UTC each run dithered afresh,
which made borderline test questions pass or fail by chance.
"""

from __future__ import annotations

import subprocess
import wave
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from recognition.speech.audio import RATE, SILENCE_DBFS, frame_levels

ENGLISH_VOICES = (("en-us", 150), ("en-gb+f3", 165), ("en-us+m3", 135), ("en-gb-x-rp+f2", 180))
KOREAN_VOICES = (("ko", 150), ("ko+f3", 135))
FLITE_VOICES = ("slt", "rms", "awb", "kal16")
BABBLE_LINES = (
    "the meeting went on much longer than anyone expected this year",
    "we should try the noodle place near the station after the session",
    "my flight was delayed twice and the coffee on board was terrible",
    "have you seen the new exhibition on the second floor it is huge",
    "she told me the report will be ready before the end of the week",
    "i think the speaker made a very good point about data markets",
)


def speak(text: str, out: Path, voice: str = "en-us", speed: int = 150, pad_s: float = 0.3) -> Path:
    """Say `text` with espeak-ng into a 16 kHz mono 16-bit WAV with some silence around it."""
    raw = out.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    return _kiosk_wav(raw, out, pad_s)


def _kiosk_wav(raw: Path, out: Path, pad_s: float) -> Path:
    """A synthesiser's WAV as 16 kHz mono 16-bit with `pad_s` of silence each side (sox,
    repeatable); the raw file is removed."""
    shape = ["-r", str(RATE), "-c", "1", "-b", "16"]
    subprocess.run(
        ["sox", "-R", str(raw), *shape, str(out), "pad", str(pad_s), str(pad_s)], check=True
    )
    raw.unlink()
    return out


def speak_flite(text: str, out: Path, voice: str = "slt", pad_s: float = 0.3) -> Path:
    """Say `text` with flite (another synthesiser) into the same 16 kHz WAV shape."""
    raw = out.with_suffix(".flite.wav")
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True)
    return _kiosk_wav(raw, out, pad_s)


NEURAL_VOICE = "heart"  # the one voice in hibari-tts's wheel (the others are downloads)


@cache
def _hibari() -> Any:
    from hibari import Hibari

    return Hibari(voice=NEURAL_VOICE, threads=1)


def speak_neural(text: str, out: Path, pad_s: float = 0.3) -> Path:
    """Say `text` with a neural voice into the same 16 kHz WAV shape: hibari-tts (Apache-2.0),
    distilled from Kokoro-82M's af_heart, a voice learnt from recorded human speech, far less
    regular than espeak-ng or flite. Repeatable (seed 0), peak-normalised, resampled by sox."""
    audio = np.asarray(_hibari()(text, seed=0), dtype=np.float64)
    audio = audio / max(float(np.abs(audio).max()), 1e-9) * 0.6  # peaks as espeak-ng's and flite's
    raw = out.with_suffix(".neural.wav")
    with wave.open(str(raw), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(np.round(audio * 32767).astype("<i2").tobytes())
    return _kiosk_wav(raw, out, pad_s)


# a neural crowd's talkers: the neural voice shifted in pitch (cents) and pace, none unshifted
NEURAL_TALKERS = ((-500, 1.05), (-300, 0.95), (-150, 1.1), (150, 1.0), (300, 1.08), (-700, 0.97))


def babble(out: Path, seconds: float, talkers: int = 6, neural: bool = False) -> Path:
    """Crowd-like noise: several espeak-ng voices talking at once, looped to `seconds`; with
    `neural`, the neural voice (speak_neural) made into six talkers by shifting its pitch and
    pace, a crowd less unlike a neural or human asker than espeak-ng's."""
    voices = ("en-us", "en-gb+f3", "en-us+m3", "en-gb-x-rp+f2", "en-us+f4", "en-gb+m2")
    parts = []
    for k in range(talkers):
        part = out.with_suffix(f".talker{k}.wav")
        line = BABBLE_LINES[k % len(BABBLE_LINES)]
        said = f"{line}. {BABBLE_LINES[(k + 3) % len(BABBLE_LINES)]}"
        if neural:
            cents, pace = NEURAL_TALKERS[k % len(NEURAL_TALKERS)]
            plain = speak_neural(said, out.with_suffix(f".plain{k}.wav"))
            shift = ["pitch", str(cents), "tempo", "-s", str(pace)]
            subprocess.run(["sox", "-R", str(plain), str(part), *shift], check=True)
            plain.unlink()
        else:
            speak(said, part, voices[k % 6], 170)
        looped = out.with_suffix(f".loop{k}.wav")
        subprocess.run(
            ["sox", "-R", str(part), str(looped), "trim", f"{0.37 * k:.2f}", "repeat", "6"],
            check=True,
        )
        parts.append(looped)
        part.unlink()
    subprocess.run(
        ["sox", "-R", "-m", *map(str, parts), str(out), "trim", "0", f"{seconds:.3f}"], check=True
    )
    for part in parts:
        part.unlink()
    return out


SPEECH_BAND = (300.0, 3400.0)  # Hz: the telephone band Aurora-2 measures its SNRs in (G.712)


def mix_noise(clean: Path, noise: Path, out: Path, snr_db: float, band: bool = False) -> Path:
    """Mix a noise recording into `clean` at `snr_db` (speech RMS on active frames over the
    noise's); with `band`, both levels in the speech band (SPEECH_BAND) only, so a voice whose
    energy sits below 300 Hz (flite slt: three quarters of it at its pitch, 100-200 Hz) is not
    counted louder than it is heard (docs/speech.md "How loud is 10 dB")."""
    level = band_rms if band else active_rms
    gain = level(read_pcm(clean)) / (level(read_pcm(noise)) * 10 ** (snr_db / 20))
    seconds = len(read_pcm(clean)) / (2 * RATE)
    subprocess.run(
        [
            "sox",
            "-R",
            "-m",
            str(clean),
            "-v",
            f"{gain:.6f}",
            str(noise),
            str(out),
            "trim",
            "0",
            f"{seconds:.3f}",
        ],
        check=True,
    )
    return out


def read_pcm(path: Path) -> bytes:
    """The frames of a 16 kHz mono WAV."""
    with wave.open(str(path)) as wav:
        return bytes(wav.readframes(wav.getnframes()))


def active_rms(data: bytes) -> float:
    """RMS of 16 kHz PCM over its active 30 ms frames (above SILENCE_DBFS; all if none are)."""
    return _rms_active(np.frombuffer(data, dtype="<i2").astype(np.float64), data)


def band_rms(data: bytes) -> float:
    """active_rms of the SPEECH_BAND part (the same active frames, chosen on the full signal)."""
    x = np.frombuffer(data, dtype="<i2").astype(np.float64)
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    spectrum[(freqs < SPEECH_BAND[0]) | (freqs > SPEECH_BAND[1])] = 0
    return _rms_active(np.fft.irfft(spectrum, len(x)), data)


def _rms_active(x: np.ndarray, data: bytes) -> float:
    size = RATE * 30 // 1000
    n = len(x) // size
    frames = x[: n * size].reshape(n, size)
    active = frames[frame_levels(data) > SILENCE_DBFS]
    return float(np.sqrt(np.mean((active if len(active) else frames) ** 2)))


def add_noise(
    clean: Path, out: Path, snr_db: float, kind: str = "pinknoise", band: bool = False
) -> Path:
    """Mix sox-generated noise into `clean` at `snr_db` (speech RMS over noise RMS; in the
    speech band with `band`, as mix_noise)."""
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
    mix_noise(clean, noise, out, snr_db, band)
    noise.unlink()
    return out


def silence(out: Path, seconds: float = 2.0, rate: int = RATE, channels: int = 1) -> Path:
    """A silent WAV of the given shape."""
    subprocess.run(
        [
            "sox",
            "-R",
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
        ["sox", "-R", str(src), "-r", str(rate), "-c", str(channels), "-b", "16", str(out)],
        check=True,
    )
    return out
