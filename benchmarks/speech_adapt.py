#!/usr/bin/env python3
"""Adapt PocketSphinx's English acoustic model to speech heard through the kiosk's front end (MLLR).

    .venv/bin/python benchmarks/speech_adapt.py build --out DIR [--per-label 80] [--work DIR]
        [--conditions clean,white,pink,babble] [--pairs] [--map] [--recordings FOLDER]
    .venv/bin/python benchmarks/speech_adapt.py real [--mllr FILE | --hmm DIR] [--front]
        [--lead 0.5 [--floor 20]] [--other] [--extra WAV TEXTFILE ...]

`build` needs Debian's sphinxtrain and sphinxbase-utils (`apt-get install sphinxtrain
sphinxbase-utils pocketsphinx`; only this script does, never the served system). It writes
DIR/mllr_matrix, a global linear transform of the model's Gaussian means (maximum-likelihood
linear regression, sphinxtrain's bw + mllr_solve), which PocketSphinx applies with its `mllr`
option. What goes in, and what never does:

- Sentences: a seeded sample of the training corpus from the templates the tuning split trains
  on (speech_heard.sample: template index % 3 != 1), so a transform built here is fair on the
  tuning split (benchmarks/speech_tune.py) and on the held-out sets. Never the evaluation
  questions (recognition/speech/evaluation/questions.csv) nor the shared development set: the
  corpus drops them (corpus_templates.json `held_out`; tests/speech/test_adapt.py checks the
  sample). The served transform was rebuilt at f0c95b1 from the corrected corpus and through
  the learned babble mask (the first one, built at 193e133, had one development question the
  templates generated in its sample; docs/speech.md).
- Voices: speech_heard.VOICES (espeak-ng and flite voices the benchmarks do not use).
- Noise: speech_heard's own (seeded numpy white and pink noise; babble of other talkers and
  lines than synth.babble()), at 5-15 dB.
- Each clip goes through the served noise front end (SPEECH_DENOISE, `auto`) and the decoder's
  dither before the features are computed, so the transform maps what the decoder really hears.

`build --recordings FOLDER` learns the transform from a summit's own recorded, transcribed
questions instead (WAV files and a sphinxtrain `transcription` file; see `recordings`): each is
read as the kiosk reads an upload and heard through the same front end. Serve the result with
SPEECH_MLLR=DIR/mllr_matrix. Measure it on recordings it did not learn from (`real --mllr`
reads Debian's test recordings; split your own by speaker).

`real` decodes the human recordings of Debian's pocketsphinx-testdata (five LibriVox sentences
of read speech, five spoken playing cards) with PocketSphinx's general English model, with and
without the transform (or a MAP-adapted model), and prints the word error rate, in all and per
recording set: a model adapted on synthetic voices must not make real voices worse. `--front`:
each recording first goes through the served noise front end and dither, as the kiosk's decoder
hears it and as `build` learns; `--lead S`: S seconds of a quiet room (white noise of RMS
`--floor`, -64 dBFS by default, over the whole clip) come before the reader speaks, as at a kiosk
(the recordings start with speech, which the front end would take for a crowd or steady noise).
`--other`: the other transcribed human recordings Debian ships, instead (pocketsphinx-testdata's
goforward.raw and TIDIGITS dhd.2934z.raw, sphinxtrain's TIMIT sa1.wav; unused before 2026-12-03,
so held out for what was chosen on the first set); `--extra WAV TEXTFILE`: a recording (read
as the kiosk reads an upload, but longer than 30 s allowed) and its words, added to the
recordings (repeatable).
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_heard import CONDITIONS, crowd, noisy, sample, say  # noqa: E402
from recognition.speech.audio import RATE, resample  # noqa: E402
from recognition.speech.synth import read_pcm  # noqa: E402

SEED = 2027  # not speech_heard's: other sentences and other noise draws
TOOLS = Path("/usr/lib/sphinxtrain")
TESTDATA = Path("/usr/share/pocketsphinx/test/data")
REAL = (("librivox", "transcription"), ("cards", "cards.transcription"))
SPHINXTRAIN_TEST = Path("/usr/lib/x86_64-linux-gnu/sphinxtrain/python/cmusphinx/test")
OTHER = (  # (set, file, words): raw files are 16 kHz 16-bit mono without a header
    ("goforward", TESTDATA / "goforward.raw", "go forward ten meters"),
    ("tidigits", TESTDATA / "tidigits/dhd.2934z.raw", "two nine three four zero"),
    ("timit", SPHINXTRAIN_TEST / "sa1.wav", "she had your dark suit in greasy wash water all year"),
)


def model_dir() -> Path:
    from recognition.speech.lm import model_dir as ps_models

    return ps_models() / "en-us"


def write_mixw(sendump: Path, out: Path) -> None:
    """PocketSphinx's quantized mixture weights (sendump) as sphinxtrain's float mixture_weights.

    sendump: 4-byte-length-prefixed header strings (a description, then "key value" lines, ended
    by an empty one), the numbers of codewords and senones, then for each feature stream and each
    codeword one byte per senone: -log base 1.0001 of the weight, shifted right by mixw_shift.
    """
    data = sendump.read_bytes()
    pos, fmt, head = 0, "<I", {}

    def read_str() -> str:
        nonlocal pos, fmt
        n = struct.unpack_from(fmt, data, pos)[0]
        if n > 65536:
            fmt = ">I"
            n = struct.unpack_from(fmt, data, pos)[0]
        pos += 4
        text = data[pos : pos + n].rstrip(b"\0").decode("ascii")
        pos += n
        return text

    read_str()  # title
    while line := read_str():
        key, _, value = line.partition(" ")
        head[key] = int(value) if value.strip().lstrip("-").isdigit() else value
    if not int(head.get("cluster_count", 0)):  # counts follow the header
        head["model_count"], head["mixture_count"] = struct.unpack_from(fmt[0] + "II", data, pos)
        pos += 8
    senones, codewords = int(head["mixture_count"]), int(head["model_count"])
    streams, shift = int(head.get("feature_count", 1)), int(head.get("mixw_shift", 10))
    weights = np.empty((senones, streams, codewords), dtype=np.float64)
    for f in range(streams):
        for c in range(codewords):
            q = np.frombuffer(data, dtype=np.uint8, count=senones, offset=pos).astype(np.int64)
            pos += senones
            weights[:, f, c] = np.power(1.0001, -(q << shift).astype(np.float64))
    weights /= weights.sum(axis=2, keepdims=True)
    with out.open("wb") as fh:
        header = b"s3\nversion 1.0\n"
        pad = (4 - (len(header) + len(b"endhdr\n")) % 4) % 4
        fh.write(header + b" " * pad + b"endhdr\n" + struct.pack("=i", 0x11223344))
        fh.write(struct.pack("=IIII", senones, streams, codewords, weights.size))
        fh.write(weights.astype("<f4").tobytes())


def prepare_model(work: Path) -> Path:
    """A copy of the model that sphinxtrain reads: text mdef, float mixture weights."""
    src, dst = model_dir(), work / "model"
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("means", "variances", "transition_matrices", "feat.params", "noisedict"):
        shutil.copy(src / name, dst / name)
    subprocess.run(
        ["pocketsphinx_mdef_convert", "-text", str(src / "mdef"), str(dst / "mdef.txt")],
        check=True,
        capture_output=True,
    )
    write_mixw(src / "sendump", dst / "mixture_weights")
    return dst


def heard_pcm(pcm: bytes, rng: np.random.Generator) -> bytes:
    """What the decoder hears of `pcm`: the served front end, then its dither."""
    from recognition.speech import denoise
    from recognition.speech.engines import DITHER_LSB

    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    clean = denoise.make(denoise.front_end())
    if clean is not None:
        x = np.concatenate([clean.process(x), clean.finish()])
    x = x + rng.normal(0.0, DITHER_LSB, len(x))
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def clips(work: Path, per_label: int, conditions: list[str], pairs: bool) -> list[tuple[str, str]]:
    """(utterance id, text) of the adaptation clips, written to work/raw/<id>.raw."""
    from recognition.speech.lm import pronunciations

    known = pronunciations()
    rng = np.random.default_rng(SEED)
    babble = crowd(work, 40.0)
    (work / "raw").mkdir(exist_ok=True)
    noises = [c for c in conditions if c != "clean"]
    out = []
    chosen = [p for p in sample(per_label, SEED) if all(w in known for w in p[0].split())]
    for k, (text, _label) in enumerate(chosen):
        wav = say(text, work / f"{k}.wav", k)
        conds = (["clean"] if "clean" in conditions else []) + (
            [noises[k % len(noises)]] if noises and pairs else noises
        )
        for cond in conds:
            snr = float(rng.uniform(5.0, 15.0))
            pcm = read_pcm(noisy(wav, cond, snr, babble, rng))
            uid = f"{k:04d}_{cond}"
            (work / "raw" / f"{uid}.raw").write_bytes(heard_pcm(pcm, rng))
            out.append((uid, text))
    return out


def transcription_line(line: str) -> tuple[str, str]:
    """A sphinxtrain transcription line, `<s> where is my hotel </s> (q001)` -> (its words without
    the <s> marks, its file id); empty parts where the line has none."""
    text, _, uid = line.rstrip().rpartition("(")
    words = " ".join(text.replace("<s>", " ").replace("</s>", " ").split())
    return words, uid.rstrip(")").strip()


def recordings(folder: Path, work: Path) -> list[tuple[str, str]]:
    """(utterance id, text) of a summit's own recorded questions, written to work/raw/<id>.raw
    as the decoder hears them. `folder` holds WAV files (any rate 8-48 kHz, mono or stereo,
    16-bit: read as the kiosk reads an upload) and a `transcription` file in sphinxtrain's
    form, one line per recording: `<s> where is my hotel </s> (q001)` for q001.wav (the <s>
    marks may be left out; case and punctuation are ignored). A recording with a word the
    dictionary cannot pronounce is left out and named; a listed file that is missing or
    unreadable, or a folder with no usable recording, stops with the reason."""
    from recognition.speech.audio import decode_upload
    from recognition.speech.errors import SpeechError
    from recognition.speech.lm import pronunciations
    from recognition.speech.moonshine import plain

    listing = folder / "transcription"
    if not listing.is_file():
        sys.exit(f"{listing} is missing: one line per recording, '<s> words </s> (file id)'")
    known = pronunciations()
    rng = np.random.default_rng(SEED)
    (work / "raw").mkdir(parents=True, exist_ok=True)
    out = []
    for number, line in enumerate(listing.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        text, uid = transcription_line(line)
        if not line.rstrip().rpartition("(")[0] or not uid or "/" in uid or uid.startswith("."):
            sys.exit(f"{listing}:{number}: expected '<s> words </s> (file id)'")
        words = plain(text)  # lower case, punctuation dropped, as the kiosk's words
        unknown = [w for w in words.split() if w not in known]
        if not words or unknown:
            print(f"left out {uid}: {'no words' if not words else 'unknown ' + ' '.join(unknown)}")
            continue
        wav = folder / f"{uid}.wav"
        if not wav.is_file():
            sys.exit(f"{listing}:{number}: {wav} is missing")
        try:
            pcm = decode_upload(wav.read_bytes())
        except SpeechError as exc:
            sys.exit(f"{wav}: {exc}")
        (work / "raw" / f"{uid}.raw").write_bytes(heard_pcm(pcm.data, rng))
        out.append((uid, words))
    if not out:
        sys.exit(f"no usable recording in {folder}")
    return out


def run_tool(command: list[str], work: Path) -> str:
    """Run a sphinxtrain program, its output kept in work/<program>.log; stop if it fails."""
    name = Path(command[0]).name
    result = subprocess.run(command, capture_output=True, text=True)
    (work / f"{name}.log").write_text(result.stdout + result.stderr)
    if result.returncode:
        sys.exit(f"{name} failed; see {work / f'{name}.log'}")
    return result.stdout + result.stderr


def build(args: argparse.Namespace) -> None:
    for tool in ("bw", "mllr_solve"):
        if not (TOOLS / tool).exists():
            sys.exit(f"{TOOLS / tool} is missing: apt-get install sphinxtrain sphinxbase-utils")
    from recognition.speech.lm import pronunciations

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="speech-adapt-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    model = prepare_model(work)
    if args.recordings:  # a summit's own recorded questions instead of synthetic ones
        items = recordings(Path(args.recordings), work)
    else:
        items = clips(work, args.per_label, args.conditions.split(","), args.pairs)
    print(f"{len(items)} clips in {time.time() - started:.0f} s", flush=True)
    (work / "fileids").write_text("".join(f"{u}\n" for u, _ in items))
    (work / "transcription").write_text("".join(f"<s> {t} </s> ({u})\n" for u, t in items))
    known = pronunciations()
    words = sorted({w for _, t in items for w in t.split()})
    (work / "dict").write_text("".join(line for w in words for line in known[w]))
    (work / "mfc").mkdir(exist_ok=True)
    fe = ["sphinx_fe", "-argfile", str(model / "feat.params"), "-samprate", "16000"]
    fe += ["-c", str(work / "fileids"), "-di", str(work / "raw"), "-do", str(work / "mfc")]
    fe += ["-ei", "raw", "-eo", "mfc", "-raw", "yes", "-input_endian", "little"]
    fe += ["-remove_noise", "no", "-remove_silence", "no"]  # as PocketSphinx 5's own front end
    subprocess.run(fe, check=True, capture_output=True)
    (work / "acc").mkdir(exist_ok=True)
    bw = [str(TOOLS / "bw"), "-hmmdir", str(model), "-moddeffn", str(model / "mdef.txt")]
    bw += ["-ts2cbfn", ".ptm.", "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38"]
    bw += ["-cmn", "current", "-agc", "none", "-dictfn", str(work / "dict")]
    bw += ["-fdictfn", str(model / "noisedict"), "-ctlfn", str(work / "fileids")]
    bw += ["-lsnfn", str(work / "transcription"), "-cepdir", str(work / "mfc")]
    bw += ["-accumdir", str(work / "acc")]
    failed = run_tool(bw, work).count("Failed to align")  # such clips add nothing
    print(f"bw: {len(items)} clips, {failed} failed to align, {time.time() - started:.0f} s")
    solve = [str(TOOLS / "mllr_solve"), "-meanfn", str(model / "means")]
    solve += ["-varfn", str(model / "variances"), "-outmllrfn", str(out_dir / "mllr_matrix")]
    solve += ["-accumdir", str(work / "acc")]
    run_tool(solve, work)
    print(f"wrote {out_dir / 'mllr_matrix'} ({time.time() - started:.0f} s; work in {work})")
    if args.map:
        adapted = out_dir / "map"
        adapted.mkdir(exist_ok=True)
        for name in ("mdef", "sendump", "transition_matrices", "feat.params", "noisedict"):
            shutil.copy(model_dir() / name, adapted / name)
        mapped = [str(TOOLS / "map_adapt"), "-moddeffn", str(model / "mdef.txt")]
        mapped += ["-ts2cbfn", ".ptm.", "-meanfn", str(model / "means")]
        mapped += ["-varfn", str(model / "variances"), "-mixwfn", str(model / "mixture_weights")]
        mapped += ["-tmatfn", str(model / "transition_matrices"), "-accumdir", str(work / "acc")]
        mapped += ["-mapmeanfn", str(adapted / "means"), "-mapvarfn", str(adapted / "variances")]
        mapped += ["-mapmixwfn", str(work / "map_mixw"), "-maptmatfn", str(work / "map_tmat")]
        run_tool(mapped, work)
        print(f"wrote {adapted} (MAP means and variances; the model's mixture weights)")


def word_errors(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def real_recordings(other: bool, extra: list[list[str]]) -> dict[str, tuple[bytes, list[str]]]:
    """ "set/name" -> (16 kHz mono PCM, reference words) of the recordings `real` decodes."""
    if not TESTDATA.exists():
        sys.exit(f"{TESTDATA} is missing: apt-get install pocketsphinx-testdata")
    out: dict[str, tuple[bytes, list[str]]] = {}
    if other:
        if not SPHINXTRAIN_TEST.exists():
            sys.exit(f"{SPHINXTRAIN_TEST} is missing: apt-get install sphinxtrain")
        for name, path, words in OTHER:
            pcm = path.read_bytes() if path.suffix == ".raw" else read_pcm(path)
            out[f"{name}/{path.stem}"] = (pcm, words.split())
    else:
        for folder, listing in REAL:
            for line in (TESTDATA / folder / listing).read_text().splitlines():
                text, uid = transcription_line(line)
                out[f"{folder}/{uid}"] = (read_pcm(TESTDATA / folder / f"{uid}.wav"), text.split())
    for wav, words in extra:
        out[f"extra/{Path(wav).stem}"] = read_extra(Path(wav), Path(words))
    return out


def read_extra(wav: Path, words: Path) -> tuple[bytes, list[str]]:
    """A recording read as the kiosk reads an upload (16-bit WAV, 8-48 kHz, mono or stereo;
    but no 30 s limit here) as 16 kHz mono PCM, and its transcript's words as the kiosk's
    words (lower case, punctuation dropped); a missing or unreadable file stops with the
    reason."""
    from recognition.speech.audio import read_wav
    from recognition.speech.errors import SpeechError
    from recognition.speech.moonshine import plain

    for path in (wav, words):
        if not path.is_file():
            sys.exit(f"{path} is missing")
    try:
        samples, rate = read_wav(wav.read_bytes())
    except SpeechError as exc:
        sys.exit(f"{wav}: {exc}")
    said = plain(words.read_text(encoding="utf-8")).split()
    if not said:
        sys.exit(f"{words}: no words")
    return resample(samples, rate, RATE).astype("<i2").tobytes(), said


def real(args: argparse.Namespace) -> None:
    import pocketsphinx

    recordings = real_recordings(args.other, args.extra or [])
    adapted = {"mllr": args.mllr} if args.mllr else {"hmm": args.hmm} if args.hmm else {}
    for name, options in (("without", {}), ("with", adapted)):
        if name == "with" and not options:
            continue
        dec = pocketsphinx.Decoder(loglevel="FATAL", **options)
        errors = total = 0
        per: dict[str, list[int]] = {}  # recording set -> [errors, words]
        for uid, (pcm, ref) in sorted(recordings.items()):
            if args.lead:  # a quiet room before the reader speaks, as at a kiosk
                rng = np.random.default_rng(SEED)
                x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
                x = np.concatenate([np.zeros(round(args.lead * 16000)), x])
                x = x + rng.normal(0.0, args.floor, len(x))
                pcm = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
            if args.front:  # as the kiosk's decoder hears it (the transforms are learnt so)
                pcm = heard_pcm(pcm, np.random.default_rng(SEED))
            dec.start_utt()
            dec.process_raw(pcm, full_utt=True)
            dec.end_utt()
            hyp = dec.hyp().hypstr.split() if dec.hyp() else []
            wrong = word_errors(ref, hyp)
            errors, total = errors + wrong, total + len(ref)
            kept = per.setdefault(uid.split("/")[0], [0, 0])
            kept[0], kept[1] = kept[0] + wrong, kept[1] + len(ref)
            print(f"  {name} {uid.split('/')[0]} {uid[-4:]}: {' '.join(hyp)}")
        sets = ", ".join(f"{k} {100 * e / n:.1f}% of {n}" for k, (e, n) in per.items())
        print(
            f"{name} the transform: word error rate {100 * errors / total:.1f}% ({total} words;"
            f" {sets})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", required=True)
    b.add_argument("--work")
    b.add_argument("--per-label", type=int, default=80)
    b.add_argument("--conditions", default=",".join(CONDITIONS))
    b.add_argument("--pairs", action="store_true", help="each sentence clean + one noise")
    b.add_argument("--map", action="store_true", help="also a MAP-adapted model folder")
    b.add_argument("--recordings", help="learn from these recorded questions (see recordings)")
    r = sub.add_parser("real")
    r.add_argument("--mllr", help="a transform (build's mllr_matrix)")
    r.add_argument("--hmm", help="or an adapted model folder (build --map's map)")
    r.add_argument("--front", action="store_true", help="through the served noise front end")
    r.add_argument("--lead", type=float, default=0.0, help="seconds of a quiet room before")
    r.add_argument("--floor", type=float, default=20.0, help="its noise RMS (int16; 20 = -64 dBFS)")
    r.add_argument("--other", action="store_true", help="Debian's other human recordings instead")
    r.add_argument(
        "--extra", nargs=2, action="append", metavar=("WAV", "TEXTFILE"), help="one more recording"
    )
    args = parser.parse_args()
    build(args) if args.command == "build" else real(args)


if __name__ == "__main__":
    main()
