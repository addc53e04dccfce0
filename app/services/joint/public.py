"""一件事 on the applicant's side: the components of a master case in public words.

The applicant deals with the master's one case number; what each department did with its part is shown
on it — item, department, status and step names, dates; on the applicant's own page also its clock and,
once decided, its documents and e-licence. The public progress lookup shows the public part only: no
component case numbers, no names, no opinions (``joint.shared_opinions`` stays false for everyone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Case, CaseDocument, Licence, Session
from app.services import public_cases
from app.services.auth import Actor
from app.services.cases import get_case, load_case
from app.services.guide import department_name
from app.services.joint.spec import components_of, is_master
from app.services.projection import OPEN_STATUSES


def component_progress(child: Case) -> dict[str, Any]:
    """One department's part as anyone with the receipt may see it."""
    closed = child.status in ("completed", "refused")
    return {
        "item": {"code": child.item.code, "name": {"zh": child.item.name_zh, "en": child.item.name_en}},
        "department": {"code": child.department_code, "name": department_name(child.department_code)},
        "status": child.status,
        "status_name": public_cases.STATUS_NAMES.get(child.status, {"zh": child.status, "en": child.status}),
        "outcome": child.outcome if closed else None,
        "outcome_name": public_cases.OUTCOME_NAMES.get(child.outcome or "") if closed else None,
        "current_steps": public_cases.current_steps(child),
        "accepted_on": child.accepted_on.isoformat() if child.accepted_on else None,
        "decided_on": child.decided_on.isoformat() if child.decided_on else None,
        "deadline": child.deadline.isoformat() if child.deadline and child.status in OPEN_STATUSES else None,
    }


def component_of_applicant(child: Case) -> dict[str, Any]:
    """The applicant's view: the public part, its clock, and once decided its documents and e-licence
    (downloaded through the master: ``documents.component_document_pdf``)."""
    decided = child.decided_on is not None or child.status not in OPEN_STATUSES
    docs = (
        Session.scalars(
            select(CaseDocument).where(CaseDocument.case_id == child.id).order_by(CaseDocument.id)
        ).all()
        if decided
        else []
    )
    lic = Session.scalar(select(Licence).where(Licence.case_id == child.id)) if decided else None
    running = child.status in OPEN_STATUSES
    return {
        **component_progress(child),
        "case_no": child.case_no,
        "clock": {
            "deadline": child.deadline.isoformat() if child.deadline and running else None,
            "remaining_wd": child.remaining_wd if running else None,
            "paused": bool(child.clock_paused) and running,
            "light": child.light if running else None,
        },
        "documents": [
            {
                "id": d.id,
                "kind": d.kind,
                "title": d.title,
                "number": d.number,
                "issued_on": (d.content or {}).get("issued_on"),
            }
            for d in docs
        ],
        "licence": {
            "licence_no": lic.licence_no,
            "verify_code": lic.verify_code,
            "type_name": lic.type_name,
            "status": lic.status,
        }
        if lic is not None
        else None,
    }


def lookup_progress(case_no: str, code: str) -> dict[str, Any]:
    """The public progress lookup (public_cases.lookup_progress) with a master's components."""
    out = public_cases.lookup_progress(case_no, code)
    case = load_case(out["case_no"])
    out["components"] = [component_progress(k) for k in components_of(case)] if is_master(case) else []
    return out


def applicant_case(actor: Actor, case_no: str) -> dict[str, Any]:
    """The applicant's case page (public_cases.applicant_case) with a master's components."""
    out = public_cases.applicant_case(actor, case_no)
    case = get_case(actor, case_no)
    out["components"] = [component_of_applicant(k) for k in components_of(case)] if is_master(case) else []
    return out
