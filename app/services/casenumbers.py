"""Case numbers (办件编号): TB + Shanghai date (8) + case id (8, zero-padded) + Luhn check digit.

Example: TB20261123000000427 — 19 characters, unique because the id is, and a typo in any digit is
caught by the check digit before the database is asked.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CASE_NO_RE = re.compile(r"^TB(\d{8})(\d{8,})(\d)$")


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def make_case_no(case_id: int, submitted_at: datetime) -> str:
    body = f"{submitted_at.astimezone(SHANGHAI):%Y%m%d}{case_id:08d}"
    return f"TB{body}{luhn_digit(body)}"


def is_valid_case_no(value: str) -> bool:
    m = CASE_NO_RE.match(value or "")
    if not m:
        return False
    body = m.group(1) + m.group(2)
    return luhn_digit(body) == int(m.group(3))
