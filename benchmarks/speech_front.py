#!/usr/bin/env python3
"""The noise front end's CPU, served against an earlier revision's, on the same audio in one run.

    .venv/bin/python benchmarks/speech_front.py [--against 71517d2] [--set eval|dev]
        [--voices 2] [--conditions clean,white10,babble10] [--chunk 3200] [--limit 0]

`auto` (denoise.Adaptive) of this checkout and of `--against` (a git revision: its
recognition/speech/denoise.py, loaded beside this one; default 71517d2, the last revision in
which every suppressor ran on all the audio heard before the choice) hear each question as a
kiosk streams it (`--chunk` samples at a time). Printed per condition: CPU seconds per second
of audio of each (one thread, process time, the 1-minute load beside), which suppressor each
kept (they must agree) and the largest difference between their outputs (float samples at
int16 scale). The audio is speech_bench.py's (the hand-written evaluation set or the shared
development set, espeak-ng and flite voices, sox noise and espeak-ng babble at RMS SNR).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_bench import load, load_set, make_audio  # noqa: E402
from recognition.speech import denoise  # noqa: E402

BEFORE = "71517d2"


def revision(rev: str, folder: Path) -> ModuleType:
    """recognition/speech/denoise.py as it was at `rev`, as a module of its own."""
    try:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:recognition/speech/denoise.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"cannot read denoise.py at {rev!r} (a git checkout is needed): {exc}")
    path = folder / f"denoise_{rev}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"denoise_{rev}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hear(module: Any, x: np.ndarray, chunk: int) -> tuple[np.ndarray, str, float]:
    """(output, suppressor kept, CPU seconds) of one question streamed through `auto`."""
    start = time.process_time()
    auto = module.Adaptive()
    parts = [auto.process(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    out = np.concatenate([*parts, auto.finish()])
    return out, auto.chosen, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--against", default=BEFORE, help="git revision to compare with")
    parser.add_argument("--set", default="eval", choices=("eval", "dev"))
    parser.add_argument("--voices", type=int, default=2)
    parser.add_argument("--conditions", default="clean,white10,babble10")
    parser.add_argument("--chunk", type=int, default=3200, help="samples per streamed piece")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if args.chunk < 1:
        sys.exit("--chunk must be at least 1")
    conditions = args.conditions.split(",")
    items = load_set(args.set, args.limit)
    with tempfile.TemporaryDirectory(prefix="speech-front-") as tmp:
        before = revision(args.against, Path(tmp))
        audio = make_audio(Path(tmp), items, args.voices, conditions)
        print(f"{args.set} set: {len(items)} questions x {args.voices} voices, {args.chunk}-sample")
        print(f"{'condition':<10}{'seconds':>9}{'served':>9}{args.against:>10}  kept / diff")
        for cond in conditions:
            clips = [
                np.frombuffer(pcm, dtype="<i2").astype(np.float64)
                for *_, c, pcm in audio
                if c == cond
            ]
            cpu = {"served": 0.0, "before": 0.0}
            kept: dict[str, int] = {}
            diff = 0.0
            for x in clips:
                now, chosen, cpu_now = hear(denoise, x, args.chunk)
                then, chosen_then, cpu_then = hear(before, x, args.chunk)
                if chosen != chosen_then or len(now) != len(then):
                    sys.exit(f"{cond}: the two kept {chosen} and {chosen_then}: not comparable")
                cpu["served"] += cpu_now
                cpu["before"] += cpu_then
                kept[chosen] = kept.get(chosen, 0) + 1
                diff = max(diff, float(np.max(np.abs(now - then))) if len(now) else 0.0)
            seconds = sum(len(x) for x in clips) / denoise.RATE
            print(
                f"{cond:<10}{seconds:>9.1f}{cpu['served'] / seconds:>9.4f}"
                f"{cpu['before'] / seconds:>10.4f}  {kept} / {diff:.2g}  load {load()}"
            )


if __name__ == "__main__":
    main()
