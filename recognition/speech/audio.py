"""Audio intake: WAV or raw PCM in, 16 kHz mono 16-bit PCM out, with clear refusals.

Accepted: RIFF/WAVE with 16-bit PCM (8-48 kHz, mono or stereo: down-mixed and resampled here),
or raw 16 kHz mono signed 16-bit little-endian PCM when the caller says so. Refused with a
stable code: empty input, not a WAV, other sample formats or rates, longer than 30 s, silence.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

from recognition.speech.errors import SpeechError

RATE = 16000
MAX_SECONDS = 30.0
MIN_RATE, MAX_RATE = 8000, 48000
# Loudest 30 ms frame below this level (dB relative to full scale) means nobody spoke.
SILENCE_DBFS = -45.0


@dataclass(frozen=True)
class Pcm:
    """16 kHz mono signed 16-bit little-endian samples."""

    data: bytes

    @property
    def seconds(self) -> float:
        return len(self.data) / (2 * RATE)


def decode_upload(data: bytes, raw: bool = False) -> Pcm:
    """Turn an uploaded WAV (or raw 16 kHz PCM when `raw`) into checked 16 kHz mono PCM."""
    if not data:
        raise SpeechError("the audio is empty (0 bytes)", "empty_audio")
    if raw:
        if len(data) % 2:
            raise SpeechError("raw PCM must be whole 16-bit samples", "bad_pcm")
        samples = np.frombuffer(data, dtype="<i2")
        rate = RATE
    else:
        samples, rate = read_wav(data)
    _check_length(len(samples) / rate)
    pcm = Pcm(resample(samples, rate, RATE).astype("<i2").tobytes())
    require_speech(pcm)
    return pcm


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """A 16-bit WAV's samples (mono; stereo averaged) and rate, or SpeechError with the reason."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError("send a WAV file (RIFF/WAVE) or raw 16 kHz PCM", "not_wav")
    try:
        with wave.open(io.BytesIO(data)) as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise SpeechError(f"unreadable WAV: {exc}", "not_wav") from exc
    if width != 2:
        raise SpeechError("only 16-bit PCM WAV is accepted", "unsupported_wav_format")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise SpeechError(f"sample rate {rate} Hz is outside 8-48 kHz", "unsupported_sample_rate")
    if channels not in (1, 2):
        raise SpeechError("only mono or stereo WAV is accepted", "unsupported_channels")
    samples = np.frombuffer(frames[: len(frames) - len(frames) % (2 * channels)], dtype="<i2")
    if channels == 2:
        samples = samples.reshape(-1, 2).astype(np.float64).mean(axis=1)
    return samples, rate


def _check_length(seconds: float) -> None:
    if seconds > MAX_SECONDS:
        raise SpeechError(f"audio is {seconds:.1f} s; at most 30 s", "audio_too_long")


def resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Resample with a windowed-sinc low-pass (when going down) and linear interpolation."""
    x = samples.astype(np.float64)
    if src == dst or len(x) == 0:
        return np.clip(np.round(x), -32768, 32767)
    if src > dst:
        cutoff = 0.45 * dst / src  # fraction of the source rate, below the new Nyquist
        taps = np.arange(-32, 33)
        kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(len(taps))
        x = np.convolve(x, kernel / kernel.sum(), mode="same")
    n_out = round(len(x) * dst / src)
    positions = np.arange(n_out) * (src / dst)
    y = np.interp(positions, np.arange(len(x)), x)
    out: np.ndarray = np.clip(np.round(y), -32768, 32767)
    return out


def frame_levels(data: bytes, frame_ms: int = 30) -> np.ndarray:
    """Level in dBFS of each frame of 16 kHz PCM."""
    x = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2").astype(np.float64)
    size = RATE * frame_ms // 1000
    n = len(x) // size
    if n == 0:
        return np.array([-120.0])
    rms = np.sqrt(np.mean(x[: n * size].reshape(n, size) ** 2, axis=1)) + 1e-9
    levels: np.ndarray = 20 * np.log10(rms / 32768)
    return levels


# Speech over noise (speech_over_noise) below this: the hall is loud. The estimate reads about
# 3-6 dB above the true SNR; 20 dB here is about 14-16 dB of true SNR, chosen on speech_heard.py's
# voices and noise (not the benchmarks'): 10 dB white, pink and babble all fall below it, 20 dB
# and clean speech above it (tests/speech/test_audio.py; docs/speech.md "A loud hall").
LOUD_DB = 20.0
HALL_FRAMES = 20  # 30 ms frames (0.6 s): less audio than this cannot show the hall


def speech_over_noise(data: bytes) -> float | None:
    """How far an utterance's speech stands above the hall's noise, in dB: the spread between
    its louder (90th percentile) and quieter (10th percentile) 30 ms frames. A kiosk's utterance
    holds pauses where only the hall is heard; in a quiet room they are near silence (read as
    no quieter than one step of 16-bit audio, -90 dBFS). None for less than 0.6 s of audio."""
    if len(data) // (2 * RATE * 30 // 1000) < HALL_FRAMES:
        return None
    return level_spread(data)


def level_spread(data: bytes) -> float:
    """The 90th over the 10th percentile level of 16 kHz PCM's 30 ms frames, in dB (levels no
    lower than -90 dBFS, one step of 16-bit audio); 0 for less than one frame."""
    levels = np.maximum(frame_levels(data), -90.0)
    return float(np.percentile(levels, 90) - np.percentile(levels, 10))


def require_speech(pcm: Pcm) -> None:
    """Refuse audio whose loudest frame is near digital silence."""
    if float(frame_levels(pcm.data).max()) < SILENCE_DBFS:
        raise SpeechError("no speech was heard (the audio is silent)", "no_speech")


class Endpointer:
    """Decides when a streamed utterance is over: speech heard, then enough quiet after it."""

    def __init__(self, quiet_ms: int = 700, frame_ms: int = 30) -> None:
        self.frame_bytes = 2 * RATE * frame_ms // 1000
        self.quiet_frames_needed = quiet_ms // frame_ms
        self._buffer = b""
        self._floor: float | None = None
        self._speech_frames = 0
        self._quiet_frames = 0

    def feed(self, data: bytes) -> bool:
        """Add PCM; True once the utterance has ended."""
        self._buffer += data
        while len(self._buffer) >= self.frame_bytes:
            frame, self._buffer = self._buffer[: self.frame_bytes], self._buffer[self.frame_bytes :]
            self._observe(float(frame_levels(frame)[0]))
        return self._speech_frames >= 5 and self._quiet_frames >= self.quiet_frames_needed

    def _observe(self, level: float) -> None:
        # The noise floor follows quiet frames quickly and loud ones slowly.
        floor = level if self._floor is None else self._floor
        self._floor = min(level, floor + 0.05) if level > floor else 0.7 * floor + 0.3 * level
        loud = level > max(self._floor + 9.0, SILENCE_DBFS)
        if loud:
            self._speech_frames += 1
            self._quiet_frames = 0
        elif self._speech_frames:
            self._quiet_frames += 1
