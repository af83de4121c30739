"""Bulk import of attendees from CSV or XLSX: the whole batch lands, or nothing and a report."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Iterator
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
# Blank rows are skipped but still cost time to read, so they count towards a wider bound.
MAX_SCANNED_ROWS = 2 * MAX_ROWS
MAX_FIELD_CHARS = 1_000  # the widest column (email) holds 254
MAX_FILE_BYTES = 16 * 1024 * 1024  # the command line reads files from disk; HTTP caps at 8 MB
MAX_COLUMNS = 64
# An XLSX file is a zip of XML parts: its declared sizes are checked before openpyxl opens it
# (zipfile never inflates a part beyond its declared size, and a wrong CRC fails the read).
# A sheet without a <dimension> element is scanned once by openpyxl before its rows are read,
# so this also bounds that scan (about 3 s of CPU for 32 MB); 50,000 real rows fit in 25 MB.
MAX_UNZIPPED_BYTES = 32 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024  # openpyxl holds every shared string in memory
MAX_RATIO = 100  # spreadsheet XML compresses 5-20x; bombs compress a thousandfold
RATIO_FLOOR = 1024 * 1024  # small parts may compress as they like
SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
TRUE = {"1", "true", "yes", "y", "是"}
FALSE = {"", "0", "false", "no", "n", "否"}

Row = dict[str, str]


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


def read_rows(filename: str, content: bytes) -> list[Row]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file as dicts of trimmed strings.

    Row and field caps are enforced while reading, so an oversized file is refused after at
    most MAX_ROWS + 1 rows, never after reading all of them.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(
            f"the file is larger than {MAX_FILE_BYTES} bytes", "file_too_large", 413
        )
    rows = _xlsx_rows(content) if filename.lower().endswith(".xlsx") else _csv_rows(content)
    kept: list[Row] = []
    for number, row in rows:
        _check_fields(number, row)
        kept.append(row)
        if len(kept) > MAX_ROWS:
            raise ValidationError(f"at most {MAX_ROWS} rows per file", "too_many_rows")
    return kept


def _check_fields(number: int, row: Row) -> None:
    for column, value in row.items():
        if len(value) > MAX_FIELD_CHARS:
            raise ValidationError(
                f"row {number}, column {column}: longer than {MAX_FIELD_CHARS} characters",
                "field_too_long",
                row=number,
                column=column,
            )


def _csv_rows(content: bytes) -> Iterator[tuple[int, Row]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("the CSV file must be UTF-8 encoded", "bad_encoding") from exc
    reader = csv.DictReader(io.StringIO(text))
    number = 1
    try:
        _check_header(reader.fieldnames or [])
        for number, row in enumerate(reader, start=2):
            yield number, {k: (v or "").strip() for k, v in row.items() if k}
    except csv.Error as exc:
        # The csv module refuses fields over 131,072 characters itself; that is our code too.
        code = "field_too_long" if "field larger than field limit" in str(exc) else "bad_file"
        failed = number + 1
        raise ValidationError(f"row {failed}: {exc}", code, row=failed) from exc


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, Row]]:
    _check_zip(content)
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ValidationError("not a readable XLSX file", "bad_file") from exc
    try:
        sheet = _sheet_rows(book)
        first = next(sheet, None)
        if first is None:
            raise ValidationError("the sheet is empty", "empty_file")
        header = [str(h or "").strip() for h in first]
        _check_header(header)
        for number, values in enumerate(sheet, start=2):
            if number > MAX_SCANNED_ROWS:
                raise ValidationError(f"at most {MAX_ROWS} rows per file", "too_many_rows")
            if any(v not in (None, "") for v in values):
                yield number, _xlsx_row(header, values)
    finally:
        book.close()


def _xlsx_row(header: list[str], values: tuple[Any, ...]) -> Row:
    return {
        h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=False) if h
    }


def _sheet_rows(book: Any) -> Iterator[tuple[Any, ...]]:
    """The first sheet's rows, at most MAX_COLUMNS wide; a damaged sheet is `bad_file`."""
    try:
        yield from book.active.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    except Exception as exc:  # the XML parser and openpyxl fail in many ways on a bad sheet
        raise ValidationError("the sheet cannot be read", "bad_file") from exc


def _check_zip(content: bytes) -> None:
    """Refuse an XLSX whose parts would inflate too far, before openpyxl reads any of them."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = {info.filename: info for info in archive.infolist()}
            strings = _shared_strings_part(archive, parts)
    except (zipfile.BadZipFile, ET.ParseError, OSError, ValueError) as exc:
        raise ValidationError("not a readable XLSX file", "bad_file") from exc
    total = sum(info.file_size for info in parts.values())
    if total > MAX_UNZIPPED_BYTES:
        raise _too_large(f"unpacks to {total} bytes; at most {MAX_UNZIPPED_BYTES}")
    if strings is not None and strings.file_size > MAX_SHARED_STRINGS_BYTES:
        raise _too_large(
            f"holds {strings.file_size} bytes of text; at most {MAX_SHARED_STRINGS_BYTES}"
        )
    for info in parts.values():
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _too_large(f"part {info.filename} inflates more than {MAX_RATIO} times")


def _shared_strings_part(
    archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]
) -> zipfile.ZipInfo | None:
    """The part that [Content_Types].xml names as the shared strings (openpyxl looks there)."""
    manifest = parts.get("[Content_Types].xml")
    if manifest is None or manifest.file_size > RATIO_FLOOR:
        return None  # openpyxl refuses a file without a readable manifest
    for override in ET.fromstring(archive.read(manifest)):
        if override.get("ContentType") == SHARED_STRINGS:
            return parts.get((override.get("PartName") or "").lstrip("/"))
    return None


def _too_large(detail: str) -> ValidationError:
    return ValidationError(f"the workbook {detail}", "file_too_large", 413)


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
    rows: list[Row],
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
