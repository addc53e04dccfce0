"""一件事: reading a joint item — its components, the material map, what a party may read of a component."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app.models import Case, Session
from app.models.vocab import CLOSED_STATUSES, OPEN_TASK_STATES
from app.services import clocks, org

MESSAGE = "components_decided"
APPLICANT_FIELDS = (
    "applicant_kind",
    "applicant_name",
    "applicant_id_number",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "contact_address",
)


def joint_spec(case_or_item: Any) -> dict[str, Any] | None:
    item = getattr(case_or_item, "item", case_or_item)
    spec = (getattr(item, "definition", None) or {}).get("joint")
    return spec if isinstance(spec, dict) else None


def is_master(case: Case) -> bool:
    return joint_spec(case) is not None and case.parent_case_id is None


def components_of(master: Case) -> list[Case]:
    return list(Session.scalars(select(Case).where(Case.parent_case_id == master.id).order_by(Case.id)))


def master_of(case: Case) -> Case | None:
    return Session.get(Case, case.parent_case_id) if case.parent_case_id is not None else None


def material_map(item_definition: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """joint material code → {component slug: that component's material code}."""
    return {
        str(m["code"]): {str(k): str(v) for k, v in (m.get("components") or {}).items()}
        for m in item_definition.get("materials") or []
    }


def to_joint(master: Case, slug: str, code: str) -> str:
    for joint_code, per in material_map(master.item.definition or {}).items():
        if per.get(slug) == code:
            return joint_code
    return code


def is_closed(case: Case) -> bool:
    return case.status in CLOSED_STATUSES


def component_summary(child: Case, lang: str = "zh", on: Any = None) -> dict[str, Any]:
    """What every party to the master may read of a component: no form data, no opinions."""
    return {
        "case_no": child.case_no,
        "item_code": child.item.code,
        "item_slug": child.item.slug,
        "item_name": child.item.name_en if lang == "en" else child.item.name_zh,
        "department_code": child.department_code,
        "department_name": org.name(child.department_code, lang),
        "status": child.status,
        "outcome": child.outcome,
        "accepted_on": child.accepted_on.isoformat() if child.accepted_on else None,
        "decided_on": child.decided_on.isoformat() if child.decided_on else None,
        "deadline": child.deadline.isoformat() if child.deadline else None,
        "light": child.light,
        "clocks": clocks.case_clocks(child, on),
        "open_tasks": [
            {
                "id": task.id,
                "bpmn_id": task.bpmn_id,
                "name": task.name,
                "role": task.role,
                "light": task.light,
            }
            for task in child.tasks
            if task.state in OPEN_TASK_STATES
        ],
    }
