"""The acoustic adaptation tool (benchmarks/speech_adapt.py): the model's quantized mixture
weights read back as sphinxtrain's float file, adaptation sentences only from training templates,
clips as the decoder hears them, and the word error count of the real-speech check. The served
transform itself is tested in test_sphinx_lm.py; sphinxtrain is not needed here."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

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
