"""A kiosk camera stream: track one face across frames, decide when several frames agree.

One frame can be unlucky (motion blur, a half-turned head), so a single frame never decides.
A `match` needs `agree` consecutive frames naming the same attendee; `unknown` / `ambiguous`
come after `give_up` frames and `give_up_after` seconds without such agreement.

Multi-frame fusion: the tracked face's vectors are kept, and a decision is taken on their
mean as well as on single frames. Agreeing frames are confirmed by their fused vector (it
must name the same person), and when single frames stay unknown or ambiguous, the fused vector
of the last frames may still name one person clearly (a mean of several frames is steadier
than any one of them); it passes the same thresholds and margin as a single frame.

When liveness is required, a match is only released after the randomised head turn asked of
the person, held on two frames in a row (see `challenge`; `liveness_check` may instead pick a
blink, or either). A face that has not done so within `liveness_timeout` seconds, or a feed of
repeated identical frames, ends as `spoof_suspected`.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from recognition.face.decision import Identification
from recognition.face.embedders import EngineInfo
from recognition.face.engine import (
    LIVE,
    DetectOptions,
    Engine,
    Face,
    main_face,
    near_region,
    yaw_ratio,
)
from recognition.face.enrolment import combine
from recognition.face.frame import FrameAnalysis
from recognition.face.images import ensure_rgb_array
from recognition.face.liveness import (
    BlinkDetector,
    RepeatDetector,
    TurnChallenge,
    eye_aspect_ratio,
)


class Identifier(Protocol):
    """What a stream needs of the face service: frame analysis and the open-set decision."""

    engine: Engine
    engine_name: str
    info: EngineInfo

    def analyse(self, rgb: np.ndarray, engine_name: str, *a: object) -> FrameAnalysis: ...

    def decide(
        self, analysis: FrameAnalysis, candidates: Collection[int] | None
    ) -> Identification: ...

    def match_vector(
        self, vector: np.ndarray, candidates: Collection[int] | None, quality: dict[str, float]
    ) -> Identification: ...


@dataclass(frozen=True)
class StreamDecision:
    """The stream's conclusion for one person in front of the camera."""

    identification: Identification
    liveness: str  # passed | failed | not_required
    frames: int

    def to_dict(self) -> dict[str, object]:
        return {**self.identification.to_dict(), "liveness": self.liveness, "frames": self.frames}


@dataclass(frozen=True)
class StreamConfig:
    agree: int = 3
    give_up: int = 8  # frames without agreement before answering unknown/ambiguous ...
    give_up_after: float = 1.0  # ... and seconds: a 30 fps camera must not decide in 0.3 s
    lost_after: int = 5  # frames without the tracked face before the track is dropped
    liveness_timeout: float = 6.0
    # turn | blink | blink_or_turn. The head turn by default: the blink check passed held
    # photos (docs/face.md, "Liveness measured on held photos") and has no real blink to be
    # tested on.
    liveness_check: str = "turn"
    turn_direction: str | None = None  # None: chosen at random per person


class FaceStream:
    """Feed frames in time order; returns None while collecting, then one StreamDecision."""

    def __init__(
        self,
        service: Identifier,
        liveness: bool,
        candidates: Collection[int] | None,
        config: StreamConfig,
    ) -> None:
        self.service, self.liveness, self.cfg = service, liveness, config
        self.candidates = None if candidates is None else frozenset(candidates)
        self.repeats = RepeatDetector()
        self._reset()

    @property
    def challenge(self) -> str | None:
        """What the kiosk should ask of the person: "blink", "turn_left" or "turn_right"."""
        if not self.liveness:
            return None
        if self.cfg.liveness_check == "blink":
            return "blink"
        return f"turn_{self.turn.direction}"

    def _live(self) -> bool:
        check = self.cfg.liveness_check
        blink_ok = self.blink.passed and check in ("blink", "blink_or_turn")
        return blink_ok or (self.turn.passed and check in ("turn", "blink_or_turn"))

    def _reset(self) -> None:
        self.results: list[Identification] = []
        self.vectors: list[np.ndarray] = []
        self.blink = BlinkDetector()
        self.turn = TurnChallenge(self.cfg.turn_direction or secrets.choice(("left", "right")))
        self.track: Face | None = None
        self.track_t = 0.0  # when the tracked face was last seen
        self.started: float | None = None
        self.missing = 0
        self.searched = 0  # frames since the last whole-frame search
        self.whole = True  # whether the current frame was searched whole

    def feed(self, rgb: np.ndarray, t: float) -> StreamDecision | None:
        """Process one frame taken at time t (seconds)."""
        rgb = ensure_rgb_array(rgb)
        if self.liveness and self.repeats.feed(rgb):
            return self._finish(Identification("spoof_suspected"), "failed")
        reach = _reach(t - self.track_t)
        analysis = self.service.analyse(rgb, self.service.engine_name, self._where(reach), "main")
        ident = self.service.decide(analysis, self.candidates)
        faces = [f.face for f in analysis.faces]
        face = _tracked(faces, self.track, reach)
        if face is None:
            self.missing += 1
            if self.missing >= self.cfg.lost_after:
                self._reset()
            return self._conclude_crowd(ident)
        if self.track is not None and (
            not _same_place(face, self.track, reach) or self._someone_else(ident)
        ):
            self._reset()  # someone else stepped in: start over
        self.track, self.track_t, self.missing = face, t, 0
        self.started = t if self.started is None else self.started
        if self.liveness:
            self.blink.feed(eye_aspect_ratio(face.landmarks), t)
            self.turn.feed(yaw_ratio(face.landmarks))
        self.results.append(ident)
        main = analysis.main_face
        if main is not None and main.face == face and main.embedding is not None:
            self.vectors.append(main.embedding)
        return self._conclude(t)

    def _where(self, reach: float) -> DetectOptions:
        """Where to search this frame: around the tracked face, or the whole frame.

        Searching only where the tracked face can have moved costs about a third of a whole
        frame's detection, but cannot see a second person who steps into view elsewhere, and
        its boxes differ from a whole-frame search's by a few pixels (HOG's coarser pyramid
        levels sample the region on another grid), which moves the landmarks the liveness
        checks read. So the whole frame is searched when no face is tracked, while liveness
        is required and not yet shown (blink and head turn are judged on whole-frame searches
        only, as before), every `FULL_EVERY`-th frame, and whenever this frame could release a
        match (the frames before it agree): a match is only ever released on a whole-frame
        search (`_conclude` holds it otherwise), where a crowd in view answers
        `multiple_faces` exactly as without tracking.

        All of this is for dlib's HOG detector: with BlazeFace (the default where installed)
        every frame is searched whole, since a whole frame costs it about 5 ms.
        """
        if self.service.engine.live_detector != "hog":
            self.whole = True
            return LIVE
        self.searched += 1
        pending = self.liveness and not self._live()
        could_release = self._agreeing(self.cfg.agree - 1)
        self.whole = self.track is None or pending or self.searched >= FULL_EVERY or could_release
        if self.whole:
            self.searched = 0
            return LIVE
        assert self.track is not None
        return replace(LIVE, near=near_region(self.track.box, reach))

    def _agreeing(self, frames: int) -> bool:
        """The last `frames` frames of the track all name the same attendee."""
        recent = self.results[-frames:] if frames > 0 else []
        return len(recent) == frames and all(
            r.decision == "match" and r.attendee_id == recent[0].attendee_id for r in recent
        )

    def _someone_else(self, ident: Identification) -> bool:
        """This frame names another attendee than the track's last match: not the same face."""
        named = [r.attendee_id for r in self.results if r.decision == "match"]
        return ident.decision == "match" and bool(named) and ident.attendee_id != named[-1]

    def _fused(self, frames: int) -> Identification | None:
        """The decision on the mean of the tracked face's last vectors (None: too few)."""
        vectors = self.vectors[-frames:]
        if len(vectors) < self.cfg.agree:
            return None
        fused = combine(vectors, unit=self.service.info.name != "dlib")
        return self.service.match_vector(fused, self.candidates, self.results[-1].quality)

    def _conclude(self, t: float) -> StreamDecision | None:
        recent = self.results[-self.cfg.agree :]
        agreed = self._agreeing(self.cfg.agree)
        if agreed:
            fused = self._fused(self.cfg.agree)
            if fused is not None and fused.attendee_id == recent[0].attendee_id:
                recent = [*recent[:-1], fused]  # the agreeing frames' fused vector decides
            elif fused is not None:
                agreed = False  # frames agree but their mean does not: keep looking
        elif len(self.results) >= self.cfg.give_up:
            fused = self._fused(self.cfg.give_up)
            if fused is not None and fused.decision == "match":
                recent, agreed = [fused], True
        if self.results[-1].decision == "multiple_faces":
            agreed = False  # a crowd in view (seen on a whole-frame search) releases no match
        timed_out = self.started is not None and t - self.started > self.cfg.liveness_timeout
        if agreed and (not self.liveness or self._live()) and not self.whole:
            return None  # released on a whole-frame search only: the next frame is one
        if agreed and not self.liveness:
            return self._finish(recent[-1], "not_required")
        if agreed and self._live():
            return self._finish(recent[-1], "passed")
        if self.liveness and timed_out and not self._live():
            return self._finish(
                Identification("spoof_suspected", quality=recent[-1].quality), "failed"
            )
        long_enough = self.started is not None and t - self.started >= self.cfg.give_up_after
        if len(self.results) >= self.cfg.give_up and long_enough and not agreed:
            window = [r for r in self.results[-self.cfg.give_up :] if r.decision != "match"]
            decision = (
                Counter(r.decision for r in window).most_common(1)[0][0] if window else "ambiguous"
            )
            return self._finish(
                Identification(decision, quality=self.results[-1].quality), self._liveness_word()
            )
        return None

    def _conclude_crowd(self, ident: Identification) -> StreamDecision | None:
        if ident.decision != "multiple_faces":
            return None
        self.results.append(ident)
        crowded = self.results[-self.cfg.agree :]
        if len(crowded) == self.cfg.agree and all(r.decision == "multiple_faces" for r in crowded):
            return self._finish(ident, self._liveness_word())
        return None

    def _liveness_word(self) -> str:
        if not self.liveness:
            return "not_required"
        return "passed" if self._live() else "failed"

    def _finish(self, ident: Identification, liveness: str) -> StreamDecision:
        frames = max(len(self.results), 1)
        self._reset()
        self.repeats = RepeatDetector()
        return StreamDecision(ident, liveness, frames)


FULL_EVERY = 3  # every third frame of a track is searched whole (see FaceStream._where)
FRAME_GAP = 0.25  # seconds between frames the page sends when the server keeps up
# Face widths a face may move between two such frames and still be the same one. The demo
# clip's head turn moves the box centre by up to 0.64-0.71 widths in 250 ms (both detectors);
# 0.6 was enough with HOG's boxes, which are 14% wider than BlazeFace's on that clip's small
# faces, and lost the person mid-turn with BlazeFace (a new track and prompt; capacity.py).
STEP = 0.75
MAX_REACH = 1.5  # face widths, however long the gap (a longer gap is a lost face)


def _reach(gap: float) -> float:
    """How far (in face widths) the tracked face may have moved in `gap` seconds.

    A person turning their head, or stepping closer, moves the face's box; when frames come
    further apart (a slow phone, a busy server) the same motion is a larger jump between two
    frames, and a fixed bound lost the person mid-turn (a new track, a new random prompt).
    """
    return min(MAX_REACH, STEP * max(1.0, gap / FRAME_GAP))


def _tracked(faces: list[Face], track: Face | None, reach: float = STEP) -> Face | None:
    """The face to follow: the tracked one if still in view, else the largest single face."""
    if not faces:
        return None
    if track is not None:
        near = [f for f in faces if _same_place(f, track, reach)]
        if near:
            return max(near, key=lambda f: f.width)

    return main_face(faces)


def _same_place(a: Face, b: Face, reach: float = STEP) -> bool:
    ax, ay = (a.box[0] + a.box[2]) / 2, (a.box[1] + a.box[3]) / 2
    bx, by = (b.box[0] + b.box[2]) / 2, (b.box[1] + b.box[3]) / 2
    return float(np.hypot(ax - bx, ay - by)) < reach * max(a.width, b.width)
