"""Untrusted image bytes -> RGB uint8 array, refusing bombs, truncation and non-images early.

The pixel count is read from the header before any decoding, so a 100-megapixel PNG of a few
kilobytes costs nothing. EXIF orientation is applied; RGBA, palette, greyscale and 16-bit
images become plain 8-bit RGB.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from recognition.face.errors import FaceError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # below Pillow's own bomb limit, so its warning never fires first
MIN_SIDE = 32


def decode_image(
    data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> np.ndarray:
    """Decode an upload to an (h, w, 3) uint8 RGB array or raise a FaceError with its code."""
    if not data:
        raise FaceError("the image is empty (0 bytes)", "invalid_image")
    if len(data) > max_bytes:
        raise FaceError(f"the image is larger than {max_bytes} bytes", "image_too_large", 413)
    try:
        with warnings.catch_warnings():
            # The size check below replaces Pillow's warning with our own clear refusal.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > max_pixels:
                raise FaceError(
                    f"the image has {width}x{height} pixels; at most {max_pixels} are accepted",
                    "image_too_large",
                    413,
                )
            img.load()
            img = ImageOps.exif_transpose(img) or img
    except FaceError:
        raise
    except Image.DecompressionBombError as exc:
        raise FaceError(f"the image has too many pixels: {exc}", "image_too_large", 413) from exc
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
    ) as exc:
        raise FaceError(f"not a readable image ({type(exc).__name__})", "invalid_image") from exc
    if min(img.size) < MIN_SIDE:
        raise FaceError(f"the image is smaller than {MIN_SIDE} pixels on a side", "image_too_small")
    return to_rgb(img)


def to_rgb(img: Image.Image) -> np.ndarray:
    """Any Pillow mode as 8-bit RGB; alpha is composited on white, 16-bit is scaled down."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        grey = np.clip(arr / top * 255.0, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def ensure_rgb_array(rgb: np.ndarray) -> np.ndarray:
    """Check a caller's frame: (h, w, 3) uint8, large enough; greyscale frames are widened."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        raise FaceError("a frame must be a uint8 numpy array", "invalid_image")
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    if rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise FaceError("a frame must have shape (h, w, 3)", "invalid_image")
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise FaceError(f"the frame is smaller than {MIN_SIDE} pixels on a side", "image_too_small")
    return np.ascontiguousarray(rgb[:, :, :3])
