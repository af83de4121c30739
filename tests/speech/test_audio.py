"""Audio intake: formats accepted, converted or refused with a stable code."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from recognition.speech.audio import (
    LOUD_DB,
    RATE,
    Endpointer,
    decode_upload,
    resample,
    speech_over_noise,
)
from recognition.speech.errors import SpeechError
from recognition.speech.synth import add_noise, babble, convert, mix_noise, read_pcm, silence
from tests.speech.conftest import Voice


def wav_bytes(samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (22050, 1), (48000, 2), (16000, 2)])
def test_other_rates_and_stereo_are_converted_to_16k_mono(
    say: Voice, tmp_path: Path, rate: int, channels: int
) -> None:
    src = say("where is my hotel")
    converted = convert(src, tmp_path / "c.wav", rate, channels)
    pcm = decode_upload(converted.read_bytes())
    assert abs(pcm.seconds - len(read_pcm(src)) / (2 * RATE)) < 0.01


def test_resampling_keeps_a_tone_and_removes_what_16k_cannot_hold() -> None:
    t = np.arange(48000) / 48000
    tone = 8000 * np.sin(2 * np.pi * 1000 * t) + 8000 * np.sin(2 * np.pi * 12000 * t)
    out = resample(tone, 48000, 16000)
    spectrum = np.abs(np.fft.rfft(out)) / len(out)
    freqs = np.fft.rfftfreq(len(out), 1 / 16000)
    assert len(out) == 16000
    assert spectrum[np.argmin(abs(freqs - 1000))] > 3000
    assert spectrum[np.argmin(abs(freqs - 4000))] < 100  # 12 kHz would alias to 4 kHz


@pytest.mark.parametrize(
    ("data", "raw", "code"),
    [
        (b"", False, "empty_audio"),
        (b"ID3\x03 this is an mp3 really", False, "not_wav"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", False, "not_wav"),
        (wav_bytes(np.zeros(100, dtype="<i4"), 16000, width=4), False, "unsupported_wav_format"),
        (wav_bytes(np.ones(96000, dtype="<i2") * 900, 96000), False, "unsupported_sample_rate"),
        (wav_bytes(np.ones(16000 * 31, dtype="<i2") * 900, 16000), False, "audio_too_long"),
        (wav_bytes(np.zeros(32000, dtype="<i2"), 16000), False, "no_speech"),
        (b"\x01\x02\x03", True, "bad_pcm"),
        (np.zeros(16000 * 31, dtype="<i2").tobytes(), True, "audio_too_long"),
    ],
)
def test_bad_audio_is_refused_with_a_stable_code(data: bytes, raw: bool, code: str) -> None:
    with pytest.raises(SpeechError) as err:
        decode_upload(data, raw=raw)
    assert err.value.code == code


def test_sox_silence_at_48k_stereo_is_no_speech(tmp_path: Path) -> None:
    with pytest.raises(SpeechError) as err:
        decode_upload(silence(tmp_path / "s.wav", 2.0, 48000, 2).read_bytes())
    assert err.value.code == "no_speech"


def test_endpointer_ends_after_speech_and_a_pause_not_before(say: Voice) -> None:
    speech = read_pcm(say("how do i get to the exhibition hall"))
    pause = np.zeros(RATE, dtype="<i2").tobytes()
    ep = Endpointer()
    assert not ep.feed(pause[:8000])
    assert not ep.feed(speech[: len(speech) // 2])
    assert ep.feed(speech[len(speech) // 2 :] + pause)


def test_endpointer_hears_speech_in_noise(say: Voice) -> None:
    noisy = read_pcm(say("where is the restroom", snr=10))
    ep = Endpointer()
    assert not ep.feed(noisy[: len(noisy) // 3])


def test_speech_over_noise_tells_a_loud_hall_from_a_quiet_room(say: Voice, tmp_path: Path) -> None:
    """The threshold was chosen on speech_heard.py's voices and noise; here other voices and
    the benchmarks' own noise (sox pink and white, six espeak-ng talkers, six talkers made from
    the neural voice) at 10 and 20 dB."""
    crowd = babble(tmp_path / "crowd.wav", 20.0)
    neural_crowd = babble(tmp_path / "neural-crowd.wav", 20.0, neural=True)
    assert len(read_pcm(neural_crowd)) == 20 * RATE * 2
    for k, (text, voice) in enumerate(
        [("where is my hotel", "en-us"), ("how do i get on the wireless network", "en-gb")]
    ):
        clean = say(text, voice, 150)
        quiet = speech_over_noise(read_pcm(clean))
        assert quiet is not None and quiet > LOUD_DB + 20  # pauses near silence
        for snr, loud in ((20.0, False), (10.0, True)):
            mixed = [
                add_noise(clean, tmp_path / f"{k}p{snr:g}.wav", snr),
                add_noise(clean, tmp_path / f"{k}w{snr:g}.wav", snr, "whitenoise"),
                mix_noise(clean, crowd, tmp_path / f"{k}b{snr:g}.wav", snr),
                mix_noise(clean, neural_crowd, tmp_path / f"{k}n{snr:g}.wav", snr),
            ]
            for path in mixed:
                level = speech_over_noise(read_pcm(path))
                assert level is not None
                assert (level < LOUD_DB) is loud, (path.name, level)
                assert snr < level < snr + 10  # it reads a few dB above the true SNR


def test_too_little_audio_says_nothing_about_the_hall() -> None:
    blip = (np.sin(np.arange(8000) / 5.0) * 8000).astype("<i2").tobytes()  # 0.5 s
    assert speech_over_noise(blip) is None
    assert speech_over_noise(blip * 2) is not None  # 1 s
