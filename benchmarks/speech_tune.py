#!/usr/bin/env python3
"""Choose speech settings on a tuning split of the corpus, never on the evaluation sets.

    .venv/bin/python benchmarks/speech_tune.py decode --out /tmp/tune.json [--option k=v ...]
        [--denoise auto|rnnoise|subtract|off|lsa[:floor=0.25,...]|mask:FILE|ahead:FILE]
    .venv/bin/python benchmarks/speech_tune.py rules /tmp/tune.json [--rule 5,0.5,0.7,0.02,0.5]
        [--heard rows.tsv] [...]
    .venv/bin/python benchmarks/speech_tune.py cmn
    .venv/bin/python benchmarks/speech_tune.py decode --engine moonshine --out /tmp/moon.json
        [--neural] [--moonshine-front | --moonshine-served] [--beam 4 --fusion 0.6 --speak]
    .venv/bin/python benchmarks/speech_tune.py route /tmp/tune.json /tmp/moon.json [--share 0.3]
        [--share-loud S] [--by-confidence] [--moonshine-loud /tmp/moon-front.json]

The split: every third template of each corpus intent (index % 3 == 1) is held out. The language
model and the classifier are trained on the other templates only (plus the catalogue's
examples); sentences generated from the held-out templates, minus any the training part also
produces, are spoken (espeak-ng en-us 150 wpm and flite slt) clean and with white and babble
noise at 10 dB. So settings are chosen on phrasings the models never saw, yet from the corpus,
not from recognition/speech/evaluation/questions.csv or the shared development set.

`decode` writes one record per utterance (condition, voice, gold label, n-best, word
confidence, CPU time) for a decoder setting (`--option key=value` over the served
DECODER_OPTIONS, `key=none` drops one: `--option mllr=none` decodes without the kiosk's acoustic
transform, `--option mllr=FILE` with another; `--denoise`: the noise front end, one of
denoise.FRONT_ENDS, `lsa`, the log-MMSE prototype of speech_lsa.py, `mask:FILE`, auto with
another of speech_mask.py's learned babble masks wherever it masks, or `ahead:FILE`, only for
a voice-like lead, where auto uses babble-mask-ahead.npz); `rules` replays decision
rules (all of a grid, or `--rule` alone) on those records with the split's classifier (`--heard`:
trained on heard text from speech_heard.py too); `decode --engine moonshine` records
Moonshine tiny on the same clips (`--moonshine-front`: through the noise front end;
`--moonshine-served`: through it in a loud hall only, as served; `--beam`, `--fusion`,
`--bonus`, `--speak`: speech_fusion.py's beam search, tried and not adopted), `--neural`
speaks them in the neural voice instead; `route` replays how the kiosk uses both recognisers
(either alone, Moonshine in a loud hall, the higher answer score, or pooled with Moonshine's
`--share`, the served way; `--moonshine-loud`: Moonshine's words from the front end's audio in
a loud hall); `cmn` prints the cepstral mean the decoder
reaches after hearing training sentences (the start value `cmninit` in sphinx_lm.py).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import speech_fusion as fusion  # noqa: E402
from benchmarks.speech_bench import WORDS, noisy  # noqa: E402
from benchmarks.speech_lsa import suppressor  # noqa: E402
from recognition.speech.audio import LOUD_DB, speech_over_noise  # noqa: E402
from recognition.speech.corpus import build_corpus, labels, training_set  # noqa: E402
from recognition.speech.denoise import FRONT_ENDS  # noqa: E402
from recognition.speech.moonshine import shared  # noqa: E402
from recognition.speech.synth import babble, read_pcm, speak, speak_flite, speak_neural  # noqa: E402

PER_LABEL = 12
VOICES = (("espeak", "en-us", 150), ("flite", "slt", 0))
NEURAL = (("neural", "heart", 0),)  # `decode --neural`: the neural voice instead


def train_part(intent: str, index: int) -> bool:
    return index % 3 != 1


def held_part(intent: str, index: int) -> bool:
    return index % 3 == 1


def split() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training pairs, held-out pairs sampled per label) of the tuning split."""
    train = training_set("en", WORDS, train_part)
    seen = {t for t, _ in train}
    held = [(t, label) for t, label in build_corpus("en", WORDS, held_part) if t not in seen]
    rng = random.Random(15)
    out = []
    for label in labels():
        mine = [p for p in held if p[1] == label]
        out += rng.sample(mine, min(PER_LABEL, len(mine)))
    return train, out


def audio(
    folder: Path, items: list[tuple[str, str]], conditions: list[str], neural: bool = False
) -> list[Any]:
    crowd = folder / "babble.wav"  # clips already in `folder` are reused (speech_bench.noisy)
    noise = {"babble": crowd if crowd.exists() else babble(crowd, 30.0)}
    out = []
    for k, (text, label) in enumerate(items):
        for kind, voice, speed in NEURAL if neural else VOICES:
            clean = folder / f"{k}_{voice}.wav"
            if not clean.exists():
                if kind == "espeak":
                    speak(text, clean, voice, speed)
                elif kind == "neural":
                    speak_neural(text, clean)
                else:
                    speak_flite(text, clean, voice)
            for cond in conditions:
                out.append((text, label, voice, cond, noisy(folder, clean, cond, noise)))
    return out


def parse_option(value: str) -> tuple[str, Any]:
    key, raw = value.split("=", 1)
    for cast in (int, float):
        try:
            return key, cast(raw)
        except ValueError:
            pass
    return key, {"true": True, "false": False}.get(raw.lower(), raw)


def decode(args: argparse.Namespace) -> None:
    from recognition.speech.lm import pronunciations
    from recognition.speech.sphinx_lm import DECODER_OPTIONS, CorpusLmEngine

    train, held = split()
    known = pronunciations()
    sentences = [t for t, _ in train if all(w in known for w in t.split())]
    options = dict(DECODER_OPTIONS)
    options.update(dict(parse_option(o) for o in args.option))
    options = {k: v for k, v in options.items() if v != "none"}  # --option mllr=none: drop it
    conditions = args.conditions.split(",")
    folder = Path(args.audio or tempfile.mkdtemp(prefix="speech-tune-"))
    folder.mkdir(parents=True, exist_ok=True)
    clips = audio(folder, held, conditions, args.neural)
    records = []
    kind = args.denoise if args.denoise in FRONT_ENDS else "subtract"  # lsa: swapped in for it
    swap = suppressor(args.denoise)
    if args.denoise.startswith(("mask:", "ahead:")):  # auto, with this mask
        from benchmarks.speech_mask import masked

        name, _, path = args.denoise.partition(":")
        kind, swap = "auto", masked(path, ("AHEAD_MODEL",)) if name == "ahead" else masked(path)
    moonshine = shared() if args.engine == "moonshine" else None
    fused = None
    if moonshine is not None and args.fusion:  # the split's word model, as PocketSphinx's
        from recognition.speech.lm import write_model

        write_model(folder / "fusion.arpa", folder / "fusion.dict", WORDS, True, sentences)
        fused = fusion.WordLm(folder / "fusion.arpa")

    def front(pcm: bytes) -> bytes:
        """`--moonshine-front`: the served noise front end before Moonshine (a try)."""
        import numpy as np

        from recognition.speech import denoise

        clean = denoise.make(args.denoise if args.denoise in FRONT_ENDS else "auto")
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if clean:
            x = np.concatenate([clean.process(x), clean.finish()])
        return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()

    if args.engine == "moonshine" and moonshine is None:
        sys.exit("Moonshine is not installed (./dev setup)")
    with swap:
        for cond in conditions:  # one fresh decoder per condition, as at a kiosk in one place
            engine = CorpusLmEngine(sentences=sentences, options=options, denoise=kind)
            for text, label, voice, c, path in clips:
                if c != cond:
                    continue
                pcm = read_pcm(path)
                hall = speech_over_noise(pcm)  # None under 0.6 s: quiet, as the kiosk takes it
                start = time.process_time()
                if moonshine is not None:  # the raw audio: it was trained on noisy speech
                    loud = args.moonshine_served and hall is not None and hall < LOUD_DB
                    heard = front(pcm) if args.moonshine_front or loud else pcm
                    t = (
                        fusion.transcribe(
                            moonshine, heard, args.beam, fused, args.fusion, args.bonus, args.speak
                        )
                        if args.beam > 1 or args.fusion or args.speak
                        else moonshine.transcribe(heard)
                    )
                else:
                    stream = engine.open_stream(WORDS)
                    for i in range(0, len(pcm), 3200):
                        stream.accept(pcm[i : i + 3200])
                    t = stream.finish()
                cpu = time.process_time() - start
                records.append(
                    {
                        "text": text,
                        "gold": label,
                        "voice": voice,
                        "cond": cond,
                        "heard": t.text,
                        "confidence": t.confidence,
                        "nbest": t.alternatives,
                        "cpu": cpu,
                        "seconds": len(pcm) / 32000,
                        "hall": hall,
                    }
                )
    setting = {
        "engine": args.engine,
        "options": options,
        "denoise": args.denoise,
        "records": records,
    }
    Path(args.out).write_text(json.dumps(setting, indent=0))
    summary(records)


def summary(records: list[dict[str, Any]]) -> None:
    from recognition.speech.classifier import IntentClassifier

    train, _ = split()
    model = IntentClassifier("en", train)
    by: dict[str, list[Any]] = {}
    for r in records:
        by.setdefault(r["cond"], []).append(r)
    with open("/proc/loadavg", encoding="ascii") as fh:
        load = fh.read().split()[:3]
    print(f"load average {' '.join(load)}")
    for cond, rows in by.items():
        top1 = sum(model.scores(r["heard"]).best[0] == r["gold"] for r in rows) / len(rows)
        rtf = sum(r["cpu"] for r in rows) / sum(r["seconds"] for r in rows)
        print(f"{cond:<10} top1-label {top1:6.1%}  RTF {rtf:.3f}  n {len(rows)}")


def cmn(args: argparse.Namespace) -> None:
    """The decoder's cepstral mean over training sentences spoken by the tuning voices.

    The live mean follows the most recent audio, so it is read after every sentence and the
    readings are averaged (per voice too, to show how far voices differ).
    """
    import numpy as np

    from recognition.speech.sphinx_lm import CorpusLmEngine

    train, _ = split()
    sample = random.Random(3).sample(train, 40)
    folder = Path(tempfile.mkdtemp(prefix="speech-cmn-"))
    engine = CorpusLmEngine()
    readings: dict[str, list[list[float]]] = {}
    for k, (text, _) in enumerate(sample):
        kind, voice, speed = VOICES[k % len(VOICES)]
        path = folder / f"{k}.wav"
        speak(text, path, voice, speed) if kind == "espeak" else speak_flite(text, path, voice)
        stream = engine.open_stream(WORDS)
        stream.accept(read_pcm(path))
        stream.finish()
        key, dec = engine.decoder(WORDS)  # the one decoder that heard them all
        if k >= 4:  # after the start value has been forgotten
            readings.setdefault(voice, []).append([float(v) for v in dec.get_cmn(False).split(",")])
        engine.release(key, dec)
    for voice, rows in readings.items():
        print(voice, ",".join(f"{v:.2f}" for v in np.mean(rows, axis=0)))
    everything = [row for rows in readings.values() for row in rows]
    print("all", ",".join(f"{v:.2f}" for v in np.mean(everything, axis=0)))


def rules(args: argparse.Namespace) -> None:
    """Decision rules replayed on decoded records, per condition, with the split's classifier."""
    import itertools

    from recognition.speech.classifier import IntentClassifier
    from recognition.speech.understand import Rule, decide_labels, pool_hypotheses

    train, _ = split()
    model = IntentClassifier("en", train + heard(args.heard))
    records = json.loads(Path(args.records).read_text())["records"]
    for r in records:
        texts = [t for t, _ in r["nbest"]] or [r["heard"]]
        r["scores"] = [s.ranked for s in model.scores_many(texts)]
    conditions = list(dict.fromkeys(r["cond"] for r in records))
    grid: Iterable[tuple[int, float, float, float, float, float]] = itertools.product(
        (1, 5), (0.0, 0.5, 1.0), (0.5, 0.6, 0.7, 0.8), (0.02, 0.05, 0.08), (0.0, 0.5), args.leads
    )
    if args.rule:
        n, power, answer, offer, reject, *lead = (float(v) for v in args.rule.split(","))
        grid = [(int(n), power, answer, offer, reject, lead[0] if lead else 0.0)]
    results = []
    for nbest, power, answer, offer, reject_heard, lead in grid:
        rule = Rule(nbest, power, answer, offer, reject_heard, lead)
        per = {}
        for cond in conditions:
            rows = []
            for r in records:
                if r["cond"] != cond:
                    continue
                weights = [w for _, w in r["nbest"]] or [1.0]
                pooled = pool_hypotheses(r["scores"], weights, r["confidence"], rule)
                label, answered, offered = decide_labels(pooled, r["confidence"], rule)
                rows.append((r["gold"], label, answered, offered))
            per[cond] = rates(rows)
        results.append((rule, per))
    worst = args.max_wrong
    # a rule asked for by name is printed whatever its wrong rate; a grid keeps those within it
    ok = [x for x in results if args.rule or max(p["wrong"] for p in x[1].values()) <= worst]
    ok.sort(key=lambda x: -sum(p["right"] + 0.25 * p["direct"] for p in x[1].values()))
    best = ok[: args.top]
    before = [x for x in results if x[0] == Rule(1, 1.0, 0.6, 0.08, 0.0) and x not in best]
    for rule, per in before + best:
        print(rule)
        for cond, p in per.items():
            print(f"  {cond:<10}" + "".join(f" {k} {v:6.1%}" for k, v in p.items()))


def route(args: argparse.Namespace) -> None:
    """Which recogniser's words the rule reads, replayed per clip on records of both (decoded
    from the same clips): PocketSphinx alone, Moonshine alone, Moonshine in a loud hall
    (speech over noise below audio.LOUD_DB), Moonshine unless it heard nothing, and whichever
    one's answer score is higher (both always run)."""
    from recognition.speech.classifier import IntentClassifier
    from recognition.speech.understand import RULE, Rule, combine, decide_labels, pool_hypotheses

    train, _ = split()
    model = IntentClassifier("en", train)
    rule = Rule(*(float(v) for v in args.rule.split(","))) if args.rule else RULE
    rule = Rule(int(rule.nbest), rule.power, rule.answer, rule.offer, rule.reject_heard, rule.lead)
    loud = args.loud if args.loud is not None else LOUD_DB

    def pooled_of(r: dict[str, Any]) -> tuple[list[tuple[str, float]], float]:
        texts = [t for t, _ in r["nbest"]] or [r["heard"]]
        if not texts[0].strip():
            return [("unknown", 1.0)], 0.0
        weights = [w for _, w in r["nbest"]] or [1.0]
        scores = [s.ranked for s in model.scores_many(texts[: rule.nbest])]
        return list(pool_hypotheses(scores, weights, r["confidence"], rule)), r["confidence"]

    def decide(pooled: list[tuple[str, float]], heard: float) -> tuple[str, bool, list[str], float]:
        label, answered, offered = decide_labels(pooled, heard, rule)
        top, p = pooled[0]
        score = 0.0 if top == "unknown" else p * max(0.0, min(1.0, heard)) ** rule.power
        return label, answered, offered, score

    def decided(r: dict[str, Any]) -> tuple[str, bool, list[str], float]:
        return decide(*pooled_of(r))

    def pooled_both(r: dict[str, Any], m: dict[str, Any]) -> tuple[str, bool, list[str], float]:
        """Both recognisers' label probabilities and word confidences averaged (`--share` of
        Moonshine's); one that heard nothing leaves the other alone. `--moonshine-loud`:
        Moonshine's words from those records (the front end's audio) in a loud hall."""
        loud_hall = r["hall"] is not None and r["hall"] < loud
        if loud_hall and moon_loud:
            m = moon_loud[(r["text"], r["voice"], r["cond"])]
        (ps, cs), (pm, cm) = pooled_of(r), pooled_of(m)
        share = args.share_loud if loud_hall and args.share_loud is not None else args.share
        a = share if m["heard"].strip() else 0.0
        a = a if r["heard"].strip() else 1.0
        if args.by_confidence and 0 < a < 1:  # the surer recogniser weighs more
            a = a * cm / max(1e-9, a * cm + (1 - a) * cs)
        ranked, heard = combine([(ps, cs, 1 - a), (pm, cm, a)])  # as the kiosk pools them
        return decide(list(ranked), heard)

    sphinx = json.loads(Path(args.sphinx).read_text())["records"]

    def by_clip(path: str | None) -> dict[tuple[str, str, str], dict[str, Any]]:
        if not path:
            return {}
        records = json.loads(Path(path).read_text())["records"]
        return {(r["text"], r["voice"], r["cond"]): r for r in records}

    moon, moon_loud = by_clip(args.moonshine), by_clip(args.moonshine_loud)
    strategies: dict[str, Any] = {
        "pocketsphinx": lambda s, m, r: s,
        "moonshine": lambda s, m, r: m,
        "loud->moonshine": lambda s, m, r: m if r["hall"] is not None and r["hall"] < loud else s,
        "moonshine-unless-empty": lambda s, m, r: m if m[3] > 0 or m[2] else s,
        "higher-score": lambda s, m, r: m if m[3] >= s[3] else s,
        "loud->higher": lambda s, m, r: (
            (m if m[3] >= s[3] else s) if r["hall"] is not None and r["hall"] < loud else s
        ),
    }
    pairs = [(r, moon[(r["text"], r["voice"], r["cond"])]) for r in sphinx]
    decisions = [(r, decided(r), decided(m), pooled_both(r, m)) for r, m in pairs]
    conditions = list(dict.fromkeys(r["cond"] for r in sphinx))
    print(rule, f"loud below {loud} dB")
    strategies[f"pooled ({args.share:g} Moonshine)"] = None
    for name, pick in strategies.items():
        print(name)
        for cond in conditions:
            rows = []
            for r, s, m, b in decisions:
                if r["cond"] == cond:
                    label, answered, offered, _ = pick(s, m, r) if pick else b
                    rows.append((r["gold"], label, answered, offered))
            p = rates(rows)
            print(f"  {cond:<10}" + "".join(f" {k} {v:6.1%}" for k, v in p.items()))


def heard(path: str | None) -> list[tuple[str, str]]:
    """Heard-text rows (benchmarks/speech_heard.py; made from training templates only)."""
    import csv

    if not path:
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return [(row["heard"], row["label"]) for row in csv.DictReader(fh, delimiter="\t")]


def rates(rows: list[tuple[str, str, bool, list[str]]]) -> dict[str, float]:
    on = [r for r in rows if r[0] != "unknown"]
    off = [r for r in rows if r[0] == "unknown"]
    direct = sum(a and g == lab for g, lab, a, _ in on)
    tapped = sum(not a and g in offered for g, _, a, offered in on)
    return {
        "right": (direct + tapped) / max(1, len(on)),
        "direct": direct / max(1, len(on)),
        "wrong": sum(a and g != lab for g, lab, a, _ in rows) / max(1, len(rows)),
        "confirm": sum(not a and bool(o) for _, _, a, o in rows) / max(1, len(rows)),
        "offtopic": sum(a for _, _, a, _ in off) / max(1, len(off)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("decode")
    p.add_argument("--out", required=True)
    p.add_argument("--audio", help="folder to keep the spoken clips in (reused if present)")
    p.add_argument("--option", action="append", default=[], help="decoder option key=value")
    p.add_argument("--conditions", default="clean,white10,babble10")
    p.add_argument(
        "--denoise",
        default="auto",
        help='auto (served), rnnoise, subtract, off, "lsa[:floor=...]", "mask:FILE", "ahead:FILE"',
    )
    p.add_argument("--engine", default="pocketsphinx", choices=("pocketsphinx", "moonshine"))
    p.add_argument(
        "--neural", action="store_true", help="the neural voice (synth.speak_neural) speaks"
    )
    p.add_argument(
        "--moonshine-served",
        action="store_true",
        help="Moonshine hears the front end's audio in a loud hall, the raw audio otherwise",
    )
    p.add_argument("--beam", type=int, default=1, help="Moonshine's beam width")
    p.add_argument("--fusion", type=float, default=0.0, help="word model weight in the beam")
    p.add_argument("--bonus", type=float, default=0.0, help="beam score bonus per word")
    p.add_argument("--speak", action="store_true", help="Moonshine may not hear nothing")
    p.add_argument(
        "--moonshine-front", action="store_true", help="Moonshine hears the noise front end's audio"
    )
    p = sub.add_parser("cmn")
    p = sub.add_parser("route")
    p.add_argument("sphinx", help="decode records of PocketSphinx")
    p.add_argument("moonshine", help="decode records of Moonshine, same clips")
    p.add_argument("--rule", help="nbest,power,answer,offer,reject_heard (default: served)")
    p.add_argument("--loud", type=float, help="loud below this many dB (default audio.LOUD_DB)")
    p.add_argument("--share", type=float, default=0.5, help="Moonshine's share when pooled")
    p.add_argument("--share-loud", type=float, help="Moonshine's share in a loud hall")
    p.add_argument(
        "--moonshine-loud", help="Moonshine's records (--moonshine-front) used in a loud hall"
    )
    p.add_argument(
        "--by-confidence", action="store_true", help="shares times each one's word confidence"
    )
    p = sub.add_parser("rules")
    p.add_argument("records")
    p.add_argument("--max-wrong", type=float, default=0.01)
    p.add_argument("--heard", help="add this heard-text file (speech_heard.py) to the training")
    p.add_argument(
        "--rule", help="replay only this rule: nbest,power,answer,offer,reject_heard[,lead]"
    )
    p.add_argument("--top", type=int, default=8)
    p.add_argument(
        "--leads",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[0.0],
        help="lead values for the grid (comma-separated)",
    )
    args = parser.parse_args()
    {"decode": decode, "cmn": cmn, "rules": rules, "route": route}[args.command](args)


if __name__ == "__main__":
    main()
