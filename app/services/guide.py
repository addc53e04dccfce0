"""The public service guide (办事指南) and catalogue, generated from item.yaml; the diagram in public words.

Everything here is for people without an account: item.yaml's ``guide:`` block (authority, power
type, conditions, process in words, public step names per user task, fees basis, visits, where and
when, phones, result validity, themes, per-material basis/paper/copies) plus the catalogue keys
(limits, fees, materials, special procedures, result). Blank forms and samples are PDFs committed
under ``processes/<slug>/guide/<material>-blank.pdf`` / ``-sample.pdf`` (scripts/make_guide_files.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from app.models import ServiceItem
from app.services import org
from app.services.catalogue import definition_for, forms_for, get_item, list_items
from app.services.context import ctx
from app.services.errors import NotFound
from app.services.i18n import t
from engine.xmlsafe import parse_xml

THEMES: dict[str, dict[str, str]] = {
    "environment": {"zh": "生态环保", "en": "Environment"},
    "construction": {"zh": "工程建设", "en": "Construction projects"},
    "business": {"zh": "企业经营许可", "en": "Business licences"},
    "transport": {"zh": "交通运输", "en": "Transport"},
    "vehicles": {"zh": "车辆证件", "en": "Vehicle documents"},
}
PAPER: dict[str, dict[str, str]] = {
    "original": {"zh": "原件", "en": "Original"},
    "copy": {"zh": "复印件", "en": "Copy"},
    "original_and_copy": {"zh": "原件和复印件", "en": "Original and copy"},
    "electronic": {"zh": "电子件", "en": "Electronic file"},
}
KINDS = {
    "promised": {"zh": "承诺件", "en": "Promised-time item"},
    "immediate": {"zh": "即办件", "en": "Immediate item"},
}
# Lanes named by a role code and not renamed in the guide still never show the code.
ROLE_FALLBACK = {
    "clerk": {"zh": "受理", "en": "Acceptance"},
    "reviewer": {"zh": "审查", "en": "Review"},
    "decider": {"zh": "决定", "en": "Decision"},
}
STEP_FALLBACK = {"zh": "办理中", "en": "In progress"}
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FILE_KINDS = ("blank", "sample")


def department_name(code: str | None) -> dict[str, str]:
    info = org.department(code)
    zh, en = (info.name_zh, info.name_en) if info else (code or "", code or "")
    return {"zh": zh, "en": en}


def _guide(item: ServiceItem) -> dict[str, Any]:
    return (item.definition or {}).get("guide") or {}


def guide_dir(item: ServiceItem) -> Path:
    return ctx().settings.processes_dir / item.slug / "guide"


def material_files(item: ServiceItem, code: str) -> dict[str, str | None]:
    """File names of the blank form and the sample of one material (None where there is none)."""
    folder = guide_dir(item)
    out: dict[str, str | None] = {}
    for kind in FILE_KINDS:
        name = f"{code}-{kind}.pdf"
        out[kind] = name if (folder / name).is_file() else None
    return out


def guide_file(item_code: str, filename: str) -> tuple[ServiceItem, Path]:
    """A blank form or sample of an item; only names the guide lists (no path tricks)."""
    item = get_item(item_code)
    for m in materials_of(item):
        if filename in (m["blank"], m["sample"]):
            return item, guide_dir(item) / filename
    raise NotFound(t("文件 %(filename)s 不存在", filename=filename), code="guide_file_not_found")


def materials_of(item: ServiceItem) -> list[dict[str, Any]]:
    extra = _guide(item).get("materials") or {}
    out = []
    for m in (item.definition or {}).get("materials") or []:
        more = extra.get(m["code"]) or {}
        paper = more.get("paper") or "original"
        out.append(
            {
                "code": m["code"],
                "name": m["name"],
                "required": bool(m.get("required")),
                "formats": list(m.get("formats") or []),
                "basis": more.get("basis") or "",
                "paper": {"code": paper, "name": PAPER.get(paper, {"zh": paper, "en": paper})},
                "copies": int(more.get("copies") or 1),
                "note": more.get("note"),
                **material_files(item, m["code"]),
            }
        )
    return out


def step_name(item: ServiceItem, bpmn_id: str | None) -> dict[str, str]:
    """The public name of a user task or call activity ("审查", not the staff lane or task name)."""
    steps = _guide(item).get("steps") or {}
    return steps.get(bpmn_id or "") or STEP_FALLBACK


def application_schema(item: ServiceItem) -> dict[str, Any] | None:
    if item.current_version is None:
        return None
    form = forms_for(item.current_version).get("application.json")
    return (form or {}).get("schema")


def guide_of(item: ServiceItem) -> dict[str, Any]:
    d = item.definition or {}
    g = _guide(item)
    limits = d.get("limits") or {}
    steps = g.get("steps") or {}
    public_steps = list({v["zh"]: v for v in steps.values()}.values())
    return {
        "code": item.code,
        "slug": item.slug,
        "name": d.get("name") or {"zh": item.name_zh, "en": item.name_en},
        "department": {"code": item.department_code, "name": department_name(item.department_code)},
        "authority": g.get("authority") or department_name(item.department_code),
        "power_type": g.get("power_type"),
        "kind": {"code": item.kind, "name": KINDS.get(item.kind, {"zh": item.kind, "en": item.kind})},
        "themes": [{"code": t, "name": THEMES.get(t, {"zh": t, "en": t})} for t in g.get("themes") or []],
        "legal_basis": list(d.get("legal_basis") or []),
        "conditions": list(g.get("conditions") or []),
        "process": list(g.get("process") or []),
        "steps": public_steps,
        "limits": {
            "statutory_wd": limits.get("statutory_wd"),
            "statutory_basis": limits.get("statutory_basis"),
            "promised_wd": limits.get("promised_wd"),
            "promised_basis": limits.get("promised_basis"),
            "acceptance_wd": limits.get("acceptance_wd"),
            "delivery_wd": limits.get("delivery_wd"),
            "extension_max_wd": limits.get("extension_max_wd"),
            "applicant_correction_wd": limits.get("applicant_correction_wd"),
        },
        "special_procedures": [
            {
                "code": p.get("code"),
                "name": p.get("name"),
                "limit_wd": p.get("limit_wd"),
                "basis": p.get("basis"),
                "counts_against_limit": False,  # 行政许可法 第四十五条
            }
            for p in d.get("special_procedures") or []
        ],
        "fees": d.get("fees"),
        "fees_basis": g.get("fees_basis"),
        "visits": g.get("visits"),
        "online": bool(g.get("online")),
        "where": g.get("where"),
        "hours": g.get("hours"),
        "consultation_phone": g.get("consultation_phone"),
        "complaint_phone": g.get("complaint_phone"),
        "delivery": g.get("delivery"),
        "result": {
            "type": (d.get("result") or {}).get("type"),
            "name": (d.get("result") or {}).get("name"),
            "validity": g.get("result_validity"),
        },
        "materials": materials_of(item),
        "deployed": item.current_version is not None,
    }


def _matches(item: ServiceItem, term: str) -> bool:
    g = _guide(item)
    haystack = [item.code, item.name_zh, item.name_en]
    haystack += [THEMES.get(t, {}).get(lang, "") for t in g.get("themes") or [] for lang in ("zh", "en")]
    haystack += [_label(g.get("authority"), "zh"), department_name(item.department_code)["zh"]]
    return any(term in h.lower() for h in haystack if h)


def search_catalogue(
    q: str = "", department: str | None = None, theme: str | None = None
) -> list[ServiceItem]:
    """Items matching a search term (name, code, theme, authority), a department and a theme."""
    term = " ".join((q or "").split())[:100].lower()
    return [
        item
        for item in list_items()
        if (not department or item.department_code == department)
        and (not theme or theme in (_guide(item).get("themes") or []))
        and (not term or _matches(item, term))
    ]


def catalogue_groups(items: list[ServiceItem]) -> dict[str, list[dict[str, Any]]]:
    """The same items by department and by theme, each group in catalogue order."""
    by_dept: dict[str, list[ServiceItem]] = {}
    by_theme: dict[str, list[ServiceItem]] = {}
    for item in items:
        by_dept.setdefault(item.department_code, []).append(item)
        for theme in _guide(item).get("themes") or []:
            by_theme.setdefault(theme, []).append(item)
    return {
        "departments": [
            {"code": c, "name": department_name(c), "items": v} for c, v in sorted(by_dept.items())
        ],
        "themes": [
            {"code": c, "name": THEMES.get(c, {"zh": c, "en": c}), "items": by_theme[c]}
            for c in THEMES
            if c in by_theme
        ],
    }


def _label(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("zh") or "")
    return str(value or "")


def public_diagram(item: ServiceItem, lang: str = "zh") -> bytes:
    """The main BPMN with public names: lanes and steps renamed, scripts, conditions and properties removed."""
    if item.current_version is None:
        raise NotFound(t("事项 %(code)s 尚未部署流程", code=item.code), code="item_not_deployed")
    definition = definition_for(item.current_version)
    xml = definition.bpmn_xml().encode("utf-8")
    root = parse_xml(xml, f"{item.slug}.bpmn").getroot()
    g = _guide(item)
    lanes = g.get("lanes") or {}
    steps = g.get("steps") or {}
    ns = {"bpmn": BPMN_NS}
    for lane in root.iterfind(".//bpmn:lane", ns):
        name = lane.get("name") or ""
        public = lanes.get(name) or ROLE_FALLBACK.get(name)
        if public is not None:
            lane.set("name", _label(public, lang))
    for tag in ("userTask", "callActivity", "manualTask", "serviceTask", "scriptTask"):
        for el in root.iterfind(f".//bpmn:{tag}", ns):
            if el.get("id") in steps:
                el.set("name", _label(steps[el.get("id")], lang))
    for tag in ("extensionElements", "conditionExpression", "script", "documentation"):
        for el in list(root.iterfind(f".//bpmn:{tag}", ns)):
            el.getparent().remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
