#!/usr/bin/env python3
"""Experiment, not served: an open-vocabulary neural recogniser (Moonshine tiny) on the held-out
questions, its words read by the served classifier as a typed question.

    npm pack @moonshine-ai/moonshine-js@0.1.29 && tar xzf moonshine-ai-moonshine-js-0.1.29.tgz
    pip download --no-deps useful-moonshine-onnx==20251121
    unzip useful_moonshine_onnx-*.whl -d mo
    pip install --target lib tokenizers
    .venv/bin/python benchmarks/speech_moonshine.py --models package/dist/model/tiny/quantized \\
        --code mo --lib lib [--set eval|dev] [--voice neural|espeak]

Moonshine tiny (Useful Sensors, MIT) is a 27M-parameter encoder-decoder trained on recorded
speech; the npm package ships it quantized (ONNX), run here with onnxruntime on one thread
(greedy decoding, as useful-moonshine-onnx does; its tokenizer.json). Nothing of it is in the
served system or the requirements. Audio as speech_bench.py makes it (the same questions,
voices and babble); right / direct / wrong / off-topic as there, with no word confidence (the
served rule for typed text), so every misheard question the classifier is sure of is answered;
`--gate` gives the served rule Moonshine's mean token probability as the word confidence (the
rule is PocketSphinx's, p x sqrt(confidence) >= 0.7, not chosen for this recogniser).
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

from benchmarks.speech_bench import DEV, EVAL, WORDS, Item, load_set, same  # noqa: E402
from recognition.speech.synth import babble, mix_noise, read_pcm, speak, speak_neural  # noqa: E402


def generate(model: Any, audio: np.ndarray, max_len: int = 192) -> tuple[list[int], float]:
    """Greedy decoding as useful-moonshine-onnx's MoonshineOnnxModel.generate, also returning
    the mean probability of the chosen tokens (the end token included): a word confidence."""
    mask = np.ones_like(audio, dtype=np.int64)
    encoder_in: dict[str, Any] = {"input_values": audio}
    if "attention_mask" in model.encoder_input_names:
        encoder_in["attention_mask"] = mask
    hidden = model.encoder.run(None, encoder_in)[0]
    shape = (0, model.num_key_value_heads, 1, model.head_dim)
    past = {
        f"past_key_values.{i}.{a}.{b}": np.zeros(shape, dtype=np.float32)
        for i in range(model.num_layers)
        for a in ("decoder", "encoder")
        for b in ("key", "value")
    }
    tokens, probs, ids = [model.decoder_start_token_id], [], [[model.decoder_start_token_id]]
    for i in range(max_len):
        inputs = {"input_ids": ids, "encoder_hidden_states": hidden, "use_cache_branch": [i > 0]}
        if "encoder_attention_mask" in model.decoder_input_names:
            inputs["encoder_attention_mask"] = mask
        logits, *present = model.decoder.run(None, {**inputs, **past})
        row = logits[0, -1].astype(np.float64)
        p = np.exp(row - row.max())
        token = int(row.argmax())
        probs.append(float(p[token] / p.sum()))
        tokens.append(token)
        if token == model.eos_token_id:
            break
        ids = [[token]]
        for key, value in zip(past, present, strict=True):
            if i == 0 or "decoder" in key:
                past[key] = value
    return tokens, float(np.mean(probs))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--models", required=True, help="folder with the two .onnx files")
    parser.add_argument("--code", required=True, help="unpacked useful-moonshine-onnx wheel")
    parser.add_argument("--lib", help="folder with the tokenizers package, if not installed")
    parser.add_argument("--set", default="eval", choices=("eval", "dev"))
    parser.add_argument("--voice", default="neural", choices=("neural", "espeak"))
    parser.add_argument(
        "--gate", action="store_true", help="the served rule with its mean token probability"
    )
    args = parser.parse_args()
    sys.path.insert(0, args.code)
    if args.lib:
        sys.path.append(args.lib)
    from moonshine_onnx.model import MoonshineOnnxModel  # type: ignore[import-not-found]
    from tokenizers import Tokenizer  # type: ignore[import-not-found]

    from recognition.speech.understand import understand

    model = MoonshineOnnxModel(models_dir=args.models, model_name="tiny")
    tokenizer = Tokenizer.from_file(f"{args.code}/moonshine_onnx/assets/tokenizer.json")
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
                x = np.frombuffer(read_pcm(path), dtype="<i2").astype(np.float32)[None, :] / 32768
                start = time.process_time()
                tokens, sure = generate(model, x)
                cpu += time.process_time() - start
                seconds += x.shape[1] / 16000
                said = tokenizer.decode(tokens, skip_special_tokens=True).lower()
                text = " ".join("".join(c for c in said if c.isalnum() or c in " '").split())
                heard = sure if args.gate else 1.0
                rows.append((item, understand(text, "en", WORDS, heard), text))
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
