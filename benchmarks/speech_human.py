#!/usr/bin/env python3
"""Recorded human speech in a crowd: word errors of the two English recognisers.

    apt-get install pocketsphinx-testdata
    .venv/bin/python benchmarks/speech_human.py [--conditions clean,babble20,babble10]
        [--other] [--extra WAV TEXTFILE ...]

The only recorded human speech on this machine's registries is Debian's pocketsphinx-testdata:
five LibriVox sentences of read English (one reader) and five spoken playing-card lists. Not
questions, so no intents: this measures how each recogniser hears people, clean and with the
benchmarks' babble (synth.babble, six synthetic talkers) mixed in at 20 and 10 dB, in one run.
`--other` and `--extra` choose the recordings as `speech_adapt.py real` does (Debian's other
transcribed human recordings: goforward, TIDIGITS, TIMIT; any recording with its words).

- pocketsphinx-general: PocketSphinx with its own general English language model and the
  served noise front end and acoustic transform (the fairest PocketSphinx for open text);
- pocketsphinx-kiosk: the served kiosk decoder (corpus language model mixed with general
  English), which expects questions, not novels or cards;
- moonshine-raw: Moonshine tiny (recognition/speech/moonshine.py) on the raw audio always
  (served until 2026-12-02 23:30 UTC);
- moonshine-front-end: the same through the served noise front end always;
- moonshine-served: Moonshine's words as the kiosk's pair gives them (raw in a quiet hall,
  through PocketSphinx's front end in a loud one: moonshine._Both.for_moonshine); its RTF
  includes PocketSphinx, which heard the question too.

Word error rate over all words (lower case, punctuation dropped), and the real-time factor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_adapt import real_recordings, word_errors  # noqa: E402
from benchmarks.speech_heard import write_wav  # noqa: E402
from recognition.speech.synth import babble, mix_noise, read_pcm  # noqa: E402


def recognisers() -> dict[str, Callable[[bytes], str]]:
    import pocketsphinx

    from recognition.speech import denoise
    from recognition.speech.catalogue import NO_WORDS
    from recognition.speech.engines import transcribe_whole
    from recognition.speech.moonshine import WithMoonshine, require
    from recognition.speech.sphinx_lm import DECODER_OPTIONS, CorpusLmEngine

    general = pocketsphinx.Decoder(loglevel="FATAL", **DECODER_OPTIONS)
    kiosk = CorpusLmEngine()
    moonshine = require()
    pair = WithMoonshine(CorpusLmEngine(), moonshine)

    def front(pcm: bytes) -> bytes:  # the served noise front end, as the kiosk's decoder hears
        clean = denoise.make(kiosk.denoise)
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if clean:
            x = np.concatenate([clean.process(x), clean.finish()])
        return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()

    def sphinx_general(pcm: bytes) -> str:
        general.start_utt()
        general.process_raw(front(pcm), full_utt=True)
        general.end_utt()
        hyp = general.hyp()
        return hyp.hypstr if hyp else ""

    return {
        "pocketsphinx-general": sphinx_general,
        "pocketsphinx-kiosk": lambda pcm: transcribe_whole(kiosk.open_stream(NO_WORDS), pcm).text,
        "moonshine-raw": lambda pcm: moonshine.transcribe(pcm).text,
        "moonshine-front-end": lambda pcm: moonshine.transcribe(front(pcm)).text,
        "moonshine-served": lambda pcm: " ".join(
            t.text for t in transcribe_whole(pair.open_stream(NO_WORDS), pcm).also
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--conditions", default="clean,babble20,babble10")
    parser.add_argument("--show", action="store_true", help="print every transcript")
    parser.add_argument("--other", action="store_true", help="Debian's other human recordings")
    parser.add_argument(
        "--extra", nargs=2, action="append", metavar=("WAV", "TEXTFILE"), help="one more recording"
    )
    args = parser.parse_args()
    recordings = real_recordings(args.other, args.extra or [])
    refs = {uid: [w.lower() for w in ref] for uid, (_, ref) in recordings.items()}
    systems = recognisers()
    with tempfile.TemporaryDirectory(prefix="speech-human-") as tmp:
        folder = Path(tmp)
        crowd = babble(folder / "babble.wav", 40.0)
        print(f"{len(refs)} recordings, {sum(map(len, refs.values()))} words")
        clean = {  # each recording as a WAV, for mixing
            uid: write_wav(folder / f"{k}.wav", np.frombuffer(pcm, dtype="<i2").astype(np.float64))
            for k, (uid, (pcm, _)) in enumerate(sorted(recordings.items()))
        }
        for cond in args.conditions.split(","):
            heard = {  # the audio of this condition, mixed once for every recogniser
                uid: recordings[uid][0]
                if cond == "clean"
                else read_pcm(
                    mix_noise(path, crowd, folder / "n.wav", float(cond.removeprefix("babble")))
                )
                for uid, path in clean.items()
            }
            for name, hear in systems.items():
                errors = total = 0
                cpu = seconds = 0.0
                for uid, ref in sorted(refs.items()):
                    pcm = heard[uid]
                    start = time.process_time()
                    said = hear(pcm).lower().split()
                    cpu += time.process_time() - start
                    seconds += len(pcm) / 32000
                    errors += word_errors(ref, said)
                    total += len(ref)
                    if args.show:
                        print(f"    {cond} {name} {uid}: {' '.join(said)}")
                print(
                    f"  {cond:<9} {name:<21} word errors {100 * errors / total:5.1f}%"
                    f"  RTF {cpu / seconds:.3f}"
                )


if __name__ == "__main__":
    main()
