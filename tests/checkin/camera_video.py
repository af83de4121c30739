"""Fake camera footage for Chromium, made with OpenCV from real photos (Y4M, 4:2:0)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_y4m(
    target: Path, photo: Path, frames: int = 40, size: tuple[int, int] = (640, 480), fps: int = 10
) -> Path:
    """A clip of `photo` centred on a grey background with sensor noise that changes per frame."""
    width, height = size
    bgr = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    assert bgr is not None, photo
    scale = min(width / bgr.shape[1], height / bgr.shape[0]) * 0.9
    face = cv2.resize(
        bgr, (int(bgr.shape[1] * scale), int(bgr.shape[0] * scale)), interpolation=cv2.INTER_AREA
    )
    canvas = np.full((height, width, 3), 110, np.uint8)
    top, left = (height - face.shape[0]) // 2, (width - face.shape[1]) // 2
    canvas[top : top + face.shape[0], left : left + face.shape[1]] = face
    rng = np.random.default_rng(1)
    with target.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            noisy = np.clip(
                canvas.astype(np.int16) + rng.integers(-3, 4, canvas.shape), 0, 255
            ).astype(np.uint8)
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(noisy, cv2.COLOR_BGR2YUV_I420).tobytes())
    return target
