#!/usr/bin/env python3
"""Where an English question's CPU goes, part by part, for decoder settings side by side.

    .venv/bin/python benchmarks/speech_cost.py [--audio /tmp/tune/audio] [--limit 60]
        [--conditions clean,white10,babble10] [--setting ""] [--setting topn=2 ...] [--rounds 2]

The served English pair hears each question as a kiosk streams it (0.1 s pieces): the noise
front end (denoise.Adaptive), PocketSphinx's search (`process_raw`), the end of the utterance
(end_utt, the lattice, the n-best list and word confidence, `finish`), then Moonshine tiny on
the audio it is served (the front end's in a loud hall, the raw audio otherwise). Printed per
condition and setting: CPU seconds per second of audio of each part and of all (one thread,
process time), with the 1-minute load. A setting is decoder options over the served ones
(`key=value`, comma-separated; "" is the served decoder); the settings take turns clip by clip,
`--rounds` times, so a busier minute costs all of them alike. Accuracy is not measured here:
`speech_tune.py decode --option` gives it on the same clips.

The clips are the tuning split's held-out part (speech_tune.py: corpus sentences of held-out
templates in espeak-ng en-us and flite slt, sox noise and espeak-ng babble at 10 dB RMS SNR),
spoken into `--audio` if they are not there yet; never the evaluation sets.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_bench import WORDS, load  # noqa: E402
from benchmarks.speech_tune import audio, parse_option, split  # noqa: E402
from recognition.speech import sphinx_lm  # noqa: E402
from recognition.speech.audio import LOUD_DB, speech_over_noise  # noqa: E402
from recognition.speech.moonshine import Moonshine, shared  # noqa: E402
from recognition.speech.synth import read_pcm  # noqa: E402

PARTS = ("front", "search", "finish", "moonshine")
CHUNK = 3200  # bytes: 0.1 s of 16 kHz 16-bit audio, as the kiosk page sends it


def options(setting: str) -> dict[str, Any]:
    """The served decoder options with `setting`'s ("k=v,k=v"; "" for none) over them."""
    chosen = dict(sphinx_lm.DECODER_OPTIONS)
    chosen.update(dict(parse_option(o) for o in setting.split(",") if o.strip()))
    return {k: v for k, v in chosen.items() if v != "none"}


class Timed:
    """A front end whose `process` adds up the CPU it takes (its `finish` is left to the end of
    the utterance, where the stream calls it)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.spent = inner, 0.0

    def process(self, samples: np.ndarray) -> np.ndarray:
        start = time.process_time()
        out: np.ndarray = self.inner.process(samples)
        self.spent += time.process_time() - start
        return out

    def finish(self) -> np.ndarray:
        out: np.ndarray = self.inner.finish()
        return out


def cost(
    engine: sphinx_lm.CorpusLmEngine, moonshine: Moonshine | None, pcm: bytes
) -> dict[str, float]:
    """CPU seconds of each part for one question heard as the kiosk hears it."""
    spent = dict.fromkeys(PARTS, 0.0)
    stream = engine.open_stream(WORDS)
    assert isinstance(stream, sphinx_lm._LmStream)
    front = Timed(stream._clean) if stream._clean else None
    stream._clean = front  # the served front end, timed apart from the search
    start = time.process_time()
    for i in range(0, len(pcm), CHUNK):
        stream.accept(pcm[i : i + CHUNK])  # the front end, the search and the partial words
    heard = time.process_time() - start
    spent["front"] = front.spent if front else 0.0
    spent["search"] = heard - spent["front"]
    start = time.process_time()
    stream.finish()  # the front end's tail, end_utt, lattice, n-best and confidence
    spent["finish"] = time.process_time() - start
    if moonshine is not None:
        hall = speech_over_noise(pcm)
        served = stream.front_audio()
        heard_by_moonshine = served if hall is not None and hall < LOUD_DB and served else pcm
        start = time.process_time()
        moonshine.transcribe(heard_by_moonshine)
        spent["moonshine"] = time.process_time() - start
    return spent


def measure(
    clips: list[tuple[str, bytes]],
    settings: list[str],
    rounds: int = 1,
    with_moonshine: bool = True,
) -> dict[tuple[str, str], dict[str, float]]:
    """(condition, setting) -> CPU per second of audio of each part and "all"; the settings
    take turns clip by clip."""
    engines = {s: sphinx_lm.CorpusLmEngine(options=options(s)) for s in settings}
    moonshine = shared() if with_moonshine else None
    spent: dict[tuple[str, str], dict[str, float]] = {}
    seconds: dict[tuple[str, str], float] = {}
    for engine in engines.values():  # build each language model before timing
        cost(engine, None, clips[0][1][:CHUNK])
    for _ in range(rounds):
        for cond, pcm in clips:
            for setting, engine in engines.items():
                key = (cond, setting)
                parts = cost(engine, moonshine, pcm)
                total = spent.setdefault(key, dict.fromkeys(PARTS, 0.0))
                for part, value in parts.items():
                    total[part] += value
                seconds[key] = seconds.get(key, 0.0) + len(pcm) / 32000
    table = {}
    for key, total in spent.items():
        row = {part: value / seconds[key] for part, value in total.items()}
        row["all"] = sum(row[p] for p in PARTS)
        table[key] = row
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--audio", help="folder of the tuning clips (spoken there if missing)")
    ap.add_argument("--conditions", default="clean,white10,babble10")
    ap.add_argument("--limit", type=int, default=60, help="clips per condition (0: all)")
    ap.add_argument("--setting", action="append", help='decoder options "k=v,k=v" ("": served)')
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-moonshine", action="store_true")
    args = ap.parse_args()
    settings = args.setting or [""]
    conditions = args.conditions.split(",")
    folder = Path(args.audio or tempfile.mkdtemp(prefix="speech-cost-"))
    folder.mkdir(parents=True, exist_ok=True)
    _, held = split()
    clips: list[tuple[str, bytes]] = []
    for cond in conditions:
        rows = [c for c in audio(folder, held, [cond]) if c[3] == cond]
        rows = rows[: args.limit] if args.limit else rows
        clips += [(cond, read_pcm(path)) for *_, path in rows]
    if not args.no_moonshine and shared() is None:
        sys.exit("Moonshine is not installed (./dev setup), or run with --no-moonshine")
    table = measure(clips, settings, args.rounds, not args.no_moonshine)
    counts = {c: sum(1 for k, _ in clips if k == c) for c in conditions}
    print(f"CPU seconds per second of audio, one thread; load {load()}; rounds {args.rounds}")
    print(f"{'condition':<10} {'setting':<22}" + "".join(f"{p:>10}" for p in (*PARTS, "all")))
    for (cond, setting), row in table.items():
        print(
            f"{cond:<10} {setting or 'served':<22}"
            + "".join(f"{row[p]:10.4f}" for p in (*PARTS, "all"))
            + f"   n {counts[cond]}"
        )


if __name__ == "__main__":
    main()
