"""One decision per person in front of a camera: follow them until they leave the frame.

After a camera decides (by face or by code), the person it decided for is a *presence*: each
later frame is only searched for faces (no identification; around the followed face, the whole
frame only when it is not there) and for the entrance QR code that was decided. While the
decided face is still in view (at about the same place, as the face stream tracks it) or the
same code is still shown, the presence goes on and no new decision is made: a delegate who
stays in front of the gate after being let in is not refused a moment later for
anti-passback, and a photo held up is refused once, not every few seconds. The
presence ends when neither has been seen for `LOST_FRAMES` frames and `LOST_SECONDS`, or after
`MAX_SECONDS` in any case; the next person then gets a fresh stream.

A decision by typed code has no face yet: the presence adopts the main face seen within
`ADOPT_SECONDS` (the person who typed it), or ends when there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from recognition.face.engine import LIVE, DetectOptions, Face, main_face, near_region
from recognition.face.stream import STEP

LOST_FRAMES = 3
LOST_SECONDS = 0.75
ADOPT_SECONDS = 6.0
MAX_SECONDS = 120.0
REACH = STEP  # face widths the followed face may move between two frames, as a stream tracks


@dataclass
class Presence:
    """The person a camera last decided for, as long as they stay in view."""

    started: float  # server monotonic seconds
    face: Face | None = None
    code: str | None = None
    last_seen: float = 0.0
    missing: int = 0

    def __post_init__(self) -> None:
        self.last_seen = self.started

    def search(self) -> DetectOptions:
        """Where the next frame is searched: around the followed face (the detector searches
        the whole frame when nothing is there), or the whole frame while there is none."""
        if self.face is None:
            return LIVE
        return replace(LIVE, near=near_region(self.face.box, REACH))

    def sees(self, faces: list[Face], code: str | None, now: float) -> bool:
        """Update with one frame's faces and code; False once the person has left."""
        if now - self.started > MAX_SECONDS:
            return False
        seen = code is not None and code == self.code
        near = [f for f in faces if self.face is not None and same_place(f, self.face)]
        if near:
            self.face, seen = max(near, key=lambda f: f.width), True
        elif self.face is None and now - self.started <= ADOPT_SECONDS:
            adopted = main_face(faces)
            if adopted is not None:
                self.face, seen = adopted, True
        if seen:
            self.last_seen, self.missing = now, 0
            return True
        self.missing += 1
        return self.missing < LOST_FRAMES or now - self.last_seen < LOST_SECONDS


def same_place(a: Face, b: Face) -> bool:
    """Whether two face boxes are about where one moving face would be (as the stream tracks)."""
    ax, ay = (a.box[0] + a.box[2]) / 2, (a.box[1] + a.box[3]) / 2
    bx, by = (b.box[0] + b.box[2]) / 2, (b.box[1] + b.box[3]) / 2
    return float(np.hypot(ax - bx, ay - by)) < REACH * max(a.width, b.width)
