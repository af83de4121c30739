"""Untrusted uploads: every bad shape gets its own code, every odd-but-valid format decodes."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from recognition.face.errors import FaceError
from recognition.face.images import decode_image, ensure_rgb_array


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def bomb_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A tiny PNG whose header claims 100 megapixels (its IHDR rewritten, CRC fixed)."""
    raw = bytearray(png_bytes(Image.new("L", (64, 64))))
    ihdr = struct.pack(">II", width, height) + bytes(raw[24:29])
    raw[16:29] = ihdr
    raw[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(raw)


def code_of(data: bytes) -> str:
    with pytest.raises(FaceError) as err:
        decode_image(data)
    return err.value.code


def test_empty_upload_is_invalid_image() -> None:
    assert code_of(b"") == "invalid_image"


def test_text_is_not_an_image() -> None:
    assert code_of(b"hello, I am not a picture" * 10) == "invalid_image"


def test_truncated_jpeg_is_refused() -> None:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (200, 200, 3), np.uint8)).save(
        buf, format="JPEG"
    )
    assert code_of(buf.getvalue()[: len(buf.getvalue()) // 2]) == "invalid_image"


def test_hundred_megapixel_bomb_is_refused_from_its_header() -> None:
    data = bomb_png()
    assert len(data) < 2000
    with pytest.raises(FaceError) as err:
        decode_image(data)
    assert err.value.code == "image_too_large" and err.value.status == 413


def test_sixteen_bit_greyscale_png_becomes_8_bit_rgb() -> None:
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)
    rgb = decode_image(png_bytes(Image.fromarray(ramp)))
    assert rgb.dtype == np.uint8 and rgb.shape == (64, 64, 3)
    assert rgb[-1, -1, 0] > 200 > rgb[0, 0, 0]


def test_rgba_is_composited_on_white() -> None:
    img = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    rgb = decode_image(png_bytes(img))
    assert rgb.shape == (40, 40, 3) and tuple(rgb[0, 0]) == (255, 255, 255)


def test_greyscale_jpeg_gets_three_channels() -> None:
    buf = io.BytesIO()
    Image.new("L", (50, 40), 128).save(buf, format="JPEG")
    assert decode_image(buf.getvalue()).shape == (40, 50, 3)


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (80, 40), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    assert decode_image(buf.getvalue()).shape == (80, 40, 3)


def test_frames_must_be_uint8_arrays() -> None:
    with pytest.raises(FaceError):
        ensure_rgb_array(np.zeros((100, 100, 3), dtype=np.float32))
    assert ensure_rgb_array(np.zeros((100, 100), dtype=np.uint8)).shape == (100, 100, 3)
