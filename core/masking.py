"""Masking of personal data for screens, API answers and logs (张*三, J*** Smith, 138****5678)."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小三 -> 张*三, John Smith -> J*** Smith, Madonna -> M******."""
    name = name.strip()
    if not name:
        return ""
    if _CJK.search(name) and " " not in name:
        if len(name) == 1:
            return "*"
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
    parts = name.split()
    if len(parts) == 1:
        return parts[0][0] + "*" * (len(parts[0]) - 1)
    return " ".join(p[0] + "*" * max(len(p) - 1, 3) for p in parts[:-1]) + " " + parts[-1]


def mask_phone(phone: str | None) -> str | None:
    """+8613812345678 -> +86138****5678; keeps the first three and last four national digits."""
    if not phone:
        return phone
    digits = phone.lstrip("+")
    prefix = "+" if phone.startswith("+") else ""
    national = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    cc = digits[: len(digits) - len(national)]
    if len(national) <= 7:
        return prefix + cc + national[:2] + "*" * (len(national) - 2)
    return prefix + cc + national[:3] + "*" * (len(national) - 7) + national[-4:]


def mask_id(number: str | None) -> str | None:
    """350102199001011234 -> 3501**********1234; passports keep two leading and two trailing."""
    if not number:
        return number
    if len(number) == 18:
        return number[:4] + "*" * 10 + number[-4:]
    keep = 2 if len(number) > 5 else 1
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_email(email: str | None) -> str | None:
    """alice@example.org -> a****@example.org."""
    if not email or "@" not in email:
        return email
    user, _, domain = email.partition("@")
    return user[0] + "*" * max(len(user) - 1, 3) + "@" + domain
