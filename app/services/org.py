"""The organisation: departments with a parent and a level, loaded from a data file, and their chain.

``data/departments.yaml`` (or any file of that shape, ``flask --app app org load FILE``) is checked as
a whole before anything is written; loading is idempotent and updates names, levels, parents, short
names, headers and seals in place. Departments are never deleted by a load (cases, items and users
refer to them). Seals: ``placeholder`` generates a round demo seal from the header; a path names a
PNG file next to the data file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from app.models import LEVELS, Department, Session
from app.services import audit
from app.services.auth import Actor
from app.services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.services.i18n import t
from app.services.pdf import placeholder_seal

DEFAULT_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "departments.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SEAL_BYTES = 2 * 1024 * 1024
KEYS = {"code", "name", "level", "parent", "short_name", "header", "reconsideration", "seal"}


@dataclass(frozen=True)
class DepartmentInfo:
    """What pages, documents and checks need of a department (cached; the table is small)."""

    code: str
    name_zh: str
    name_en: str
    level: str
    parent: str | None
    short_name: str
    header: str
    reconsideration: str
    has_seal: bool


def read_departments_file(path: Path | None = None) -> list[dict[str, Any]]:
    """The departments of a data file, checked; raises naming the entry and key of every defect."""
    path = path or DEFAULT_FILE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DomainError(t("%(path)s：文件不存在", path=str(path)), code="org_invalid") from exc
    except yaml.YAMLError as exc:
        raise DomainError(
            t("%(path)s：YAML 格式错误：%(error)s", path=str(path), error=str(exc)), code="org_invalid"
        ) from exc
    entries = doc.get("departments") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DomainError(t("%(path)s：缺少 departments 列表", path=str(path)), code="org_invalid")
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(entries):
        where = f"departments[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not entry["code"]:
            problems.append({"field": where, "message": t("须有 code")})
            continue
        code = entry["code"]
        where = f"departments[{i}] ({code})"
        for key in sorted(set(entry) - KEYS):
            problems.append({"field": f"{where}.{key}", "message": t("未知的键")})
        if code in seen:
            problems.append({"field": where, "message": t("部门编码重复")})
        name = entry.get("name")
        if not (
            isinstance(name, dict)
            and set(name) == {"zh", "en"}
            and all(isinstance(v, str) and v.strip() for v in name.values())
        ):
            problems.append({"field": f"{where}.name", "message": t("须为 {zh, en} 两种语言的名称")})
        if entry.get("level") not in LEVELS:
            problems.append(
                {"field": f"{where}.level", "message": t("须为 %(levels)s 之一", levels=", ".join(LEVELS))}
            )
        parent = entry.get("parent")
        if parent is not None and parent not in seen:
            problems.append({"field": f"{where}.parent", "message": t("上级部门须在本部门之前列出")})
        for key in ("short_name", "header"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problems.append({"field": f"{where}.{key}", "message": t("必填")})
        seal = entry.get("seal")
        if seal is not None and not isinstance(seal, str):
            problems.append({"field": f"{where}.seal", "message": t("须为 placeholder 或 PNG 文件路径")})
        elif isinstance(seal, str) and seal != "placeholder":
            seal_path = (path.parent / seal).resolve()
            if not seal_path.is_file() or not seal_path.read_bytes()[:8] == PNG_MAGIC:
                problems.append(
                    {"field": f"{where}.seal", "message": t("不是 PNG 文件：%(path)s", path=seal)}
                )
        seen.add(code)
        out.append({**entry, "position": i})
    if problems:
        raise ValidationFailed(t("组织机构数据有误：%(path)s", path=str(path)), problems, code="org_invalid")
    return out


def load_departments(actor: Actor | None, path: Path | None = None, commit: bool = True) -> list[str]:
    """Create or update every department of the file (idempotent). Returns the codes changed."""
    if actor is not None and not actor.has_role("admin"):
        raise Forbidden(t("仅管理员可维护组织机构"), code="admin_only")
    path = path or DEFAULT_FILE
    entries = read_departments_file(path)
    existing = {d.code: d for d in Session.scalars(select(Department))}
    changed = []
    for entry in entries:
        seal = entry.get("seal")
        values: dict[str, Any] = {
            "name_zh": entry["name"]["zh"],
            "name_en": entry["name"]["en"],
            "level": entry["level"],
            "parent_code": entry.get("parent"),
            "short_name": entry["short_name"],
            "header": entry["header"],
            "reconsideration": entry.get("reconsideration") or "",
            "position": entry["position"],
        }
        row = existing.get(entry["code"])
        if row is None:
            row = Department(code=entry["code"], **values)
            Session.add(row)
            Session.flush()  # children name it as their parent
            changed.append(row.code)
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row.code)
        if seal == "placeholder" and row.seal_png is None:
            row.seal_png = placeholder_seal(row.header)
        elif isinstance(seal, str) and seal != "placeholder":
            png = (path.parent / seal).resolve().read_bytes()
            if row.seal_png != png:
                row.seal_png = png
                changed.append(row.code)
    Session.flush()
    if changed:
        audit.record(actor, "org.load", None, target=str(path.name), after={"departments": changed})
    if commit:
        Session.commit()
    invalidate()
    return changed


def ensure_departments() -> None:
    """The default organisation, when the table is still empty (first deploy, tests)."""
    if Session.scalar(select(Department.code).limit(1)) is None:
        load_departments(None, commit=False)


@lru_cache(maxsize=1)
def _all() -> dict[str, DepartmentInfo]:
    rows = Session.scalars(select(Department).order_by(Department.position, Department.code)).all()
    return {
        d.code: DepartmentInfo(
            d.code,
            d.name_zh,
            d.name_en,
            d.level,
            d.parent_code,
            d.short_name or d.name_zh[:2],
            d.header or d.name_zh,
            d.reconsideration,
            d.seal_png is not None,
        )
        for d in rows
    }


def invalidate() -> None:
    _all.cache_clear()


def departments() -> list[DepartmentInfo]:
    return list(_all().values())


def department_codes() -> set[str]:
    """Codes a catalogue entry may name: the departments in the database, else those of the data file
    (validating item folders before the organisation is loaded)."""
    codes = set(_all())
    return codes or {str(d["code"]) for d in read_departments_file()}


def department(code: str | None) -> DepartmentInfo | None:
    if not code:
        return None
    info = _all().get(code)
    if info is None:  # created since the cache was filled (another process)
        invalidate()
        info = _all().get(code)
    return info


def get_department(code: str) -> DepartmentInfo:
    info = department(code)
    if info is None:
        raise NotFound(t("部门 %(code)s 不存在", code=code), code="department_not_found")
    return info


def name(code: str | None, lang: str = "zh") -> str:
    """The department's name in ``lang`` (zh or en); the code itself when it is unknown."""
    info = department(code)
    if info is None:
        return code or ""
    return info.name_en if lang == "en" else info.name_zh


def chain(code: str) -> list[str]:
    """The department and every department above it, nearest first."""
    out: list[str] = []
    current = department(code)
    while current is not None and current.code not in out:
        out.append(current.code)
        current = department(current.parent)
    return out


def seal_of(code: str) -> bytes | None:
    return Session.scalar(select(Department.seal_png).where(Department.code == code))


def set_seal(actor: Actor, code: str, png: bytes) -> None:
    """An administrator replaces a department's seal image (a PNG, at most 2 MB)."""
    if not actor.has_role("admin"):
        raise Forbidden(t("仅管理员可维护组织机构"), code="admin_only")
    row = Session.get(Department, code)
    if row is None:
        raise NotFound(t("部门 %(code)s 不存在", code=code), code="department_not_found")
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SEAL_BYTES:
        raise ValidationFailed(
            t("印章须为不超过 2 MB 的 PNG 图片"),
            [{"field": "seal", "message": t("须为 PNG 图片，不超过 2 MB")}],
        )
    row.seal_png = png
    audit.record(actor, "org.seal", None, target=code, after={"bytes": len(png)})
    Session.commit()
    invalidate()
