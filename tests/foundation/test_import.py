"""Bulk import: a batch lands whole or not at all, with a per-row report."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from core.config import PROJECT_ROOT
from core.runtime import Runtime
from models import Attendee, DomainEvent
from tests.conftest import Caller
from tests.factories import resident_id

HEADER = "ref,name,category,organisation,id_type,id_number,phone,email,consent_face\n"


def good_rows(n: int, start: int = 1) -> str:
    return "".join(
        f"R{start + i},学员{'甲乙丙丁戊己庚辛壬癸'[i % 10]},delegate,福州大学,cn_resident,"
        f"{resident_id(start + i)},+86138{start + i:08d},p{start + i}@example.cn,yes\n"
        for i in range(n)
    )


def count(runtime: Runtime, model: type = Attendee) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count(model.id))) or 0


def upload(caller: Caller, content: bytes, name: str = "people.csv"):  # type: ignore[no-untyped-def]
    return caller.post(
        "/api/attendees/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_a_clean_csv_lands_whole(staff: Caller, runtime: Runtime) -> None:
    res = upload(staff, (HEADER + good_rows(5)).encode("utf-8-sig"))
    assert res.status_code == 201, res.json
    assert res.json == {"total": 5, "imported": 5, "errors": []}
    assert count(runtime) == 5


def test_one_bad_row_rejects_the_batch_and_reports_every_bad_row(
    staff: Caller, runtime: Runtime
) -> None:
    bad = (
        "X1,坏人,delegate,,cn_resident,110105194912310021,+8613800000000,,yes\n"  # check digit
        "X2,Bob,delegate,,passport,E1234567,13800000000,,no\n"  # phone
        "X3,Eve,delegate,,passport,E7654321,,,maybe\n"  # consent
    )
    duplicate = good_rows(1, start=1).replace("R1,", "R99,")  # same ID as row R1
    res = upload(staff, (HEADER + good_rows(3) + bad + duplicate).encode())
    assert res.status_code == 422
    assert res.json["error"] == "import_rejected" and res.json["imported"] == 0
    assert [(e["row"], e["error"]) for e in res.json["errors"]] == [
        (5, "invalid_id_check_digit"),
        (6, "invalid_phone"),
        (7, "invalid_consent"),
        (8, "duplicate_id"),
    ]
    assert count(runtime) == 0
    assert count(runtime, DomainEvent) == 0


def test_missing_columns_and_bad_encoding_are_refused(staff: Caller, runtime: Runtime) -> None:
    assert upload(staff, b"name,phone\nx,y\n").json["error"] == "missing_columns"
    assert upload(staff, (HEADER + good_rows(1)).encode("gb18030")).json["error"] == "bad_encoding"
    assert staff.post("/api/attendees/import", data={}).json["error"] == "file_required"
    assert upload(staff, b"PK\x03\x04garbage", "x.xlsx").json["error"] == "bad_file"
    assert count(runtime) == 0


def test_xlsx_import_reads_the_first_sheet(staff: Caller, runtime: Runtime) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    for line in good_rows(3, start=40).splitlines():
        sheet.append(line.split(","))
    buf = io.BytesIO()
    book.save(buf)
    res = upload(staff, buf.getvalue(), "people.xlsx")
    assert res.status_code == 201 and res.json["imported"] == 3
    assert count(runtime) == 3


def test_command_line_import_is_all_or_nothing(tmp_path: Path) -> None:
    env = {"SUMMIT_INSTANCE": str(tmp_path / "inst"), "PATH": "/usr/bin:/bin"}
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + good_rows(2, 60) + "X,Eve,delegate,,passport,E1,,,no\n")
    out = subprocess.run(
        [sys.executable, "run.py", "import-attendees", str(bad)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr
    assert '"invalid_id_number"' in out.stdout and "nothing was imported" in out.stderr
    good = tmp_path / "good.csv"
    good.write_text(HEADER + good_rows(2, 60))
    out = subprocess.run(
        [sys.executable, "run.py", "import-attendees", str(good)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert '"imported": 2' in out.stdout
