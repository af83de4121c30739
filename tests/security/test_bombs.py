"""Uploads and imports that would cost too much are refused early, in bounded time and memory.

Each bomb is built in tmp_path and fed to the real decoder or importer in a fresh Python
process, which reports the code it got, the CPU seconds and the growth of its peak resident
memory; the bounds are generous (several times what the fixed code needs) yet far below what
the old code spent (a 16-bit PNG cost 1 GB; an XLSX of 300k rows 17 s of CPU).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from openpyxl import Workbook
from PIL import Image

from checkin.importer import MAX_ROWS, read_rows
from core.config import PROJECT_ROOT
from core.errors import ValidationError
from core.runtime import Runtime
from recognition.face.errors import FaceError
from recognition.face.images import decode_image
from tests.conftest import Caller, device_caller, login_as
from tests.face.test_images import bomb_png
from tests.foundation.test_import import HEADER, count, good_rows, upload

MEASURE = """
import json, sys, time
from {module} import {function} as run
from core.errors import SummitError


def status(field):
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0])


data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # Linux: reset this process's peak resident size to what it uses now
before = status("VmRSS")
start = time.process_time()
try:
    run({args})
    code = "ok"
except SummitError as exc:
    code = exc.code
cpu = time.process_time() - start
print(json.dumps({{"code": code, "cpu": cpu, "peak_mb": (status("VmHWM") - before) / 1024}}))
"""


def measure(path: Path, module: str, function: str, args: str) -> dict[str, float | str]:
    """Run `function(args)` on the file's bytes in a fresh process: its code, CPU s, peak MB."""
    script = MEASURE.format(module=module, function=function, args=args)
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, float | str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def decoding(path: Path) -> dict[str, float | str]:
    return measure(path, "recognition.face.images", "decode_image", "data, max_bytes=1 << 30")


def importing(path: Path) -> dict[str, float | str]:
    return measure(path, "checkin.importer", "read_rows", f"{path.name!r}, data")


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# -- images ---------------------------------------------------------------------------------


def test_a_16_bit_png_of_6300_squared_pixels_is_refused_from_its_header(tmp_path: Path) -> None:
    grey = np.zeros((6300, 6300), np.uint16)
    grey[::7] = 40_000
    path = tmp_path / "grey16.png"
    path.write_bytes(png(Image.fromarray(grey)))
    assert path.stat().st_size < 120_000  # a small upload that once cost 1 GB to decode
    got = decoding(path)
    assert got["code"] == "image_too_large", got
    assert float(got["peak_mb"]) < 20 and float(got["cpu"]) < 0.5, got


def test_the_largest_accepted_16_bit_png_decodes_in_integers_within_150_mb(
    tmp_path: Path,
) -> None:
    ramp = (np.indices((3400, 3400)).sum(axis=0) * 9).astype(np.uint16)  # 11.6 M pixels
    path = tmp_path / "ramp16.png"
    path.write_bytes(png(Image.fromarray(ramp)))
    got = decoding(path)
    # 8-bit RGB of 11.6 M pixels is 35 MB itself; the old float64 path needed about 500 MB.
    assert got["code"] == "ok" and float(got["peak_mb"]) < 150, got


def test_the_pixel_cap_is_12_megapixels_read_from_the_header() -> None:
    with pytest.raises(FaceError) as err:
        decode_image(bomb_png(4000, 3001))
    assert err.value.code == "image_too_large" and err.value.status == 413
    with pytest.raises(FaceError) as err:
        decode_image(bomb_png(4000, 3000))  # passes the header; its pixel data is short
    assert err.value.code == "invalid_image"


def _animated_gif() -> bytes:
    frames = [Image.new("L", (64, 64), shade) for shade in (0, 128, 255)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def _animated_png() -> bytes:
    frames = [Image.new("RGB", (64, 64), (shade, 0, 0)) for shade in (0, 255)]
    buf = io.BytesIO()
    frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def _cmyk_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("CMYK", (64, 64), (0, 50, 100, 0)).save(buf, format="JPEG")
    return buf.getvalue()


def _float_tiff() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ones((64, 64), np.float32)).save(buf, format="TIFF")
    return buf.getvalue()


def _icon() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buf, format="ICO", sizes=[(64, 64)])
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (_animated_gif, "unsupported_image"),
        (_animated_png, "unsupported_image"),
        (_cmyk_jpeg, "unsupported_image"),
        (_float_tiff, "unsupported_image"),
        (_icon, "invalid_image"),  # not a format a camera produces
    ],
)
def test_animations_odd_modes_and_odd_formats_are_refused_before_decoding(
    make: object, code: str
) -> None:
    assert callable(make)
    with pytest.raises(FaceError) as err:
        decode_image(make())
    assert err.value.code == code


# -- rate limits per device -----------------------------------------------------------------


def _one_call_a_minute(app: Flask) -> None:
    app.config["RATE_LIMIT_FACTOR"] = 1e-6  # every limited route allows one call, then 429


def test_every_route_that_decodes_an_image_or_audio_is_rate_limited(
    app: Flask, runtime: Runtime
) -> None:
    _one_call_a_minute(app)
    staff = login_as(app, runtime, "staff")
    calls: list[tuple[Caller, str, dict[str, object]]] = [
        (device_caller(app, runtime, "gate", "g"), "/api/gates/1/pass", {"json": {}}),
        (device_caller(app, runtime, "kiosk", "k"), "/api/recognition/identify", {"data": {}}),
        (device_caller(app, runtime, "kiosk", "s"), "/api/speech/query", {"data": b""}),
        (device_caller(app, runtime, "hotel_desk", "h"), "/api/hotel/kiosk/identify", {}),
        (staff, "/api/attendees/1/faces", {"data": {}}),
        (staff, "/api/attendees/import", {"data": {}}),
    ]
    for caller, url, kw in calls:
        first, second = caller.post(url, **kw), caller.post(url, **kw)
        assert first.status_code != 429, (url, first.json)
        assert (second.status_code, second.json["error"]) == (429, "rate_limited"), url


def test_boarding_by_photo_is_rate_limited_per_driver_phone(app: Flask, runtime: Runtime) -> None:
    from models.db import transaction
    from tests.transport.helpers import make_driver

    _one_call_a_minute(app)
    with transaction(runtime.sessions) as db:
        driver_id = make_driver(db).id
    phone = device_caller(app, runtime, "driver", "phone", driver_id=driver_id)
    body = {"json": {"attendee_id": 1, "method": "face", "photo": "AAAA"}}
    assert phone.post("/api/driver/trips/1/board", **body).status_code != 429
    assert phone.post("/api/driver/trips/1/board", **body).json["error"] == "rate_limited"


def test_limits_count_per_device_not_per_address(app: Flask, runtime: Runtime) -> None:
    _one_call_a_minute(app)
    first = device_caller(app, runtime, "kiosk", "hall-a")
    second = device_caller(app, runtime, "kiosk", "hall-b")  # same address (a NAT in the hall)
    assert first.post("/api/recognition/identify", data={}).status_code != 429
    assert first.post("/api/recognition/identify", data={}).status_code == 429
    assert second.post("/api/recognition/identify", data={}).status_code != 429


# -- imports --------------------------------------------------------------------------------


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _cell(ref: str, text: str) -> str:
    where = f' r="{ref}"' if ref else ""  # without a reference the cell follows the last one
    return f'<c{where} t="inlineStr"><is><t>{text}</t></is></c>'


def _workbook(rows_xml: str, shared_strings: str | None = None, dimension: str = "") -> bytes:
    """An openpyxl workbook whose sheet (and shared strings) are replaced by hand-made XML."""
    header = "".join(_cell(f"{chr(65 + i)}1", n) for i, n in enumerate(HEADER.strip().split(",")))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = f'<worksheet xmlns="{MAIN}">{dim}<sheetData><row r="1">{header}</row>{rows_xml}'
    parts = {"xl/worksheets/sheet1.xml": sheet + "</sheetData></worksheet>"}
    buf = io.BytesIO()
    Workbook().save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = parts.get(info.filename) or src.read(info).decode()
            if info.filename == "[Content_Types].xml" and shared_strings is not None:
                override = (
                    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>'
                )
                data = data.replace("</Types>", override + "</Types>")
            dst.writestr(info.filename, data, compresslevel=9)
        if shared_strings is not None:
            dst.writestr("xl/sharedStrings.xml", shared_strings, compresslevel=9)
    return out.getvalue()


def row_bomb(rows: int = 300_000, numbered: bool = False) -> bytes:
    """`rows` one-cell rows under the header: about 200 KB zipped; numbered as Excel writes them
    (with the sheet's dimension first), 1.5 MB."""
    return _workbook(
        "".join(
            f'<row r="{r}">{_cell(f"B{r}", "x")}</row>'
            if numbered
            else f"<row>{_cell('', 'x')}</row>"
            for r in range(2, rows + 2)
        ),
        dimension=f"A1:K{rows + 1}" if numbered else "",
    )


def string_bomb(size: int = 100_000_000) -> bytes:
    """A data row whose name is one shared string of `size` characters: about 100 KB zipped."""
    row = '<row r="2"><c r="B2" t="s"><v>0</v></c></row>'
    return _workbook(row, f'<sst xmlns="{MAIN}"><si><t>{"A" * size}</t></si></sst>')


def test_an_xlsx_of_300k_rows_in_200_kb_is_refused_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "rows.xlsx"
    path.write_bytes(row_bomb())
    assert path.stat().st_size < 400_000
    got = importing(path)
    # Its sheet inflates several hundred times, so the zip check refuses it unopened.
    assert got["code"] == "file_too_large", got
    assert float(got["cpu"]) < 0.5 and float(got["peak_mb"]) < 20, got


@pytest.fixture(scope="module")
def cap_cpu(tmp_path_factory: pytest.TempPathFactory) -> float:
    """CPU seconds this machine takes to read a legal sheet of exactly MAX_ROWS rows: the most
    an upload may cost. Refusals are bounded against it rather than against a fixed number of
    seconds, which a machine half as fast fails (CI did, at 2.85 s against 2)."""
    path = tmp_path_factory.mktemp("cap") / "cap.xlsx"
    path.write_bytes(row_bomb(MAX_ROWS, numbered=True))
    got = importing(path)
    assert got["code"] == "ok", got
    return float(got["cpu"])


def test_rows_past_the_cap_are_not_read_at_all(tmp_path: Path, cap_cpu: float) -> None:
    path = tmp_path / "numbered.xlsx"
    path.write_bytes(row_bomb(numbered=True))  # compresses like a real sheet: reaches the rows
    got = importing(path)
    assert got["code"] == "too_many_rows", got
    # Reading all 300,000 rows would cost six times a legal sheet; stopping at the cap, one.
    assert float(got["cpu"]) < 1.5 * cap_cpu and float(got["peak_mb"]) < 50, (got, cap_cpu)


def test_an_xlsx_with_a_100_mb_shared_string_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "strings.xlsx"
    path.write_bytes(string_bomb())
    assert path.stat().st_size < 400_000
    got = importing(path)
    assert got["code"] == "file_too_large", got
    assert float(got["cpu"]) < 0.5 and float(got["peak_mb"]) < 20, got


def test_shared_strings_too_large_for_memory_are_refused_even_when_they_compress_badly() -> None:
    # 20 MB of varied text: within the total cap and compressing only a few times.
    words = np.random.default_rng(3).integers(0, 1 << 30, 900_000)
    strings = "".join(f"<si><t>{w:x}</t></si>" for w in words)
    data = _workbook("", f'<sst xmlns="{MAIN}">{strings}</sst>')
    with pytest.raises(ValidationError) as err:
        read_rows("strings.xlsx", data)
    assert (err.value.status, err.value.code) == (413, "file_too_large")
    assert "text" in err.value.message


def test_a_cell_too_long_for_any_column_is_refused_naming_its_row(
    staff: Caller, runtime: Runtime
) -> None:
    rows = f'<row r="2">{_cell("B2", "B" * 5000)}</row>'
    res = upload(staff, _workbook(rows), "long.xlsx")
    assert (res.status_code, res.json["error"], res.json["row"]) == (400, "field_too_long", 2)
    assert count(runtime) == 0


def test_a_csv_field_over_the_csv_module_limit_is_field_too_long_not_a_500(
    staff: Caller, runtime: Runtime
) -> None:
    content = HEADER + good_rows(2) + "R9," + "x" * 140_000 + ",delegate,,passport,E1,,,no\n"
    res = upload(staff, content.encode())
    assert (res.status_code, res.json["error"], res.json["row"]) == (400, "field_too_long", 4)
    assert "row 4" in res.json["message"] and count(runtime) == 0


def test_a_csv_field_over_1000_characters_is_field_too_long_naming_row_and_column(
    staff: Caller, runtime: Runtime
) -> None:
    content = HEADER + good_rows(1) + "R9," + "x" * 1001 + ",delegate,,passport,E1,,,no\n"
    res = upload(staff, content.encode())
    assert res.json["error"] == "field_too_long" and res.json["column"] == "name"
    assert res.json["row"] == 3 and count(runtime) == 0


def test_a_csv_over_the_row_cap_is_refused_while_reading() -> None:
    content = HEADER + "R,x,delegate,,passport,E1,,,no\n" * 60_000
    with pytest.raises(ValidationError) as err:
        read_rows("people.csv", content.encode())
    assert err.value.code == "too_many_rows"


def test_blank_rows_cannot_stretch_a_sheet_without_bound(tmp_path: Path, cap_cpu: float) -> None:
    # One row far down the sheet: openpyxl fills the gap with blank rows, which count too.
    path = tmp_path / "gap.xlsx"
    path.write_bytes(_workbook(f'<row r="1000000">{_cell("B1000000", "x")}</row>'))
    got = importing(path)
    assert got["code"] == "too_many_rows" and float(got["cpu"]) < 1.5 * cap_cpu, (got, cap_cpu)
