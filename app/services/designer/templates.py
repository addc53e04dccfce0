"""Starting points of a draft: the standard template (accept → review → decide → deliver) or a copy of
an item's version under a new code and slug (ids that carry the old slug are renamed with it)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from engine.xmlsafe import parse_xml

TEMPLATE_DIR = Path(__file__).resolve().parent / "template"
TEMPLATE_FORMS = (
    "application",
    "accept",
    "review",
    "decide",
    "approve_extension",
    "issue_result",
    "supplement",
)
ID_ATTRIBUTES = ("id", "processRef", "calledElement", "bpmnElement", "sourceRef", "targetRef", "messageRef")
TEXT_REFS = ("flowNodeRef", "incoming", "outgoing")


def template_bundle(slug: str, code: str, name_zh: str, name_en: str, department: str) -> dict[str, Any]:
    bpmn = (TEMPLATE_DIR / "standard.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace("__SLUG__", slug).replace("__NAME__", name_zh)
    forms = {
        f"{n}.json": json.loads((TEMPLATE_DIR / f"{n}.json").read_text(encoding="utf-8"))
        for n in TEMPLATE_FORMS
    }
    item = {
        "code": code,
        "slug": slug,
        "process_id": slug,
        "name": {"zh": name_zh, "en": name_en},
        "department": department,
        "kind": "promised",
        "power_type": "licensing",
        "power_type_basis": "《中华人民共和国行政许可法》第二条。",
        "authority_level": "city",
        "authority_basis": "按本级政府权责清单第一条确定的实施机关。",
        "legal_basis": ["《中华人民共和国行政许可法》第三十二条、第四十二条、第四十四条"],
        "limits": {
            "statutory_wd": 20,
            "statutory_basis": "《中华人民共和国行政许可法》第四十二条：除可以当场作出行政许可决定的外，应当自受理之日起二十日内作出决定。",
            "promised_wd": 7,
            "promised_basis": "承诺时限不超过法定时限的35%。",
            "acceptance_wd": 5,
            "delivery_wd": 10,
            "extension_max_wd": 10,
            "extension_basis": "《中华人民共和国行政许可法》第四十二条：经本行政机关负责人批准，可以延长十日，并应当将延长期限的理由告知申请人。",
            "applicant_correction_wd": 30,
            "statutory_starts": "accepted",
            "statutory_starts_basis": "《中华人民共和国行政许可法》第四十二条：自受理行政许可申请之日起计算。",
            "correction_expiry": "alert",
            "correction_expiry_basis": "《中华人民共和国行政许可法》第三十二条未规定逾期不补正的后果，提醒窗口人员。",
        },
        "lights": {"yellow_remaining_wd": 2, "yellow_consumed_pct": 80},
        "fees": {"zh": "不收费", "en": "Free of charge"},
        "materials": [
            {
                "code": "application_form",
                "name": {"zh": "申请书", "en": "Application form"},
                "required": True,
                "formats": ["pdf"],
            },
            {
                "code": "applicant_id",
                "name": {"zh": "申请人身份证明", "en": "Applicant's identity document"},
                "required": True,
                "formats": ["pdf", "jpg", "png"],
            },
            {
                "code": "supporting_documents",
                "name": {"zh": "证明材料", "en": "Supporting documents"},
                "required": False,
                "formats": ["pdf"],
            },
        ],
        "special_procedures": [],
        "result": {
            "type": "approval_document",
            "name": {"zh": "准予行政许可决定书", "en": "Decision granting the licence"},
        },
    }
    return {"files": {f"{slug}.bpmn": bpmn}, "forms": forms, "item": item}


def _renamer(old: str, new: str):
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])")
    return lambda value: pattern.sub(new, value)


def rename_files(files: Mapping[str, str], old_slug: str, new_slug: str) -> dict[str, str]:
    """Rename process ids, file names and references that carry ``old_slug`` (snake_case boundaries)."""
    rename = _renamer(old_slug, new_slug)
    out = {}
    for name, text in files.items():
        root = parse_xml(text.encode("utf-8"), name).getroot()
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in ID_ATTRIBUTES:
                if el.get(attr):
                    el.set(attr, rename(el.get(attr)))
            local = el.tag.rsplit("}", 1)[-1]
            if local in TEXT_REFS and el.text:
                el.text = rename(el.text)
        if root.get("targetNamespace"):
            root.set("targetNamespace", rename(root.get("targetNamespace")))
        out[rename(name)] = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    return out


def copy_bundle(
    files: Mapping[str, str],
    forms: Mapping[str, Any],
    item: Mapping[str, Any],
    slug: str,
    code: str,
    name_zh: str | None = None,
    name_en: str | None = None,
) -> dict[str, Any]:
    old_slug = item["slug"]
    new_item = json.loads(json.dumps(dict(item)))
    new_item.update({"slug": slug, "process_id": slug, "code": code})
    if name_zh or name_en:
        new_item["name"] = {"zh": name_zh or item["name"]["zh"], "en": name_en or item["name"]["en"]}
    return {
        "files": rename_files(files, old_slug, slug),
        "forms": json.loads(json.dumps(dict(forms))),
        "item": new_item,
    }
