#!/usr/bin/env python3
"""Moonshine tiny alone on the held-out questions, its words read by the served classifier as a
typed question (or, with `--gate`, with its mean token probability as the word confidence).

    .venv/bin/python benchmarks/speech_moonshine.py [--set eval|dev] [--voice neural|espeak]
        [--gate]

The experiment that led to serving Moonshine beside PocketSphinx (recognition/speech/moonshine.py;
`speech_bench.py --systems kiosk` measures the served pair). Moonshine tiny (Useful Sensors, MIT)
is a 27M-parameter encoder-decoder trained on recorded speech, quantized ONNX from the npm
package @moonshine-ai/moonshine-js, installed by `./dev setup`. Audio as speech_bench.py makes
it (the same questions, voices and babble); right / direct / wrong / off-topic as there. Without
`--gate` every misheard question the classifier is sure of is answered; with it the served rule
(p x sqrt(confidence) >= 0.7) reads Moonshine's confidence. Until 2026-12-02 16:00 UTC this script
ran Moonshine through useful-moonshine-onnx's own code (tokens checked identical).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_bench import DEV, EVAL, WORDS, Item, load_set, same  # noqa: E402
from recognition.speech.synth import babble, mix_noise, read_pcm, speak, speak_neural  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--set", default="eval", choices=("eval", "dev"))
    parser.add_argument("--voice", default="neural", choices=("neural", "espeak"))
    parser.add_argument(
        "--gate", action="store_true", help="the served rule with its mean token probability"
    )
    args = parser.parse_args()
    from recognition.speech.moonshine import require
    from recognition.speech.understand import understand

    model = require()
    items = load_set(args.set, 0)
    understand("hello", "en", WORDS)  # trains the classifier before timing
    results: dict[str, list[tuple[Item, Any, str]]] = {"clean": [], "babble10": []}
    cpu = seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="speech-moonshine-") as tmp:
        folder = Path(tmp)
        crowd = babble(folder / "babble.wav", 30.0)
        for k, item in enumerate(items):
            clean = folder / f"{k}.wav"
            if args.voice == "neural":
                speak_neural(item.text, clean)
            else:
                speak(item.text, clean, "en-us", 150)
            for cond, rows in results.items():
                path = clean if cond == "clean" else mix_noise(clean, crowd, folder / "n.wav", 10)
                pcm = read_pcm(path)
                start = time.process_time()
                said = model.transcribe(pcm)
                cpu += time.process_time() - start
                seconds += len(pcm) / 32000
                heard = said.confidence if args.gate else 1.0
                rows.append((item, understand(said.text, "en", WORDS, heard), said.text))
    where = EVAL if args.set == "eval" else DEV
    gate = ", answers gated by its token probability" if args.gate else ""
    print(f"{where.parent.name}, {args.voice} voice, {len(items)} questions; Moonshine tiny{gate}")
    for cond, rows in results.items():
        on = [(i, u) for i, u, _ in rows if i.gold != "unknown"]
        direct = sum(u.answered and same(i.gold, u.intent.name) for i, u in on)
        tapped = sum(
            not u.answered and any(same(i.gold, c.name) for c in u.candidates) for i, u in on
        )
        wrong = sum(u.answered and not same(i.gold, u.intent.name) for i, u, _ in rows)
        off = [u for i, u, _ in rows if i.gold == "unknown"]
        print(
            f"  {cond:<9} right {(direct + tapped) / len(on):6.1%} direct {direct / len(on):6.1%}"
            f" wrong {wrong / len(rows):6.1%} off-topic answered {sum(u.answered for u in off)}"
            f" of {len(off)}"
        )
    print(f"  RTF {cpu / seconds:.3f} (one thread)")


if __name__ == "__main__":
    main()
