"""Bulk import of attendees from CSV or XLSX: the whole batch lands, or nothing and a report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from checkin.registration import AttendeeData, register_attendee
from core.crypto import PiiBox
from core.errors import SummitError, ValidationError

COLUMNS = (
    "ref",
    "name",
    "category",
    "organisation",
    "language",
    "nationality",
    "id_type",
    "id_number",
    "phone",
    "email",
    "consent_face",
)
REQUIRED = ("name", "category", "id_type", "id_number")
MAX_ROWS = 50_000
TRUE = {"1", "true", "yes", "y", "是"}
FALSE = {"", "0", "false", "no", "n", "否"}


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "imported": self.imported, "errors": self.errors}


def read_rows(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file as dicts of trimmed strings."""
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("the CSV file must be UTF-8 encoded", "bad_encoding") from exc
    reader = csv.DictReader(io.StringIO(text))
    _check_header(reader.fieldnames or [])
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _read_xlsx(content: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ValidationError("not a readable XLSX file", "bad_file") from exc
    rows = list(book.active.iter_rows(values_only=True))
    if not rows:
        raise ValidationError("the sheet is empty", "empty_file")
    header = [str(h or "").strip() for h in rows[0]]
    _check_header(header)
    return [
        {h: ("" if v is None else str(v).strip()) for h, v in zip(header, row, strict=False) if h}
        for row in rows[1:]
        if any(v not in (None, "") for v in row)
    ]


def _check_header(header: Iterable[str]) -> None:
    missing = [c for c in REQUIRED if c not in set(header)]
    if missing:
        raise ValidationError(f"missing columns: {', '.join(missing)}", "missing_columns")


def _row_data(row: dict[str, str]) -> AttendeeData:
    consent = row.get("consent_face", "").lower()
    if consent not in TRUE | FALSE:
        raise ValidationError("consent_face must be yes or no", "invalid_consent")
    return AttendeeData(
        name=row.get("name", ""),
        category=row.get("category", ""),
        id_type=row.get("id_type", ""),
        id_number=row.get("id_number", ""),
        organisation=row.get("organisation", ""),
        language=row.get("language") or "zh",
        nationality=row.get("nationality") or "CN",
        phone=row.get("phone") or None,
        email=row.get("email") or None,
        consent_face=consent in TRUE,
        ref=row.get("ref") or None,
    )


def import_attendees(
    session: Session,
    pii: PiiBox,
    rows: list[dict[str, str]],
    actor: str,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Register every row inside one savepoint; any bad row rolls the whole batch back.

    Every row is still checked so the report lists all problems at once (row numbers count the
    header as row 1, as spreadsheets do).
    """
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"at most {MAX_ROWS} rows per file", "too_many_rows")
    report = ImportReport(total=len(rows))
    savepoint = session.begin_nested()
    for number, row in enumerate(rows, start=2):
        try:
            with session.begin_nested():
                register_attendee(session, pii, _row_data(row), actor)
            report.imported += 1
        except SummitError as exc:
            report.errors.append({"row": number, "error": exc.code, "message": exc.message})
        if progress is not None:
            progress(1)
    if report.errors:
        savepoint.rollback()
        report.imported = 0
    else:
        savepoint.commit()
    return report
