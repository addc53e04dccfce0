"""Validators for Chinese identity numbers used in applications.

* :func:`validate_resident_id` — 18-digit citizen identity number, GB 11643-1999
  (公民身份号码): 6-digit region code, birth date YYYYMMDD, 3-digit sequence (odd = male),
  ISO 7064 MOD 11-2 check character 0–9/X.
* :func:`validate_uscc` — unified social credit code, GB 32100-2015 (统一社会信用代码):
  18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY``; 1 registration authority,
  2 organisation type, 3–8 region code, 9–17 organisation code (GB 11714, its last character a
  MOD 11 check), 18 MOD 31 check character.

Each validator returns the normalised value or raises :class:`ValueError` whose message is
Chinese followed by English in parentheses.
"""

from __future__ import annotations

import datetime as _dt

__all__ = [
    "validate_resident_id",
    "resident_id_gender",
    "resident_id_birth_date",
    "resident_id_check_char",
    "validate_uscc",
    "uscc_check_char",
    "org_code_check_char",
    "USCC_CHARSET",
    "mask_id_no",
    "mask_name",
    "mask_party",
]

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK = "10X98765432"

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _normalise(s: object, what_zh: str, what_en: str) -> str:
    if not isinstance(s, str):
        raise ValueError(f"{what_zh}必须是字符串 ({what_en} must be a string, got {type(s).__name__})")
    return "".join(s.split()).upper()


# ---------------------------------------------------------------------------------------------
# Resident identity number (GB 11643-1999)


def resident_id_check_char(body17: str) -> str:
    """Check character for the first 17 digits of a resident id."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError("身份号码本体码必须是 17 位数字 (the id body must be 17 digits)")
    total = sum(int(c) * w for c, w in zip(body17, _RID_WEIGHTS, strict=True))
    return _RID_CHECK[total % 11]


def validate_resident_id(s: str, *, today: _dt.date | None = None) -> str:
    """Validate an 18-digit resident id; return it with spaces removed and an uppercase ``X``."""
    rid = _normalise(s, "公民身份号码", "resident id")
    if len(rid) != 18:
        raise ValueError(
            f"公民身份号码应为 18 位，实际 {len(rid)} 位 (resident id must be 18 characters, got {len(rid)})"
        )
    body, check = rid[:17], rid[17]
    if not (body.isascii() and body.isdigit()):
        bad = next((i + 1 for i, c in enumerate(body) if not ("0" <= c <= "9")), 0)
        raise ValueError(
            f"公民身份号码前 17 位必须是数字，第 {bad} 位不是 "
            f"(the first 17 characters of a resident id must be digits; position {bad} is not)"
        )
    if not (check.isascii() and (check.isdigit() or check == "X")):
        raise ValueError(
            f"公民身份号码第 18 位校验码必须是 0-9 或 X (the check character must be 0-9 or X, got {check!r})"
        )
    region = body[:6]
    if region[0] == "0":
        raise ValueError(
            f"公民身份号码地址码 {region} 无效，首位不能为 0 (invalid region code {region}: first digit must be 1-9)"
        )
    _birth_date(body, today)
    expected = resident_id_check_char(body)
    if check != expected:
        raise ValueError(
            f"公民身份号码校验码错误：应为 {expected}，实际 {check} "
            f"(resident id check character mismatch: expected {expected}, got {check})"
        )
    return rid


def _birth_date(body: str, today: _dt.date | None) -> _dt.date:
    raw = body[6:14]
    try:
        born = _dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise ValueError(
            f"公民身份号码出生日期 {raw} 不是有效日期 (birth date {raw} in resident id is not a valid date)"
        ) from None
    if born.year < 1900:
        raise ValueError(
            f"公民身份号码出生日期 {raw} 早于 1900 年 (birth date {raw} in resident id is before 1900)"
        )
    if born > (today or _dt.date.today()):
        raise ValueError(
            f"公民身份号码出生日期 {raw} 晚于今天 (birth date {raw} in resident id is in the future)"
        )
    return born


def resident_id_birth_date(s: str) -> _dt.date:
    """Birth date of a (valid) resident id."""
    return _birth_date(validate_resident_id(s), None)


def resident_id_gender(s: str) -> str:
    """``"male"`` or ``"female"`` from the 17th digit (odd = male) of a (valid) resident id."""
    rid = validate_resident_id(s)
    return "male" if int(rid[16]) % 2 else "female"


# ---------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    if len(body8) != 8:
        raise ValueError("组织机构代码本体应为 8 位 (organisation code body must be 8 characters)")
    total = 0
    for c, w in zip(body8, _ORG_WEIGHTS, strict=True):
        if "0" <= c <= "9":
            v = ord(c) - 48
        elif "A" <= c <= "Z":
            v = ord(c) - 55  # A=10 ... Z=35
        else:
            raise ValueError(f"组织机构代码含非法字符 {c!r} (invalid character {c!r} in organisation code)")
        total += v * w
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character for the first 17 characters of a USCC."""
    if len(body17) != 17:
        raise ValueError("统一社会信用代码本体应为 17 位 (USCC body must be 17 characters)")
    try:
        total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"统一社会信用代码含非法字符 {exc.args[0]!r} (invalid character in USCC)") from None
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(s: str) -> str:
    """Validate a unified social credit code; return it uppercase without spaces."""
    code = _normalise(s, "统一社会信用代码", "unified social credit code")
    if len(code) != 18:
        raise ValueError(
            f"统一社会信用代码应为 18 位，实际 {len(code)} 位 "
            f"(unified social credit code must be 18 characters, got {len(code)})"
        )
    for i, c in enumerate(code, start=1):
        if c not in _USCC_VALUE:
            hint = "（不使用 I、O、Z、S、V）" if c in "IOZSV" else ""
            hint_en = "; I, O, Z, S and V are never used" if c in "IOZSV" else ""
            raise ValueError(
                f"统一社会信用代码第 {i} 位字符 {c!r} 非法{hint} "
                f"(invalid character {c!r} at position {i} of unified social credit code{hint_en})"
            )
    region = code[2:8]
    if not region.isdigit():
        raise ValueError(
            f"统一社会信用代码第 3-8 位行政区划码必须是数字：{region} "
            f"(positions 3-8 of unified social credit code must be a numeric region code, got {region})"
        )
    org = code[8:17]
    expected_org = org_code_check_char(org[:8])
    if org[8] != expected_org:
        raise ValueError(
            f"统一社会信用代码中组织机构代码 {org} 校验码错误：应为 {expected_org} "
            f"(organisation code {org} check character mismatch: expected {expected_org}, got {org[8]})"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(
            f"统一社会信用代码校验码错误：应为 {expected}，实际 {code[17]} "
            f"(unified social credit code check character mismatch: expected {expected}, got {code[17]})"
        )
    return code


# -- masking: what the public (or another party) may see of a natural person ------------------------


def mask_id_no(s: str | None) -> str:
    """A resident ID number as the public sees it: first 4 and last 2 characters, the rest ``*``.

    (Birth date and sequence number are hidden; 18 characters stay 18 so the shape is recognisable.)
    """
    text = "".join(str(s or "").split())
    if len(text) <= 6:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 6) + text[-2:]


def mask_name(s: str | None) -> str:
    """A natural person's name as the public sees it: the first character, then ``*`` (张** / 张*)."""
    text = str(s or "").strip()
    if not text:
        return ""
    return text[0] + "*" * max(1, len(text) - 1)


def mask_party(kind: str | None, name: str | None, id_no: str | None) -> tuple[str, str]:
    """(name, id number) for the public: natural persons masked, legal entities as they are (public data)."""
    if kind == "entity":
        return str(name or ""), str(id_no or "")
    return mask_name(name), mask_id_no(id_no)
