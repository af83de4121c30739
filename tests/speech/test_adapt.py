"""The acoustic adaptation tool (benchmarks/speech_adapt.py): the model's quantized mixture
weights read back as sphinxtrain's float file, adaptation sentences only from training templates,
clips as the decoder hears them, a summit's own recordings read as uploads (bad ones refused
with the reason), and the word error count of the real-speech check. The served
transform itself is tested in test_sphinx_lm.py; sphinxtrain is not needed here."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.speech.conftest import Voice
from tests.speech.test_heard import held_out_questions

adapt = pytest.importorskip("benchmarks.speech_adapt")


def test_mixture_weights_come_out_of_sendump_as_normalised_float_arrays(tmp_path: Path) -> None:
    out = tmp_path / "mixture_weights"
    adapt.write_mixw(adapt.model_dir() / "sendump", out)
    data = out.read_bytes()
    end = data.index(b"endhdr\n") + len(b"endhdr\n")
    assert data.startswith(b"s3\n") and end % 4 == 0
    assert struct.unpack_from("=i", data, end)[0] == 0x11223344
    senones, streams, codewords, total = struct.unpack_from("=IIII", data, end + 4)
    assert (streams, codewords) == (3, 128) and senones > 5000
    assert total == senones * streams * codewords
    weights = np.frombuffer(data, dtype="<f4", offset=end + 20).reshape(senones, streams, codewords)
    assert len(data) == end + 20 + 4 * total
    assert np.all(weights > 0) and np.allclose(weights.sum(axis=2), 1.0, atol=1e-4)
    # a senone's weights are not flat: the quantized -log values were read, not padding
    assert float(weights.max(axis=2).min()) > 2.0 / codewords


def test_adaptation_sentences_are_training_sentences_never_held_out_questions() -> None:
    spoken = {text for text, _ in adapt.sample(80, adapt.SEED)}
    assert len(spoken) > 300
    assert not spoken & held_out_questions()


def test_a_clip_is_prepared_as_the_decoder_hears_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPEECH_DENOISE", raising=False)
    t = np.arange(16000) / 16000
    tone = (3000 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()
    heard = adapt.heard_pcm(tone, np.random.default_rng(0))
    assert len(heard) == len(tone)  # the front end gives every sample back
    assert heard != tone  # through the front end and the dither


def test_word_errors_count_substitutions_insertions_and_deletions() -> None:
    assert adapt.word_errors(["he", "was", "not", "ill"], ["he", "was", "not", "ill"]) == 0
    assert adapt.word_errors(["ten", "of", "clubs"], ["tan", "of", "clubs", "now"]) == 2
    assert adapt.word_errors(["ten", "of", "clubs"], []) == 3


def test_recorded_questions_are_read_as_the_kiosk_reads_uploads(
    say: Voice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`build --recordings`: a summit's own recordings, any rate, mono or stereo; their words as
    the dictionary spells them; one with a word it cannot pronounce left out and named."""
    import subprocess

    folder, work = tmp_path / "recorded", tmp_path / "work"
    folder.mkdir()
    hotel = say("where is my hotel")
    subprocess.run(
        ["sox", str(hotel), "-r", "22050", "-c", "2", str(folder / "q1.wav")], check=True
    )
    (folder / "q2.wav").write_bytes(say("where is the zorblax").read_bytes())
    (folder / "transcription").write_text(
        "<s> Where is my HOTEL? </s> (q1)\n\nwhere is the zorblax (q2)\n", encoding="utf-8"
    )
    items = adapt.recordings(folder, work)
    assert items == [("q1", "where is my hotel")]
    assert "left out q2: unknown zorblax" in capsys.readouterr().out
    heard = (work / "raw" / "q1.raw").read_bytes()
    seconds = len(adapt.read_pcm(hotel)) / 32000
    assert abs(len(heard) / 32000 - seconds) < 0.01  # 16 kHz mono, as long as the question
    assert not (work / "raw" / "q2.raw").exists()


@pytest.mark.parametrize(
    ("listing", "reason"),
    [
        (None, "transcription is missing"),
        ("has my driver arrived (q9)\n", "q9.wav is missing"),
        ("has my driver arrived\n", "expected '<s> words </s> (file id)'"),
        ("has my driver arrived (../q1)\n", "expected '<s> words </s> (file id)'"),
        ("zorblax (q1)\n", "no usable recording"),
    ],
)
def test_bad_recordings_are_refused_with_the_reason(
    tmp_path: Path, listing: str | None, reason: str
) -> None:
    folder = tmp_path / "recorded"
    folder.mkdir()
    (folder / "q1.wav").write_bytes(b"RIFF")
    if listing is not None:
        (folder / "transcription").write_text(listing, encoding="utf-8")
    with pytest.raises(SystemExit, match=re.escape(reason)):
        adapt.recordings(folder, tmp_path / "work")


def test_an_unreadable_recording_is_refused_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "recorded"
    folder.mkdir()
    (folder / "q1.wav").write_bytes(b"not a wav at all")
    (folder / "transcription").write_text("where is my hotel (q1)\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=re.escape("q1.wav: send a WAV file")):
        adapt.recordings(folder, tmp_path / "work")


def test_an_extra_recording_is_read_at_any_rate_and_its_words_plainly(
    say: Voice, tmp_path: Path
) -> None:
    """`real --extra WAV TEXTFILE`: a recording longer than an upload may be, 48 kHz stereo,
    read as 16 kHz mono; its transcript's punctuation and dashes are spaces."""
    from recognition.speech.synth import convert, read_pcm

    source = say("where is my hotel")
    stereo = convert(source, tmp_path / "s.wav", 48000, 2)
    words = tmp_path / "s.txt"
    words.write_text("Where is my Hotel--the one I booked?\n", encoding="utf-8")
    pcm, ref = adapt.read_extra(stereo, words)
    assert ref == ["where", "is", "my", "hotel", "the", "one", "i", "booked"]
    original = np.frombuffer(read_pcm(source), "<i2")
    assert abs(len(pcm) // 2 - len(original)) <= 3  # back to 16 kHz
    heard = np.frombuffer(pcm, "<i2").astype(float)[: len(original)]
    assert np.corrcoef(heard, original[: len(heard)])[0, 1] > 0.95  # the same audio


def test_real_reads_each_recording_set_from_its_own_folder(
    say: Voice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As Debian lays pocketsphinx-testdata out: a folder per set, a transcription file in each."""
    from recognition.speech.synth import read_pcm

    for folder, listing in adapt.REAL:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "q1.wav").write_bytes(say(f"where is my {folder}").read_bytes())
        (tmp_path / folder / listing).write_text(f"<s> where is my {folder} </s> (q1)\n")
    monkeypatch.setattr(adapt, "TESTDATA", tmp_path)
    got = adapt.real_recordings(False, [])
    assert sorted(got) == sorted(f"{folder}/q1" for folder, _ in adapt.REAL)
    for folder, _ in adapt.REAL:
        pcm, words = got[f"{folder}/q1"]
        assert words == ["where", "is", "my", folder]
        assert pcm == read_pcm(tmp_path / folder / "q1.wav")


@pytest.mark.parametrize(
    ("wav", "words", "reason"),
    [
        (b"not a wav at all", "where is my hotel", "send a WAV file"),
        (None, "where is my hotel", "q.wav is missing"),
        (b"", None, "q.txt is missing"),
        (b"", "?!", "no words"),
    ],
)
def test_a_bad_extra_recording_is_refused_with_the_reason(
    say: Voice, tmp_path: Path, wav: bytes | None, words: str | None, reason: str
) -> None:
    if wav is not None:  # b"": a good recording
        (tmp_path / "q.wav").write_bytes(wav or say("where is my hotel").read_bytes())
    if words is not None:
        (tmp_path / "q.txt").write_text(words, encoding="utf-8")
    with pytest.raises(SystemExit, match=re.escape(reason)):
        adapt.read_extra(tmp_path / "q.wav", tmp_path / "q.txt")
