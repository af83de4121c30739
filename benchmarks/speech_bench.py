#!/usr/bin/env python3
"""Kiosk speech benchmark: spoken questions never in the corpus, per noise condition.

    .venv/bin/python benchmarks/speech_bench.py [--set eval|dev|corpus] [--voices 4] [--neural]
        [--conditions clean,white20,white10,pink20,pink10,babble20,babble10]
        [--systems kiosk,lm,causal,premask,unadapted,rnnoise,subtract,before,grammar] [--by-voice]
        [--level rms|band]

Sets: `eval` = recognition/speech/evaluation/questions.csv (written by hand apart from the
corpus templates; English part), `dev` = /work/shared/data/speech_dev (measure only), `corpus` =
a sample of training sentences (to check the recogniser, never a result). Audio is made at run
time: espeak-ng and flite voices (`--voices N`: the first N of VOICES) and with `--neural` a
neural voice (hibari-tts, distilled from Kokoro-82M: learnt from human speech), white and pink
noise (sox) and babble (six espeak-ng talkers; `nbabble`: six talkers made from the neural voice
by shifting its pitch and pace) mixed at 20 and 10 dB SNR on the speech's active frames
(`--level band`: speech and noise levels measured in 300-3400 Hz only, as Aurora-2 does).
Systems on the same audio in one run:
`kiosk` = the served kiosk: `lm`'s PocketSphinx and Moonshine tiny pooled (kiosk_system; with
its variants `kiosk-raw`, Moonshine on the raw audio in a loud hall too, `sphinx`, PocketSphinx
alone, and `sphinx-lead0`, alone with the rule of before, decided from the same decode);
`lm` = PocketSphinx with the corpus+general LM behind the served noise front end (SPEECH_DENOISE,
"auto": RNNoise in steady noise, the learned babble masks otherwise: the look-ahead one when an
utterance starts in babble) with the kiosk's acoustic transform (sphinx_lm.KIOSK_MLLR), then the
classifier (answer / confirm / reject); `causal` = the same with the causal mask in babble too
(served until 2026-12-02, 10:40 UTC); `premask` = the same with spectral subtraction instead of
the masks ("auto-subtract", served until 2026-12-02, 05:20 UTC); `unadapted` = the served
system without the transform; `rnnoise` and `subtract` = the same behind one of the two always
(`subtract`: the front end served until 2026-12-01);
`before` = the same before the tuning split's settings (1-best, p x conf >= 0.6, default CMN
start, two search passes, no spectral subtraction); `grammar` = the older catalogue grammar +
cue-word matcher (answers whatever it matched).
After the systems: how often the hall was called loud per condition (audio.speech_over_noise).
Columns: right = intent right directly or after one confirm tap (on-topic questions); direct =
answered right at once; wrong = answered with a wrong intent (all questions, off-topic answered
included); confirm = asked to confirm; offtopic = off-topic questions answered as if on-topic;
RTF = decode time / audio time, one thread; `--by-voice`: each voice's rows under its condition
(the served system's, not its variants'). Also prints typed (text-level) figures.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.speech.catalogue import SessionName, SummitWords, ZoneName  # noqa: E402
from recognition.speech.engines import transcribe_whole  # noqa: E402
from recognition.speech.synth import (  # noqa: E402
    NEURAL_VOICE,
    babble,
    mix_noise,
    read_pcm,
    speak,
    speak_flite,
    speak_neural,
)
from recognition.speech.understand import understand  # noqa: E402

EVAL = ROOT / "recognition/speech/evaluation/questions.csv"
DEV = ROOT.parent / "shared/data/speech_dev/questions.csv"
WORDS = SummitWords(
    sessions=(
        SessionName(1, "Opening ceremony", "开幕式"),
        SessionName(2, "Press conference", "新闻发布会"),
        SessionName(3, "Forum: Smart cities", "分论坛：智慧城市"),
        SessionName(4, "Forum: Data security", "分论坛：数据安全"),
        SessionName(5, "VIP roundtable", "贵宾圆桌会"),
        SessionName(6, "Closing ceremony", "闭幕式"),
        SessionName(
            7, "Keynote: Digital China and the data economy", "主旨演讲：数字中国与数据经济"
        ),
    ),
    zones=(
        ZoneName("main_hall", "Main hall", "主会场"),
        ZoneName("exhib", "Exhibition hall", "展馆"),
    ),
)
VOICES: tuple[tuple[str, str, int], ...] = (
    ("espeak", "en-us", 150),
    ("flite", "slt", 0),
    ("espeak", "en-gb+f3", 165),
    ("flite", "rms", 0),
    ("espeak", "en-us+m3", 135),
    ("flite", "awb", 0),
)
# a neural voice (hibari-tts, distilled from Kokoro-82M's af_heart), added by --neural
NEURAL = ("neural", NEURAL_VOICE, 0)


@dataclass
class Item:
    text: str
    gold: str  # public intent, "agenda" (either agenda intent) or "unknown"


def load_set(name: str, limit: int) -> list[Item]:
    if name == "corpus":
        from recognition.speech.corpus import training_set

        pairs = random.Random(7).sample(training_set("en", WORDS), limit or 80)
        return [Item(t, "agenda" if i == "agenda" else i) for t, i in pairs]
    path = EVAL if name == "eval" else DEV
    rows = [r for r in csv.DictReader(path.open(encoding="utf-8")) if r["language"] == "en"]
    return [Item(r["text"], r["intent"]) for r in rows][: limit or None]


def same(gold: str, intent: str) -> bool:
    return intent.startswith("agenda") if gold == "agenda" else intent == gold


def lm_system(
    before: bool = False, denoise: str | None = None, adapted: bool = True
) -> Callable[[bytes], dict[str, Any]]:
    """This design (`denoise`: another noise front end than the served one; `adapted=False`:
    PocketSphinx's acoustic model without the kiosk transform); `before=True`: its settings
    before the tuning split (1-best text, answer at p x confidence >= 0.6, buttons >= 0.08;
    PocketSphinx's default CMN start, fwdflat on, no noise front end, no transform)."""
    from recognition.speech.sphinx_lm import DECODER_OPTIONS, CorpusLmEngine
    from recognition.speech.understand import RULE, Rule, understand

    options = {k: v for k, v in DECODER_OPTIONS.items() if adapted or k != "mllr"}
    engine = CorpusLmEngine(options={} if before else options, denoise="off" if before else denoise)
    engine.release(*engine.decoder(WORDS))  # build before timing; the decoder is still fresh
    understand("hello", "en", WORDS)  # trains the classifier
    rule = Rule(nbest=1, power=1.0, answer=0.6, offer=0.08, reject_heard=0.0) if before else RULE

    def run(pcm: bytes) -> dict[str, Any]:
        t = transcribe(engine, pcm, "kiosk")  # one kiosk per condition (see main)
        u = understand(t.text, "en", WORDS, t.confidence, t.alternatives, rule)
        return {
            "text": t.text,
            "intent": u.intent.name,
            "answered": u.answered,
            "candidates": [c.name for c in u.candidates],
        }

    return run


def kiosk_system() -> Callable[[bytes], dict[str, Any]]:
    """The served kiosk: PocketSphinx (as `lm`) and Moonshine tiny on the same audio, their
    label probabilities pooled (checkin/speech_service.hearings, MOONSHINE_SHARE). From the
    same decode, as variants: `kiosk-raw` = Moonshine on the raw audio in a loud hall too (served
    until 2026-12-02 23:30 UTC; its extra Moonshine run is left out of the RTF), `sphinx` =
    PocketSphinx alone with the same rule (the kiosk
    without Moonshine, SPEECH_MOONSHINE=off), `sphinx-lead0` = PocketSphinx alone with the rule
    served before the best sentence's lead (what `lm` measured until 2026-12-02 16:00 UTC)."""
    from dataclasses import replace

    from checkin.speech_service import hearings
    from recognition.speech.moonshine import WithMoonshine, require
    from recognition.speech.sphinx_lm import CorpusLmEngine
    from recognition.speech.understand import RULE, understand_heard

    model = require()
    engine = WithMoonshine(CorpusLmEngine(), model)
    engine.first.release(*engine.first.decoder(WORDS))  # build before timing
    understand("hello", "en", WORDS)  # trains the classifier

    def decided(heard: Any, rule: Any = RULE) -> dict[str, Any]:
        u = understand_heard(hearings(heard), "en", WORDS, rule)
        return {
            "text": u.text or heard.text,
            "intent": u.intent.name,
            "answered": u.answered,
            "candidates": [c.name for c in u.candidates],
        }

    def run(pcm: bytes) -> dict[str, Any]:
        stream: Any = engine.open_stream(WORDS, "kiosk")  # one kiosk per condition (see main)
        t = transcribe_whole(stream, pcm)
        alone = replace(t, also=())
        start = time.process_time()  # the variant's own Moonshine run is not the kiosk's time
        raw = t if stream.for_moonshine() == pcm else replace(t, also=(model.transcribe(pcm),))
        return {
            **decided(t),
            "variants": {
                "kiosk-raw": decided(raw),
                "sphinx": decided(alone),
                "sphinx-lead0": decided(alone, replace(RULE, lead=0.0)),
            },
            "untimed": time.process_time() - start,
        }

    return run


def causal_system() -> Callable[[bytes], dict[str, Any]]:
    """The served system with the causal babble mask for a voice-like lead too (served until
    2026-12-02, 10:40 UTC): the look-ahead mask's file swapped for the causal one's."""
    from benchmarks.speech_mask import masked
    from recognition.speech import mask

    served = lm_system()

    def run(pcm: bytes) -> dict[str, Any]:
        with masked(str(mask.MODEL), ("AHEAD_MODEL",)):
            return served(pcm)

    return run


def grammar_system() -> Callable[[bytes], dict[str, Any]]:
    from recognition.speech.engines import PocketSphinxEngine
    from recognition.speech.intents import match_intent

    engine = PocketSphinxEngine()
    engine.open_stream(WORDS).finish()  # build before timing; the decoders are still fresh

    def run(pcm: bytes) -> dict[str, Any]:
        t = transcribe(engine, pcm)
        name = match_intent(t.text, "en", WORDS).name
        return {"text": t.text, "intent": name, "answered": name != "unknown", "candidates": []}

    return run


def transcribe(engine: Any, pcm: bytes, room: str | None = None) -> Any:
    return transcribe_whole(engine.open_stream(WORDS, room), pcm)


def make_audio(
    folder: Path,
    items: list[Item],
    voices: int,
    conditions: list[str],
    neural: bool = False,
    band: bool = False,
) -> list[Any]:
    kinds = {c.rstrip("0123456789") for c in conditions}
    noise = {}
    if "babble" in kinds:
        noise["babble"] = babble(folder / "babble.wav", 30.0)
    if "nbabble" in kinds:  # a crowd of neural talkers
        noise["nbabble"] = babble(folder / "nbabble.wav", 30.0, neural=True)
    out = []
    for k, item in enumerate(items):
        chosen = VOICES[:voices] + ((NEURAL,) if neural else ())
        for kind, voice, speed in chosen:
            clean = folder / f"{k}_{voice}.wav"
            if kind == "espeak":
                speak(item.text, clean, voice, speed)
            elif kind == "neural":
                speak_neural(item.text, clean)
            else:
                speak_flite(item.text, clean, voice)
            for cond in conditions:
                out.append((item, voice, cond, read_pcm(noisy(folder, clean, cond, noise, band))))
    return out


def noisy(folder: Path, clean: Path, cond: str, noise: dict[str, Path], band: bool = False) -> Path:
    """`clean` in condition `cond` (white10, babble20, ...), made in `folder` unless a clip of
    that name is already there (speech_tune.py --audio reuses its clips, and two runs sharing a
    folder never rewrite a clip the other is reading); `band`: the SNR in the speech band
    (synth.mix_noise)."""
    if cond == "clean":
        return clean
    out = folder / f"{clean.stem}_{cond}{'_band' if band else ''}.wav"
    if out.exists():
        return out
    kind, snr = cond.rstrip("0123456789"), int(cond[len(cond.rstrip("0123456789")) :])
    if kind not in noise:
        from recognition.speech.synth import add_noise

        return add_noise(clean, out, snr, f"{kind}noise", band)
    return mix_noise(clean, noise[kind], out, snr, band)


def score(rows: list[tuple[Item, dict[str, Any]]]) -> dict[str, float]:
    on = [(i, r) for i, r in rows if i.gold != "unknown"]
    off = [(i, r) for i, r in rows if i.gold == "unknown"]
    direct = sum(r["answered"] and same(i.gold, r["intent"]) for i, r in on)
    tapped = sum(not r["answered"] and any(same(i.gold, c) for c in r["candidates"]) for i, r in on)
    wrong = sum(r["answered"] and not same(i.gold, r["intent"]) for i, r in rows)
    return {
        "right": (direct + tapped) / max(1, len(on)),
        "direct": direct / max(1, len(on)),
        "wrong": wrong / max(1, len(rows)),
        "confirm": sum(not r["answered"] and bool(r["candidates"]) for _, r in rows)
        / max(1, len(rows)),
        "offtopic": sum(r["answered"] for _, r in off) / max(1, len(off)),
        "n": len(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--set", default="eval", choices=("eval", "dev", "corpus"))
    parser.add_argument("--voices", type=int, default=4)
    parser.add_argument("--neural", action="store_true", help="also the neural voice (hibari)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--conditions", default="clean,white20,white10,babble20,babble10")
    parser.add_argument("--systems", default="kiosk,grammar")
    parser.add_argument("--show", action="store_true", help="print every transcript")
    parser.add_argument("--by-voice", action="store_true", help="also each voice's figures")
    parser.add_argument("--typed-only", action="store_true", help="text-level figures only")
    parser.add_argument(
        "--level",
        default="rms",
        choices=("rms", "band"),
        help="SNR of speech and noise levels over all frequencies (rms) or in 300-3400 Hz (band)",
    )
    args = parser.parse_args()
    conditions = args.conditions.split(",")
    items = load_set(args.set, args.limit)
    if args.set != "corpus":
        typed(EVAL if args.set == "eval" else DEV)
    if args.typed_only:
        return
    systems = {
        "kiosk": kiosk_system,
        "lm": lm_system,
        "causal": causal_system,
        "premask": lambda: lm_system(denoise="auto-subtract"),
        "rnnoise": lambda: lm_system(denoise="rnnoise"),
        "subtract": lambda: lm_system(denoise="subtract"),
        "unadapted": lambda: lm_system(adapted=False),
        "before": lambda: lm_system(True),
        "grammar": grammar_system,
    }
    with tempfile.TemporaryDirectory(prefix="speech-bench-") as tmp:
        band = args.level == "band"
        audio = make_audio(Path(tmp), items, args.voices, conditions, args.neural, band)
        voices = args.voices + int(args.neural)
        print(f"\n{args.set} set, English audio: {len(items)} questions x {voices} voices")
        if band:
            print("SNR measured in the speech band, 300-3400 Hz (synth.SPEECH_BAND)")
        print(f"{'system':<9}{'condition':<10}" + "".join(f"{h:>9}" for h in HEAD))
        for name in args.systems.split(","):
            per: dict[str, list[Any]] = {c: [] for c in conditions}
            voiced: dict[str, dict[str, list[Any]]] = {c: {} for c in conditions}  # by voice
            variants: dict[str, dict[str, list[Any]]] = {}
            times: dict[str, list[float]] = {c: [0.0, 0.0] for c in conditions}
            # one fresh system per condition, fed that condition's audio only: a kiosk stands
            # in one place, and the decoder's running cepstral mean follows its room
            ordered = sorted(audio, key=lambda clip: conditions.index(clip[2]))
            current = ""
            for item, voice, cond, pcm in ordered:
                if cond != current:
                    run, current = systems[name](), cond
                start = time.process_time()
                result = run(pcm)
                times[cond][0] += time.process_time() - start - result.pop("untimed", 0.0)
                times[cond][1] += len(pcm) / 32000
                per[cond].append((item, result))
                voiced[cond].setdefault(voice, []).append((item, result))
                for variant, other in result.pop("variants", {}).items():
                    variants.setdefault(variant, {c: [] for c in conditions})[cond].append(
                        (item, other)
                    )
                if args.show:
                    print(f"  {name} {cond} {voice}: {item.text!r} -> {result}")
            for cond in conditions:
                s = score(per[cond])
                rtf = times[cond][0] / times[cond][1]
                print(f"{name:<9}{cond:<10}" + cells(s) + f"{rtf:>9.3f}  load {load()}")
                for voice, rows in voiced[cond].items() if args.by_voice else ():
                    print(f"  {voice:<17}" + cells(score(rows)))
            for variant, rows in variants.items():  # decided from the same decode
                for cond in conditions:
                    print(f"{variant:<13}{cond:<10}" + cells(score(rows[cond])))
        halls(audio, conditions)


def halls(audio: list[Any], conditions: list[str]) -> None:
    """How often the served estimate calls the hall loud (it then says so when it does not
    answer), and its median reading, per condition; the same for every system."""
    import numpy as np

    from recognition.speech.audio import LOUD_DB, speech_over_noise

    print(f"hall estimate (loud below {LOUD_DB:g} dB)")
    for cond in conditions:
        read = [speech_over_noise(pcm) for _, _, c, pcm in audio if c == cond]
        levels = [level for level in read if level is not None]
        if not levels:  # every clip under 0.6 s: no verdict
            continue
        loud = sum(level < LOUD_DB for level in levels) / len(levels)
        print(f"  {cond:<10} loud {loud:6.1%}  median {float(np.median(levels)):5.1f} dB")


def load() -> str:
    """The 1-minute load average: timing figures on a shared machine need it beside them."""
    with open("/proc/loadavg", encoding="ascii") as fh:
        return fh.read().split()[0]


HEAD = ("right", "direct", "wrong", "confirm", "offtopic", "n", "RTF")


def cells(s: dict[str, float]) -> str:
    return "".join(f"{s[k]:>9.1%}" for k in HEAD[:5]) + f"{int(s['n']):>9}"


def typed(path: Path) -> None:
    """The same questions typed (text level), plus the other languages of the set's file."""
    from recognition.speech.understand import understand

    print("typed questions (text level; classifiers trained before timing)")
    for language in ("en", "zh", "ko"):
        understand("hello", language, WORDS)  # the first question trains the classifier
        rows = []
        for r in csv.DictReader(path.open(encoding="utf-8")):
            if r["language"] != language:
                continue
            start = time.perf_counter()
            u = understand(r["text"], language, WORDS)
            ms = (time.perf_counter() - start) * 1000
            result = {
                "intent": u.intent.name,
                "answered": u.answered,
                "candidates": [c.name for c in u.candidates],
                "ms": ms,
            }
            rows.append((Item(r["text"], r["intent"]), result))
        if rows:
            worst = max(r["ms"] for _, r in rows)
            print(
                f"  {path.parent.name}/{language}: "
                + cells(score(rows))
                + f"  worst {worst:.1f} ms"
            )


if __name__ == "__main__":
    main()
