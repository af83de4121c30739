"""The tried (not served) Moonshine beam search with the summit's word model fused in
(benchmarks/speech_fusion.py): its ARPA scoring by hand, and the real model on real audio."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

import pytest

from benchmarks import speech_fusion as fusion
from recognition.speech import moonshine
from recognition.speech.synth import read_pcm
from tests.speech.conftest import Voice

ARPA = """\\data\\
ngram 1=5
ngram 2=3

\\1-grams:
-1.0 </s>
-99 <s> -0.5
-0.5 where -0.3
-0.7 hotel -0.2
-1.5 is -0.1

\\2-grams:
-0.2 <s> where
-0.1 where is
-0.3 is hotel

\\end\\
"""


def test_word_model_backs_off_as_arpa_says(tmp_path: Path) -> None:
    path = tmp_path / "tiny.arpa"
    path.write_text(ARPA, encoding="ascii")
    lm = fusion.WordLm(path, unknown=-20.0)
    ten = math.log(10)
    assert lm.word(("<s>",), "where") == pytest.approx(-0.2 * ten)  # seen bigram
    # unseen "hotel where": back-off weight of "hotel" + unigram "where"
    assert lm.word(("<s>", "hotel"), "where") == pytest.approx((-0.2 - 0.5) * ten)
    assert lm.word(("where",), "taxi") == -20.0  # a word it does not know
    whole = lm.sentence(("where", "is", "hotel"), end=True)
    by_hand = (-0.2 - 0.1 - 0.3 + (-0.2 - 1.0)) * ten  # ... hotel </s>: backs off from hotel
    assert whole == pytest.approx(by_hand)
    assert lm.sentence(()) == 0.0


@pytest.fixture(scope="module")
def model() -> moonshine.Moonshine:
    found = moonshine.shared()
    if found is None:
        pytest.skip("Moonshine is not installed (./dev setup)")
    return found


def test_a_beam_of_one_is_the_served_greedy_decoding(
    model: moonshine.Moonshine, say: Voice
) -> None:
    pcm = read_pcm(say("has my driver arrived yet", "en-us", 150))
    greedy = model.transcribe(pcm)
    one = fusion.transcribe(model, pcm, width=1)
    assert one.text == greedy.text and one.text
    assert one.confidence == pytest.approx(greedy.confidence, abs=1e-6)


def test_a_wider_beam_gives_an_nbest_list_led_by_its_best(
    model: moonshine.Moonshine, say: Voice
) -> None:
    pcm = read_pcm(say("good morning what is the name of my hotel", "en-us", 150))
    heard = fusion.transcribe(model, pcm, width=4)
    assert heard.alternatives[0][0] == heard.text
    assert len(heard.text.split()) >= 7  # ranked per token: the whole question, not its start
    assert sum(w for _, w in heard.alternatives) == pytest.approx(1.0)
    assert all(a[1] >= b[1] for a, b in pairwise(heard.alternatives))


def test_fusing_the_word_model_moves_hypotheses_towards_its_words(
    model: moonshine.Moonshine, say: Voice, tmp_path: Path
) -> None:
    """With a model that knows only "where is my hotel", the fused beam's best hypothesis is
    at least as likely under it as the unfused one's, and no transcript is empty with speak."""
    path = tmp_path / "hotel.arpa"
    path.write_text(ARPA, encoding="ascii")
    lm = fusion.WordLm(path)
    pcm = read_pcm(say("where is the hotel", "en-us", 150))
    plain = fusion.transcribe(model, pcm, width=4)
    fused = fusion.transcribe(model, pcm, width=4, lm=lm, weight=1.0, speak=True)
    assert fused.text
    score = lm.sentence(tuple(fused.text.split()), end=True)
    assert score >= lm.sentence(tuple(plain.text.split()), end=True) - 1e-9
