"""The catalogue entry (item.yaml) field by field: what the CLI requires plus the legal limits.

Each problem names its field (``limits.promised_wd``, ``materials.2.code``) as the element, so the
designer's item form shows it next to the field and the API lists it with the others."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from engine.lint import SPECIAL_PROCEDURES
from engine.validation import Finding

REQUIRED_KEYS = ("code", "slug", "process_id", "name", "department", "kind", "limits", "materials")
CODE = re.compile(r"^[0-9]{6}-[A-Z0-9]{2,8}-[A-Z]{2,4}-[0-9]{4}$")
SLUG = re.compile(r"^[a-z][a-z0-9_]{1,62}[a-z0-9]$")
MATERIAL_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FORMATS = frozenset({"pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "zip"})
KINDS = ("promised", "immediate")
PROMISED_MAX_RATIO = 0.35
FILE = "item.yaml"


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _err(field: str, message: str, severity: str = "error") -> Finding:
    return Finding(message, file=FILE, element_id=field, severity=severity, stage="item")


def _bilingual(value: Any, field: str, out: list[Finding], required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, Mapping) or not all(_text(value.get(k)) for k in ("zh", "en")):
        out.append(_err(field, "需要中文和英文 {zh: …, en: …} / needs {zh, en} texts"))


def _whole(
    value: Any, field: str, out: list[Finding], *, required: bool, allow_none: bool = False
) -> int | None:
    if value is None:
        if required and not allow_none:
            out.append(_err(field, "必填，工作日数 / required: a number of working days"))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        out.append(_err(field, f"{value!r} 不是非负整数 / must be a whole number ≥ 0"))
        return None
    return value


def check_item(item: Mapping[str, Any], departments: Iterable[str]) -> list[Finding]:
    out: list[Finding] = []
    for key in REQUIRED_KEYS:
        if key not in item:
            out.append(_err(key, f"缺少字段 {key} / missing key {key}"))
    code = item.get("code")
    if "code" in item and (not isinstance(code, str) or not CODE.match(code)):
        out.append(
            _err(
                "code",
                f"事项编码 {code!r} 格式应为 350200-SXHJ-XK-0001 / code must look like 350200-SXHJ-XK-0001",
            )
        )
    slug = item.get("slug")
    if "slug" in item and (not isinstance(slug, str) or not SLUG.match(slug)):
        out.append(_err("slug", f"{slug!r}: snake_case, 3–64 characters"))
    if "process_id" in item and item.get("process_id") != slug:
        out.append(_err("process_id", f"process_id must equal the slug ({slug!r})"))
    if "name" in item:
        _bilingual(item.get("name"), "name", out)
    dept = item.get("department")
    if "department" in item and dept not in set(departments):
        out.append(_err("department", f"未知部门 {dept!r} / unknown department"))
    if "kind" in item and item.get("kind") not in KINDS:
        out.append(_err("kind", f"{item.get('kind')!r}: one of {', '.join(KINDS)}"))
    basis = item.get("legal_basis")
    if not isinstance(basis, list) or not basis or not all(isinstance(b, str) and b.strip() for b in basis):
        out.append(_err("legal_basis", "列出法律依据 / list the legal basis (one or more texts)", "warning"))
    _check_limits(item, out)
    lights = item.get("lights")
    if lights is not None:
        if not isinstance(lights, Mapping):
            out.append(_err("lights", "must be a mapping"))
        else:
            _whole(lights.get("yellow_remaining_wd"), "lights.yellow_remaining_wd", out, required=False)
            pct = lights.get("yellow_consumed_pct")
            if pct is not None and (isinstance(pct, bool) or not isinstance(pct, int) or not 1 <= pct <= 100):
                out.append(_err("lights.yellow_consumed_pct", "1–100 (%)"))
    _bilingual(item.get("fees"), "fees", out, required=False)
    _check_materials(item.get("materials"), out)
    _check_specials(item.get("special_procedures"), out)
    result = item.get("result")
    if result is not None:
        if not isinstance(result, Mapping) or not isinstance(result.get("type"), str):
            out.append(_err("result.type", "result needs a type (e.g. approval_document, licence)"))
        else:
            _bilingual(result.get("name"), "result.name", out)
    return out


def _check_limits(item: Mapping[str, Any], out: list[Finding]) -> None:
    limits = item.get("limits")
    if limits is None:
        return
    if not isinstance(limits, Mapping):
        out.append(_err("limits", "must be a mapping"))
        return
    statutory = _whole(limits.get("statutory_wd"), "limits.statutory_wd", out, required=True)
    promised = _whole(limits.get("promised_wd"), "limits.promised_wd", out, required=True)
    for key in ("acceptance_wd", "delivery_wd", "extension_max_wd"):
        _whole(limits.get(key), f"limits.{key}", out, required=False)
    _whole(
        limits.get("applicant_correction_wd"),
        "limits.applicant_correction_wd",
        out,
        required=False,
        allow_none=True,
    )
    for key in ("statutory_basis", "promised_basis"):
        if not _text(limits.get(key)):
            out.append(_err(f"limits.{key}", "写明依据 / state the basis of the limit", "warning"))
    if statutory is not None and promised is not None:
        if promised > statutory:
            out.append(
                _err(
                    "limits.promised_wd",
                    f"承诺时限 {promised} 超过法定时限 {statutory} / promised {promised} WD exceeds the statutory {statutory} WD",
                )
            )
        elif statutory and promised > statutory * PROMISED_MAX_RATIO and item.get("kind") != "immediate":
            out.append(
                _err(
                    "limits.promised_wd",
                    f"承诺时限 {promised} 超过法定时限的 35%（≤ {int(statutory * PROMISED_MAX_RATIO)}）/ "
                    f"promised {promised} WD is more than 35% of the statutory {statutory} WD",
                    "warning",
                )
            )


def _check_materials(materials: Any, out: list[Finding]) -> None:
    if materials is None:
        return
    if not isinstance(materials, list):
        out.append(_err("materials", "must be a list"))
        return
    seen: set[str] = set()
    for i, m in enumerate(materials):
        where = f"materials.{i}"
        if not isinstance(m, Mapping):
            out.append(_err(where, "must be a mapping {code, name, required, formats}"))
            continue
        code = m.get("code")
        if not isinstance(code, str) or not MATERIAL_CODE.match(code):
            out.append(_err(f"{where}.code", f"{code!r}: snake_case material code"))
        elif code in seen:
            out.append(_err(f"{where}.code", f"重复的材料编码 {code} / duplicate material code"))
        else:
            seen.add(code)
        _bilingual(m.get("name"), f"{where}.name", out)
        if not isinstance(m.get("required"), bool):
            out.append(_err(f"{where}.required", "true or false"))
        formats = m.get("formats")
        if not isinstance(formats, list) or not formats or not all(f in FORMATS for f in formats):
            out.append(_err(f"{where}.formats", f"a list of {', '.join(sorted(FORMATS))}"))


def _check_specials(specials: Any, out: list[Finding]) -> None:
    if specials is None:
        return
    if not isinstance(specials, list):
        out.append(_err("special_procedures", "must be a list"))
        return
    for i, sp in enumerate(specials):
        where = f"special_procedures.{i}"
        if not isinstance(sp, Mapping):
            out.append(_err(where, "must be a mapping {code, name, limit_wd, basis}"))
            continue
        if sp.get("code") not in SPECIAL_PROCEDURES:
            out.append(
                _err(f"{where}.code", f"{sp.get('code')!r}: one of {', '.join(sorted(SPECIAL_PROCEDURES))}")
            )
        _bilingual(sp.get("name"), f"{where}.name", out)
        limit = _whole(sp.get("limit_wd"), f"{where}.limit_wd", out, required=True)
        if limit == 0:
            out.append(_err(f"{where}.limit_wd", "a special procedure needs its own limit (> 0 WD)"))
        if not _text(sp.get("basis")):
            out.append(
                _err(f"{where}.basis", "写明依据 / state the basis (行政许可法第四十五条 …)", "warning")
            )
