"""From words to what the kiosk does: answer an intent, offer candidates to confirm, or reject.

The classifier (classifier.py) gives each corpus label a probability from the text. For speech
it reads the recogniser's n-best list, not only the best sentence: the label probabilities of
the hypotheses are pooled with their weights, so one misheard word in the best sentence does
not decide the intent. The pooled probability of the best label, times the recogniser's word
confidence raised to `Rule.power` (typed text: 1.0), is the confidence; the kiosk answers at or
above `Rule.answer`, otherwise offers the likeliest questions to confirm. Corpus labels become
public intents with their slots here: `agenda` is agenda_session when a session of the summit is
named, else agenda_next; places are found by name for `directions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from recognition.speech.catalogue import SummitWords, load_catalogue
from recognition.speech.classifier import MAX_CANDIDATES, classifier
from recognition.speech.intents import Intent, find_place, find_session

Ranked = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class Rule:
    """How probabilities become a decision (chosen on the tuning split, benchmarks/speech_tune.py).

    nbest: hypotheses pooled; power: exponent of the word confidence in the answer score;
    answer: least score to answer; offer: least pooled probability to be offered as a button;
    reject_heard: least word confidence for an off-topic label to end the question with no
    buttons (heard worse, the likeliest on-topic questions are offered instead);
    lead: how much the best sentence leads the list by the word confidence (`lead_weights`;
    0: the recogniser's weights alone).
    """

    nbest: int = 5
    power: float = 1.0
    answer: float = 0.6
    offer: float = 0.08
    reject_heard: float = 0.0
    lead: float = 0.0


# Chosen on the tuning split (held-out templates of the corpus, spoken clean and at 10 dB):
# the most questions right (directly or after one tap) with at most 1.5% answered wrongly in
# every condition; typed held-out-template sentences are answered wrongly 1.5% (en) and 1.6%
# (zh) at 0.7 against 2.5-2.7% at the former 0.6 (docs/speech.md).
# The best sentence's lead (0.75) was chosen the same way afterwards, once the service passed the
# n-best list: on the tuning split it answered more questions at once in every condition but
# babble 10 dB and fewer wrongly in all (docs/speech.md, "The best sentence leads").
RULE = Rule(nbest=5, power=0.5, answer=0.7, offer=0.02, reject_heard=0.5, lead=0.75)


@dataclass(frozen=True)
class Understanding:
    """The intent to answer (`unknown` when not answering), its confidence, and candidates."""

    intent: Intent
    confidence: float
    answered: bool
    candidates: tuple[Intent, ...]
    text: str = ""  # the words the decision rests on (of several recognisers: the surest one's)


def pooled_scores(ranked: Sequence[Ranked], weights: Sequence[float], nbest: int) -> Ranked:
    """Label probabilities of the first `nbest` hypotheses averaged with their weights."""
    ranked, weights = list(ranked)[: max(1, nbest)], list(weights)[: max(1, nbest)]
    total = sum(weights) or 1.0
    pooled: dict[str, float] = {}
    for scores, weight in zip(ranked, weights, strict=True):
        for label, p in scores:
            pooled[label] = pooled.get(label, 0.0) + p * weight / total
    return sorted(pooled.items(), key=lambda item: -item[1])


def lead_weights(weights: Sequence[float], heard: float, lead: float) -> list[float]:
    """The n-best weights with the best sentence given its word confidence: c = lead x heard of
    the weight goes to the best sentence, the rest is shared as the recogniser weighed them.
    PocketSphinx's 5-best weights are nearly equal, so a clearly heard "where is my hotel"
    counted no more than "where is michael tell" behind it."""
    total = sum(weights) or 1.0
    c = max(0.0, min(1.0, lead * heard))
    out = [(1.0 - c) * w / total for w in weights]
    if out:
        out[0] += c
    return out


def pool_hypotheses(
    scores: Sequence[Ranked], weights: Sequence[float], heard: float, rule: Rule
) -> Ranked:
    """One recogniser's n-best list as label probabilities: the first `rule.nbest` hypotheses'
    label probabilities averaged with their weights, the best sentence leading (lead_weights)."""
    return pooled_scores(
        scores, lead_weights(list(weights)[: rule.nbest], heard, rule.lead), rule.nbest
    )


def combine(parts: Sequence[tuple[Ranked, float, float]]) -> tuple[Ranked, float]:
    """Several recognisers' label probabilities and word confidences, each given as (pooled
    labels, word confidence, share), averaged with their shares."""
    total = sum(share for _, _, share in parts) or 1.0
    both: dict[str, float] = {}
    for pooled, _, share in parts:
        for label, p in pooled:
            both[label] = both.get(label, 0.0) + p * share / total
    heard = sum(max(0.0, min(1.0, h)) * share for _, h, share in parts) / total
    return sorted(both.items(), key=lambda item: -item[1]), heard


def decide_labels(pooled: Ranked, heard: float, rule: Rule) -> tuple[str, bool, list[str]]:
    """(label answered or `unknown`, answered?, labels offered to confirm, best first)."""
    heard = max(0.0, min(1.0, heard))
    label, p = pooled[0]
    offered = [name for name, q in pooled if name != "unknown" and q >= rule.offer]
    offered = offered[:MAX_CANDIDATES]
    if label != "unknown" and p * heard**rule.power >= rule.answer:
        return label, True, offered
    if label == "unknown" and p >= rule.answer and heard >= rule.reject_heard:
        return "unknown", False, []  # clearly off-topic: nothing to confirm
    return "unknown", False, offered


def public_intent(label: str, text: str, language: str, words: SummitWords, p: float) -> Intent:
    """A corpus label as a catalogue intent with the slots the text names."""
    if label == "agenda":
        session = find_session(text, language, words)
        return Intent("agenda_session", session, p) if session else Intent("agenda_next", {}, p)
    if label == "directions":
        return Intent("directions", find_place(text, language, words) or {}, p)
    return Intent(label, {}, p)


def _slot_text(label: str, texts: list[str], language: str, words: SummitWords) -> str:
    """The first hypothesis that names a place or session for the label (else the best one)."""
    for text in texts:
        if label == "directions" and find_place(text, language, words):
            return text
        if label == "agenda" and find_session(text, language, words):
            return text
    return texts[0]


@dataclass(frozen=True)
class Hearing:
    """What one recogniser heard: best text, word confidence (0..1; typed text 1.0), n-best
    list ((text, weight), best first; the text alone when empty) and its share of the decision
    when several recognisers heard the same question."""

    text: str
    heard: float = 1.0
    alternatives: Sequence[tuple[str, float]] = ()
    share: float = 1.0


def understand(
    text: str,
    language: str,
    words: SummitWords,
    heard: float = 1.0,
    alternatives: Sequence[tuple[str, float]] = (),
    rule: Rule = RULE,
) -> Understanding:
    """Decide on one question; `heard` is the recogniser's confidence in the words (0..1) and
    `alternatives` its n-best list ((text, weight), best first; the text alone when empty)."""
    return understand_heard([Hearing(text, heard, alternatives)], language, words, rule)


def understand_heard(
    hearings: Sequence[Hearing], language: str, words: SummitWords, rule: Rule = RULE
) -> Understanding:
    """Decide on one question several recognisers heard: each one's label probabilities (its
    n-best list pooled) and word confidence are averaged with their shares; one that heard
    nothing leaves the decision to the others."""
    parts: list[tuple[Ranked, float, float]] = []
    saids: list[str] = []  # each part's best sentence, as heard
    texts: list[str] = []
    for h in hearings:
        hypotheses = [(t, w) for t, w in h.alternatives if t.strip()] or [(h.text, 1.0)]
        mine = [
            (t.replace(" ", "") if language == "zh" else t).strip().lower() for t, _ in hypotheses
        ]
        if not mine[0]:
            continue
        scores = [s.ranked for s in classifier(language).scores_many(mine[: rule.nbest])]
        parts.append(
            (pool_hypotheses(scores, [w for _, w in hypotheses], h.heard, rule), h.heard, h.share)
        )
        saids.append(h.text)
        texts += mine[: rule.nbest]
    if not parts:
        return Understanding(Intent("unknown"), 0.0, False, ())
    pooled, heard = combine(parts)
    top = pooled[0][0]
    surest = max(range(len(parts)), key=lambda k: dict(parts[k][0]).get(top, 0.0) * parts[k][1])
    said = saids[surest]
    _, answered, offered = decide_labels(pooled, heard, rule)
    factor = heard**rule.power
    probability = dict(pooled)
    candidates = tuple(
        public_intent(
            name,
            _slot_text(name, texts, language, words),
            language,
            words,
            round(probability[name] * factor, 3),
        )
        for name in offered
    )
    confidence = pooled[0][1] * factor
    if answered:
        return Understanding(candidates[0], confidence, True, candidates, said)
    if not offered:
        return Understanding(Intent("unknown", {}, pooled[0][1]), confidence, False, (), said)
    return Understanding(Intent("unknown", {}, confidence), confidence, False, candidates, said)


def chosen(name: str, slots: dict[str, object], language: str, words: SummitWords) -> Intent:
    """An intent the delegate tapped (a common question or a confirm button), slots checked."""
    intents = load_catalogue()["intents"]
    if name not in intents:
        raise ValueError(f"unknown intent {name!r}")
    clean: dict[str, object] = {}
    if name == "directions" and slots.get("place"):
        place = str(slots["place"])
        places = load_catalogue()["places"]
        if place not in places:
            raise ValueError(f"unknown place {place!r}")
        names = places[place].get(language) or places[place]["en"]
        clean = {"place": place, "place_name": names[0]}
    if name == "agenda_session":
        ids = {s.id for s in words.sessions}
        session_id = slots.get("session_id")
        if not isinstance(session_id, int) or session_id not in ids:
            raise ValueError("session_id must name a session of the agenda")
        clean = {"session_id": session_id}
    return Intent(name, clean, 1.0)
