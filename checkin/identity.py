"""Validation of real-name identity data: GB 11643 resident IDs, passports, E.164 phones, names."""

from __future__ import annotations

import re
from datetime import date

from core.errors import ValidationError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PASSPORT = re.compile(r"^[A-Z0-9]{6,9}$")
_PERMIT = re.compile(r"^[A-Z0-9]{8,11}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Letters of any script, combining marks, and the separators real names use.
_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ .'\-·•])*$")


def resident_id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def validate_resident_id(number: str) -> str:
    """Normalise and check an 18-character Chinese resident ID (digits, date, check digit)."""
    number = number.strip().upper()
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise ValidationError(
            "a resident ID has 17 digits and a check digit or X", "invalid_id_number"
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValidationError(
            "the birth date in the resident ID is not a date", "invalid_id_number"
        ) from exc
    if born.year < 1900 or born > date.today():
        raise ValidationError(
            "the birth date in the resident ID is out of range", "invalid_id_number"
        )
    if resident_id_check_digit(number[:17]) != number[17]:
        raise ValidationError("the resident ID check digit is wrong", "invalid_id_check_digit")
    return number


def validate_id(id_type: str, number: str) -> str:
    """Normalise and check an identity document number of the given type."""
    if id_type == "cn_resident":
        return validate_resident_id(number)
    number = number.strip().upper()
    pattern = _PASSPORT if id_type == "passport" else _PERMIT
    if not pattern.match(number):
        raise ValidationError(
            f"not a valid {id_type.replace('_', ' ')} number", "invalid_id_number"
        )
    return number


def validate_phone(phone: str) -> str:
    """E.164: '+' then country code and number, 8-15 digits, no spaces."""
    compact = re.sub(r"[\s\-()]", "", phone)
    if not _E164.match(compact):
        raise ValidationError("phone must be in E.164 form, e.g. +8613812345678", "invalid_phone")
    return compact


def validate_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationError("not a valid e-mail address", "invalid_email")
    return email.lower()


def validate_name(name: str) -> str:
    """1-100 characters of letters (any script) and name separators; no digits or markup."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise ValidationError("name must have 1 to 100 characters", "invalid_name")
    if not _NAME.match(name):
        raise ValidationError("name may contain only letters, spaces and . ' - ·", "invalid_name")
    return name
