"""Held and turned photos against the liveness checks: how often does a still photo pass?

    .venv/bin/python benchmarks/liveness_photos.py [--seeds 2,3] [--parts 2 --part 0]
        [--detector hog]

For the first photo of every person in ../shared/data/faces_ea/people and
../shared/data/faces/enroll, letter-boxed into a 640x480 frame, 30 frames at 10 a second of the
photo held up to the camera (shake, tilt, zoom, light, sensor noise) and of the photo turned
about its vertical axis (up to about 40 degrees), as `tests/face/test_stream.py` makes them.
Each frame is searched whole (as liveness frames are) and its main face fed to:
- the old default: blink or head turn, a turn seen on one frame enough;
- the default: the head turn, held on `LivenessConfig.turn_frames` frames in a row.
A head turn is counted per asked direction (left and right: a kiosk asks one at random).
Seeds 0 and 1 were used to choose the settings (docs/face.md); report on others.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition.face.engine import DETECTORS, LIVE, Engine, main_face, yaw_ratio  # noqa: E402
from recognition.face.liveness import (  # noqa: E402
    BlinkDetector,
    LivenessConfig,
    TurnChallenge,
    eye_aspect_ratio,
)
from tests.face.conftest import frame_640  # noqa: E402
from tests.face.test_stream import held_photo, turned_photo  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def people() -> list[Path]:
    dirs = sorted((SHARED / "faces_ea" / "people").iterdir())
    dirs += sorted((SHARED / "faces" / "enroll").iterdir())
    return [sorted(d.iterdir())[0] for d in dirs if d.is_dir()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="2,3")
    ap.add_argument("--parts", type=int, default=1)
    ap.add_argument("--part", type=int, default=0)
    ap.add_argument(
        "--detector", choices=DETECTORS, default=None, help="camera-frame detector (FACE_DETECTOR)"
    )
    args = ap.parse_args()
    engine = Engine(engine_name="mobilefacenet", detector=args.detector)
    print(f"detector: {engine.live_detector}")
    old_turn = LivenessConfig(turn_frames=1)
    counts = {"sequences": 0, "east_asian": 0, "blink": 0, "old": 0, "new": 0}
    for photo in people()[args.part :: args.parts]:
        base = frame_640(np.asarray(Image.open(photo).convert("RGB")))
        for seed in (int(s) for s in args.seeds.split(",")):
            for kind in ("held", "turned"):
                rng = np.random.default_rng(seed)
                clip = [
                    held_photo(base, rng) if kind == "held" else turned_photo(base, rng, k, 30)
                    for k in range(30)
                ]
                blink = BlinkDetector()
                turns = {
                    (d, rule): TurnChallenge(d, cfg)
                    for d in ("left", "right")
                    for rule, cfg in (("old", old_turn), ("new", LivenessConfig()))
                }
                for i, frame in enumerate(clip):
                    face = main_face(engine.detect(frame, LIVE))
                    if face is None:
                        continue
                    blink.feed(eye_aspect_ratio(face.landmarks), i / 10)
                    for turn in turns.values():
                        turn.feed(yaw_ratio(face.landmarks))
                counts["sequences"] += 1
                counts["east_asian"] += photo.parent.name[:3] in ("ko_", "ja_", "zh_")
                counts["blink"] += blink.passed
                for d in ("left", "right"):
                    counts["old"] += blink.passed or turns[(d, "old")].passed
                    counts["new"] += turns[(d, "new")].passed
            print(photo.parent.name, counts, flush=True)
    n = counts["sequences"]
    print(
        f"\n{n} sequences ({counts['east_asian']} East Asian), seeds {args.seeds}: "
        f"blink passed {counts['blink']}; old default passed {counts['old']} of {2 * n} "
        f"asked directions; default (turn on {LivenessConfig().turn_frames} frames) passed "
        f"{counts['new']} of {2 * n}"
    )


if __name__ == "__main__":
    main()
