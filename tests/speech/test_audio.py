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


def band_db(signal: np.ndarray, noise: np.ndarray) -> float:
    """Signal over noise in 300-3400 Hz on the signal's active 30 ms frames (within 40 dB of its
    loudest), measured here apart from synth's own arithmetic."""
    size = RATE * 30 // 1000
    n = len(signal) // size
    s = signal[: n * size].reshape(n, size)
    d = noise[: n * size].reshape(n, size)
    active = (s**2).mean(axis=1) > (s**2).mean(axis=1).max() * 1e-4
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    inside = (freqs >= 300) & (freqs <= 3400)

    def power(x: np.ndarray) -> float:
        return float((np.abs(np.fft.rfft(x[active], axis=1)) ** 2)[:, inside].sum())

    return float(10 * np.log10(power(s) / power(d)))


def test_band_snr_counts_only_what_is_heard_in_the_speech_band(tmp_path: Path) -> None:
    """flite slt keeps most of its energy at its pitch (100-200 Hz): by plain RMS its "10 dB"
    puts the crowd above it in the speech band; measured in 300-3400 Hz it is 10 dB there. For
    espeak-ng en-us, whose energy is mostly in the band, the two definitions nearly agree."""
    from recognition.speech.synth import speak, speak_flite

    crowd = babble(tmp_path / "crowd.wav", 10.0)
    slt = speak_flite("where is my hotel", tmp_path / "slt.wav", "slt")
    en = tmp_path / "en.wav"
    speak("where is my hotel", en, "en-us", 150)
    added = {}
    for name, clean in (("slt", slt), ("en", en)):
        x = np.frombuffer(read_pcm(clean), dtype="<i2").astype(np.float64)
        for band in (False, True):
            out = mix_noise(clean, crowd, tmp_path / f"{name}{band}.wav", 10.0, band)
            y = np.frombuffer(read_pcm(out), dtype="<i2").astype(np.float64)[: len(x)]
            added[name, band] = band_db(x[: len(y)], y - x[: len(y)])
    assert 8.0 < added["slt", True] < 12.0
    assert 8.0 < added["en", True] < 12.0
    assert added["slt", False] < added["slt", True] - 4.0  # the crowd louder in the band by RMS
    assert abs(added["en", False] - added["en", True]) < 1.5


def test_speech_levels_tells_where_a_voice_keeps_its_energy() -> None:
    """benchmarks/speech_levels.py: a 150 Hz hum is all below the band and, mixed into noise
    with the band's share, counts far louder by RMS than in the band; a 1 kHz tone the other
    way round."""
    levels = pytest.importorskip("benchmarks.speech_levels")
    t = np.arange(RATE) / RATE

    def pcm(x: np.ndarray) -> bytes:
        return (x * 8000).astype("<i2").tobytes()

    hum = pcm(np.sin(2 * np.pi * 150 * t) + 0.1 * np.sin(2 * np.pi * 1000 * t))
    tone = pcm(np.sin(2 * np.pi * 1000 * t))
    below, inside, above = levels.shares([hum])
    assert below > 0.95 and inside < 0.05 and above < 0.001
    assert levels.shares([tone])[1] > 0.99
    noise = pcm(np.random.default_rng(1).standard_normal(RATE) * 0.3)
    hum_db, tone_db = levels.offsets([hum, tone], noise)
    # white noise keeps 3100 of its 8000 Hz in the band (-4.1 dB); the hum a tenth of its
    # amplitude (-20 dB), the tone all of it
    assert -17.0 < hum_db < -15.0
    assert 3.0 < tone_db < 5.0


def test_too_little_audio_says_nothing_about_the_hall() -> None:
    blip = (np.sin(np.arange(8000) / 5.0) * 8000).astype("<i2").tobytes()  # 0.5 s
    assert speech_over_noise(blip) is None
    assert speech_over_noise(blip * 2) is not None  # 1 s
