"""E-licence numbers (电子证照编号), structured after GB/T 36904 as far as that standard is public.

GB/T 36904-2018 (电子证照 标识规范) builds a licence identifier from the licence type (GB/T 36902
catalogue code), the issuing authority, a serial number and a check character. The platform's number:

    <type code, 4 letters> <region code, 6 digits> <year of issue, 4 digits> <serial, 8 digits> <check>
    e.g. WFJY 350200 2026 00000427 7   →  WFJY350200202600000427 + check

- type code: ``licence.type_code`` of the item (e.g. WFJY 危险废物经营许可证, DYJY 道路运输经营许可证);
- region: the 6-digit administrative division of the issuing authority (first part of the 事项编码);
- serial: the case id (one result per case, so unique per number);
- check character: ISO 7064 MOD 37,36 (GB/T 17710) over the 22 characters before it, so a mistyped or
  altered character is caught before the database is asked.

Pure standard library.
"""

from __future__ import annotations

import re

__all__ = ["LICENCE_NO", "check_char", "is_valid_licence_no", "make_licence_no"]

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LICENCE_NO = re.compile(r"^[A-Z]{4}[0-9]{6}[0-9]{4}[0-9]{8}[0-9A-Z]$")


def check_char(body: str) -> str:
    """ISO 7064 MOD 37,36 check character of an upper-case alphanumeric string."""
    m = 36
    p = m
    for ch in body:
        value = CHARSET.index(ch)
        p = (p + value) % m or m
        p = (p * 2) % (m + 1)
    return CHARSET[(m + 1 - p) % m]


def make_licence_no(type_code: str, region: str, year: int, serial: int) -> str:
    if not re.fullmatch(r"[A-Z]{4}", type_code):
        raise ValueError(f"licence type code must be 4 capital letters, got {type_code!r}")
    if not re.fullmatch(r"[0-9]{6}", region):
        raise ValueError(f"region code must be 6 digits, got {region!r}")
    if not 1000 <= year <= 9999 or not 0 <= serial <= 99_999_999:
        raise ValueError(f"year {year} or serial {serial} out of range")
    body = f"{type_code}{region}{year:04d}{serial:08d}"
    return body + check_char(body)


def is_valid_licence_no(text: str) -> bool:
    """Shape and check character (says nothing about whether such a licence exists)."""
    return bool(LICENCE_NO.match(text or "")) and check_char(text[:-1]) == text[-1]
