#!/usr/bin/env python3
"""How loud "10 dB" is for each voice: where its energy lies, and its speech-band SNR.

    .venv/bin/python benchmarks/speech_levels.py [--set eval|dev] [--voices 2] [--neural]
        [--limit 20]

The benchmarks mix noise at an SNR of plain RMS levels (speech on its active frames). A voice
whose energy sits below the speech band counts louder than it is heard: this prints, for the
benchmark voices (the first `--limit` English questions of the set) and for the transcribed
human recordings Debian ships (pocketsphinx-testdata's LibriVox and card readings, goforward,
TIDIGITS; sphinxtrain's TIMIT sa1), the share of energy below 300 Hz, in 300-3400 Hz (the
band Aurora-2 measures SNR in, synth.SPEECH_BAND) and above, and by how many dB the
speech-band SNR differs from the RMS SNR when mixed into the benchmarks' babble
(synth.band_rms against synth.active_rms; the same for every SNR). A voice at -7 dB is heard
in the band at 3 dB when mixed at "10 dB". Nothing here is tuned: it only measures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_adapt import real_recordings  # noqa: E402
from benchmarks.speech_bench import NEURAL, VOICES, load_set, make_audio  # noqa: E402
from recognition.speech.audio import RATE  # noqa: E402
from recognition.speech.synth import (  # noqa: E402
    SPEECH_BAND,
    active_rms,
    babble,
    band_rms,
    read_pcm,
)


def shares(clips: list[bytes]) -> tuple[float, float, float]:
    """Shares of energy below, in and above SPEECH_BAND, over all the clips together."""
    total = np.zeros(3)
    for pcm in clips:
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        power = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(len(x), 1 / RATE)
        low, high = SPEECH_BAND
        total += [
            power[freqs < low].sum(),
            power[(freqs >= low) & (freqs <= high)].sum(),
            power[freqs > high].sum(),
        ]
    below, inside, above = total / total.sum()
    return float(below), float(inside), float(above)


def offsets(clips: list[bytes], crowd: bytes) -> list[float]:
    """Speech-band SNR minus RMS SNR (dB) of each clip mixed into `crowd`."""
    ratio = band_rms(crowd) / active_rms(crowd)
    return [float(20 * np.log10(band_rms(pcm) / active_rms(pcm) / ratio)) for pcm in clips]


def recordings() -> dict[str, list[bytes]]:
    """Debian's transcribed human recordings, by set (read as speech_adapt.py real reads them)."""
    out: dict[str, list[bytes]] = {}
    for other in (False, True):
        for name, (pcm, _) in real_recordings(other, []).items():
            out.setdefault(name.split("/")[0], []).append(pcm)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--set", default="eval", choices=("eval", "dev"))
    parser.add_argument("--voices", type=int, default=2)
    parser.add_argument("--neural", action="store_true", help="also the neural voice")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    items = load_set(args.set, args.limit)
    sources: dict[str, list[bytes]] = {}
    with tempfile.TemporaryDirectory(prefix="speech-levels-") as tmp:
        folder = Path(tmp)
        crowd = read_pcm(babble(folder / "babble.wav", 30.0))
        kinds = {voice: kind for kind, voice, _ in (*VOICES, NEURAL)}
        for _, voice, _, pcm in make_audio(folder, items, args.voices, ["clean"], args.neural):
            sources.setdefault(f"{kinds[voice]} {voice}", []).append(pcm)
        people = recordings()
        sources.update({f"recorded {name}": clips for name, clips in people.items()})
        print(f"{args.set} set, first {len(items)} English questions; band {SPEECH_BAND} Hz")
        print(f"{'source':<22}{'clips':>6}{'below':>8}{'band':>8}{'above':>8}   band-RMS dB")
        print(f"{'the babble (noise)':<22}{1:>6}" + "".join(f"{s:>8.1%}" for s in shares([crowd])))
        for name, clips in sources.items():
            d = offsets(clips, crowd)
            print(
                f"{name:<22}{len(clips):>6}"
                + "".join(f"{s:>8.1%}" for s in shares(clips))
                + f"   {np.mean(d):+.1f} ({min(d):+.1f} to {max(d):+.1f})"
            )


if __name__ == "__main__":
    main()
