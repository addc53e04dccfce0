"""Cases in plain language: the applicant's own list and case page, and the public progress lookup.

Only public words leave this module: statuses and step names as the guide calls them (never a lane,
a username or a task id), dates, the promised-limit clock from the case row's columns, and what the
applicant must do next. The progress lookup (case number + query code from the receipt) shows no
personal data at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.models import Case, CaseDocument, Material, ServiceItem, Session, WindowIntake
from app.models.vocab import Role
from app.services.auth import Actor
from app.services.cases import get_case, load_case
from app.services.errors import Forbidden, NotFound, ValidationFailed
from app.services.guide import department_name, step_name
from app.services.i18n import t
from app.services.projection import OPEN_STATES, OPEN_STATUSES
from app.services.receipts import query_code_matches

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_NAMES: dict[str, dict[str, str]] = {
    "received": {"zh": "已收件", "en": "Received"},
    "accepting": {"zh": "受理审查中", "en": "Being checked for acceptance"},
    "correcting": {"zh": "待补正材料", "en": "Waiting for your corrected materials"},
    "in_progress": {"zh": "办理中", "en": "In progress"},
    "special_procedure": {"zh": "特殊程序中", "en": "In a special procedure"},
    "decided": {"zh": "已决定，待送达", "en": "Decided, awaiting delivery"},
    "completed": {"zh": "已办结", "en": "Completed"},
    "refused": {"zh": "不予受理", "en": "Not accepted"},
    "withdrawn": {"zh": "已撤回", "en": "Withdrawn"},
}
OUTCOME_NAMES: dict[str, dict[str, str]] = {
    "approved": {"zh": "准予许可", "en": "Granted"},
    "issued": {"zh": "已办结（已补发）", "en": "Issued"},
    "denied": {"zh": "不予许可", "en": "Not granted"},
    "refused": {"zh": "不予受理", "en": "Not accepted"},
}
NEXT_ACTIONS: dict[str, dict[str, str]] = {
    "supplement": {
        "zh": "请按补正材料通知书，一次性补齐下列材料。补正期间不计入办理时限。",
        "en": "Please supply the materials listed in the correction notice. The waiting time does not count.",
    },
    "wait_acceptance": {
        "zh": "材料已收到，正在受理审查，您无需操作。",
        "en": "Your materials arrived and are being checked; nothing to do for now.",
    },
    "wait": {"zh": "正在办理，您无需操作。", "en": "Your case is being handled; nothing to do for now."},
    "collect": {
        "zh": "已准予许可：请按选择的送达方式领取办理结果，决定书可在下方下载。",
        "en": "Granted: collect the result as chosen; the decision can be downloaded below.",
    },
    "read_decision": {
        "zh": "已作出决定：请下载并阅读决定书，其中载明理由和救济途径。",
        "en": "Decided: download the decision, which gives the reasons and how to appeal.",
    },
    "none": {"zh": "本件已结束。", "en": "This case is closed."},
}
CORRECTING_STEP = {"zh": "待申请人补正材料", "en": "Waiting for your corrected materials"}
SUBMITTED_STEP = {"zh": "提交申请", "en": "Application submitted"}


def _day(value: datetime | None) -> date | None:
    return value.astimezone(SHANGHAI).date() if value is not None else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def current_steps(case: Case) -> list[dict[str, str]]:
    if case.status == "correcting":
        return [CORRECTING_STEP]
    names = [step_name(case.item, t.bpmn_id) for t in case.tasks if t.state in OPEN_STATES]
    return list({n["zh"]: n for n in names}.values())


def timeline(case: Case) -> list[dict[str, Any]]:
    """Public steps with their dates; consecutive tasks with the same public name are one step."""
    out: list[dict[str, Any]] = [
        {
            "name": SUBMITTED_STEP,
            "started_on": _iso(_day(case.submitted_at)),
            "completed_on": None,
            "current": False,
        }
    ]
    for task in sorted(case.tasks, key=lambda task: task.id):
        if task.state == "cancelled":
            continue
        name = step_name(case.item, task.bpmn_id)
        done = _iso(_day(task.completed_at)) if task.state == "completed" else None
        last = out[-1]
        if last["name"]["zh"] == name["zh"] and len(out) > 1:
            last["completed_on"], last["current"] = done, task.state in OPEN_STATES
            continue
        out.append(
            {
                "name": name,
                "started_on": _iso(_day(task.created_at)),
                "completed_on": done,
                "current": task.state in OPEN_STATES,
            }
        )
    return out


def next_action(case: Case) -> str:
    if case.status == "correcting":
        return "supplement"
    if case.status == "accepting":
        return "wait_acceptance"
    if case.status in OPEN_STATUSES:
        return "wait"
    if case.status == "completed" and case.outcome in ("approved", "issued"):
        return "collect"
    if case.status in ("completed", "refused"):
        return "read_decision"
    return "none"


def _clock(case: Case) -> dict[str, Any]:
    """The governing limit from the case row: which clock, its deadline and working days left."""
    return {
        "kind": case.deadline_kind,
        "immediate": case.item.kind == "immediate",
        "deadline": _iso(case.deadline),
        "remaining_wd": case.remaining_wd,
        "paused": bool(case.clock_paused),
        "promised_wd": case.item.promised_wd,
        "statutory_wd": case.item.statutory_wd,
        "confirmed": bool(case.deadline_confirmed),
    }


def progress_of(case: Case) -> dict[str, Any]:
    """What anyone with the receipt may see: no names, ID numbers, phones or form data."""
    return {
        "case_no": case.case_no,
        "item": {"code": case.item.code, "name": {"zh": case.item.name_zh, "en": case.item.name_en}},
        "department": {"code": case.department_code, "name": department_name(case.department_code)},
        "status": case.status,
        "status_name": STATUS_NAMES.get(case.status, {"zh": case.status, "en": case.status}),
        "outcome_name": OUTCOME_NAMES.get(case.outcome or "")
        if case.status in ("completed", "refused")
        else None,
        "current_steps": current_steps(case),
        "submitted_on": _iso(_day(case.submitted_at)),
        "received_on": _iso(case.received_on),
        "accepted_on": _iso(case.accepted_on),
        "decided_on": _iso(case.decided_on),
        "completed_on": _iso(_day(case.completed_at)),
        "deadline": _iso(case.deadline) if case.status in OPEN_STATUSES else None,
        "timeline": timeline(case),
    }


def lookup_progress(case_no: str, code: str) -> dict[str, Any]:
    """The public progress lookup; a wrong code answers exactly like a missing case."""
    case_no = "".join((case_no or "").split()).upper()
    try:
        case = load_case(case_no)
    except NotFound:
        case = None
    if case is None or not query_code_matches(case.query_code, code):
        raise NotFound(t("办件编号或查询码不正确"), code="progress_not_found")
    return progress_of(case)


def _correction_items(case: Case) -> list[str]:
    if case.status != "correcting":
        return []
    doc = Session.scalar(
        select(CaseDocument)
        .where(CaseDocument.case_id == case.id, CaseDocument.kind == "correction_notice")
        .order_by(CaseDocument.id.desc())
        .limit(1)
    )
    return list((doc.content or {}).get("items") or []) if doc else []


def applicant_case(actor: Actor, case_no: str) -> dict[str, Any]:
    """The applicant's case page: progress, clock, next action, materials and documents, in public words."""
    case = get_case(actor, case_no)
    if not actor.is_applicant:
        raise Forbidden(t("仅申请人本人可查看"), code="applicants_only")
    specs = {m["code"]: m for m in (case.item.definition or {}).get("materials") or []}
    materials = Session.scalars(
        select(Material).where(Material.case_id == case.id, Material.sha256 != "").order_by(Material.id)
    ).all()
    documents = Session.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id)
    ).all()
    return {
        **progress_of(case),
        "query_code": case.query_code,
        "applicant_name": case.applicant_name,
        "clock": _clock(case),
        "next_action": {"code": next_action(case), **NEXT_ACTIONS[next_action(case)]},
        "correction_items": _correction_items(case),
        "may_withdraw": case.status in OPEN_STATUSES and case.decided_on is None,
        "materials": [
            {
                "id": m.id,
                "code": m.code,
                "name": (specs.get(m.code) or {}).get("name") or {"zh": m.code, "en": m.code},
                "filename": m.filename,
                "size": m.size,
                "round": m.round,
                "uploaded_on": _iso(_day(m.uploaded_at)),
            }
            for m in materials
        ],
        "documents": [
            {
                "id": d.id,
                "kind": d.kind,
                "title": d.title,
                "number": d.number,
                "issued_on": d.content.get("issued_on"),
            }
            for d in documents
        ],
    }


@dataclass(frozen=True)
class CasePage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int


def _scope(actor: Actor):
    """Which cases the actor may list: every grant adds its own (oversight sees all)."""
    if actor.is_oversight:
        return None
    allowed = []
    if actor.is_applicant:
        allowed.append(Case.applicant_user_id == actor.id)
    if departments := actor.departments():
        allowed.append(Case.department_code.in_(departments))
    if windows := actor.departments(Role.WINDOW):
        allowed.append(
            Case.id.in_(select(WindowIntake.case_id).where(WindowIntake.department_code.in_(windows)))
        )
    if allowed:
        return or_(*allowed)
    raise Forbidden(t("无权查看办件"), code="forbidden")


def list_cases(
    actor: Actor,
    *,
    status: str | None = None,
    item_code: str | None = None,
    q: str | None = None,
    light: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> CasePage:
    """The actor's cases: an applicant's own, a department's for its staff, the window's intakes, all for oversight."""
    if status is not None and status not in STATUS_NAMES:
        raise ValidationFailed(
            t("status 取值无效"), [{"field": "status", "message": ", ".join(STATUS_NAMES)}]
        )
    if light is not None and light not in ("green", "yellow", "red"):
        raise ValidationFailed(t("light 取值无效"), [{"field": "light", "message": "green, yellow, red"}])
    conds = [c for c in (_scope(actor),) if c is not None]
    if status:
        conds.append(Case.status == status)
    if light:
        conds.append(Case.light == light)
    if item_code:
        conds.append(
            Case.item_id.in_(
                select(ServiceItem.id).where(
                    (ServiceItem.code == item_code) | (ServiceItem.slug == item_code)
                )
            )
        )
    if q:
        term = q.strip()[:64].replace("%", "").replace("_", "")
        conds.append(Case.case_no.like(term.upper() + "%") | Case.applicant_name.like(term + "%"))
    total = Session.scalar(select(func.count()).select_from(Case).where(*conds)) or 0
    cases = Session.scalars(
        select(Case)
        .where(*conds)
        .options(selectinload(Case.tasks))
        .order_by(Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    rows = [
        {
            **progress_of(c),
            "applicant_name": c.applicant_name,
            "light": c.light if actor.is_staff or actor.is_oversight else None,
            "remaining_wd": c.remaining_wd,
        }
        for c in cases
    ]
    return CasePage(rows, total, page, per_page)
