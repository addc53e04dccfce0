"""The window's form of a joint item (一件事): the applicant once, then each department's own application
fields (prefixed ``<item slug>__``), and the union of the materials — one page, one submission."""

from __future__ import annotations

from typing import Any

from app.services import joint
from app.services.catalogue import forms_for, get_item
from app.services.errors import ValidationFailed

SEP = "__"


def is_joint(item) -> bool:
    return joint.joint_spec(item) is not None


def merged_form(item) -> dict[str, Any]:
    base = forms_for(item.current_version).get("application.json") or {}
    schema, ui = base.get("schema") or {}, base.get("ui") or {}
    props = {k: v for k, v in (schema.get("properties") or {}).items() if k != "components"}
    fields = {k: v for k, v in (ui.get("fields") or {}).items() if k in props}
    order = [k for k in ui.get("order") or props if k in props]
    required = [k for k in schema.get("required") or [] if k in props]
    for slug in (joint.joint_spec(item) or {}).get("components") or []:
        comp = get_item(slug)
        form = forms_for(comp.current_version or "").get("application.json") or {}
        cschema, cui = form.get("schema") or {}, form.get("ui") or {}
        cprops = cschema.get("properties") or {}
        for key in cui.get("order") or list(cprops):
            if key in joint.APPLICANT_FIELDS or key == "submitted_materials" or key not in cprops:
                continue
            name = f"{slug}{SEP}{key}"
            props[name] = cprops[key]
            label = ((cui.get("fields") or {}).get(key) or {}).get("label") or {"zh": key, "en": key}
            fields[name] = {
                **((cui.get("fields") or {}).get(key) or {}),
                "label": {
                    "zh": f"{comp.name_zh}：{label.get('zh', key)}",
                    "en": f"{comp.name_en}: {label.get('en', key)}",
                },
            }
            order.append(name)
            if key in (cschema.get("required") or []):
                required.append(name)
    return {
        "title": base.get("title"),
        "schema": {
            "type": "object",
            "properties": props,
            "required": required,
            "allOf": schema.get("allOf") or [],
        },
        "ui": {"order": order, "fields": fields},
    }


def joint_data(item, flat: dict[str, Any]) -> dict[str, Any]:
    """The parsed page back into the joint application: applicant fields and ``components``."""
    comps: dict[str, dict[str, Any]] = {s: {} for s in (joint.joint_spec(item) or {}).get("components") or []}
    out: dict[str, Any] = {}
    for key, value in flat.items():
        slug, sep, rest = key.partition(SEP)
        if sep and slug in comps:
            comps[slug][rest] = value
        else:
            out[key] = value
    return {**out, "components": comps}


def page_field(field: str) -> str:
    """An error's field (``components.<slug>.<path>``) as the page's field name."""
    if field.startswith("components."):
        _c, slug, *rest = field.split(".")
        return f"{slug}{SEP}{'.'.join(rest)}" if rest else field
    return field


def file_joint(actor, item, data: dict[str, Any], uploads, id_check=None):
    """File the parsed page (window or portal); errors come back under the page's field names."""
    try:
        return joint.file_joint_application(
            actor, item.code, joint_data(item, data), uploads, id_check=id_check
        )
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, list) else []
        fixed = [{**d, "field": page_field(str(d.get("field")))} for d in details]
        raise ValidationFailed(exc.message, fixed) from exc
