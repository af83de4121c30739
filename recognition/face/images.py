"""Untrusted image bytes -> RGB uint8 array, refusing bombs, truncation and non-images early.

Everything that decides the cost of decoding is read from the header first (Pillow's `open` is
lazy): the format, the pixel count, the mode (which carries the bit depth) and the frame count.
A 100-megapixel PNG of a few kilobytes, an animation or a CMYK scan is refused before a single
pixel is decoded. Accepted images become 8-bit early, with integer arithmetic, so decoding never
costs more than about 8 bytes per pixel: at the default cap of 12 megapixels, under 100 MB.
EXIF orientation is applied; RGBA, palette, greyscale and 16-bit images become plain 8-bit RGB.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from recognition.face.errors import FaceError

MAX_BYTES = 8 * 1024 * 1024
# A 12-megapixel phone photo is the largest a face photo needs to be; well below Pillow's own
# bomb limit (89 M), so its warning never fires first. Config.max_image_pixels can lower it.
MAX_PIXELS = 12_000_000
MIN_SIDE = 32
# Formats a camera or phone produces; the others (EPS runs Ghostscript, PSD, ICO, ...) are refused.
FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")
# Modes a photo of a face comes in; 16-bit greyscale is accepted and scaled down early.
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I")
MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", *SIXTEEN_BIT)


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
            # The header checks replace Pillow's warning with our own clear refusal.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data), formats=FORMATS)
            check_header(img, max_pixels)
            img.load()
            img = ImageOps.exif_transpose(img) or img
    except FaceError:
        raise
    except Image.DecompressionBombError as exc:
        raise FaceError(f"the image has too many pixels: {exc}", "image_too_large", 413) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise FaceError(f"not a readable image ({type(exc).__name__})", "invalid_image") from exc
    if min(img.size) < MIN_SIDE:
        raise FaceError(f"the image is smaller than {MIN_SIDE} pixels on a side", "image_too_small")
    return to_rgb(img)


def check_header(img: Image.Image, max_pixels: int) -> None:
    """Refuse, from the header alone, images too large, animated or in a mode we do not need."""
    width, height = img.size
    if width * height > max_pixels:
        raise FaceError(
            f"the image has {width}x{height} pixels; at most {max_pixels} are accepted",
            "image_too_large",
            413,
        )
    if img.mode not in MODES:
        raise FaceError(
            f"{img.mode} images are not accepted; send an RGB or greyscale photo",
            "unsupported_image",
        )
    if getattr(img, "is_animated", False) or getattr(img, "n_frames", 1) > 1:
        raise FaceError("send a single still photo, not an animation", "unsupported_image")


def to_rgb(img: Image.Image) -> np.ndarray:
    """Any accepted mode as 8-bit RGB; alpha is composited on white, 16-bit is scaled down."""
    if img.mode in SIXTEEN_BIT:
        return _grey_to_rgb(_sixteen_to_eight(img))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    if img.mode != "RGB":
        img = img.convert("RGB")  # converting an RGB image would copy it for nothing
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


def _sixteen_to_eight(img: Image.Image) -> np.ndarray:
    """16-bit greyscale to 8 bits by dropping the low byte, in integers (never a float copy)."""
    arr: np.ndarray = np.asarray(img)
    if img.mode == "I":
        shift = 0 if int(arr.max(initial=0)) <= 255 else 8  # 8-bit values stored in 32 bits
        arr = np.clip(arr, 0, 255 << shift) >> shift
    else:
        arr = arr >> 8
    return arr.astype(np.uint8)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    rgb = np.empty((*grey.shape, 3), dtype=np.uint8)
    rgb[...] = grey[..., None]
    return rgb


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
