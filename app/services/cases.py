"""Cases: submit an application, read a case, deliver the applicant's supplement."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.models import AuditEvent, Case, Material, Session, utcnow
from app.services import audit, hooks, intake, receipts
from app.services.auth import Actor
from app.services.casenumbers import is_valid_case_no, make_case_no
from app.services.catalogue import definition_for, forms_for, get_item
from app.services.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from app.services.forms import validate_form
from app.services.projection import apply_snapshot, case_summary
from engine.errors import EngineError, MessageNotExpectedError
from engine.identity import validate_resident_id, validate_uscc
from engine.runtime import CaseRun

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
STAFF_ROLES = ("clerk", "reviewer", "decider")
OVERSIGHT_ROLES = ("supervisor", "admin")


def validate_applicant(applicant: Any) -> dict[str, Any]:
    if not isinstance(applicant, dict):
        raise ValidationFailed(
            "applicant must be an object", [{"field": "applicant", "message": "not an object"}]
        )
    problems = []
    kind = applicant.get("kind")
    name = (applicant.get("name") or "").strip() if isinstance(applicant.get("name"), str) else ""
    id_no = applicant.get("id_no") if isinstance(applicant.get("id_no"), str) else ""
    phone = applicant.get("phone")
    if kind not in ("person", "entity"):
        problems.append(
            {"field": "applicant.kind", "message": "必须是 person 或 entity / must be person or entity"}
        )
    if not name or len(name) > 200:
        problems.append(
            {"field": "applicant.name", "message": "必填，最长 200 字 / required, at most 200 characters"}
        )
    normalised = id_no
    try:
        if kind == "person":
            normalised = validate_resident_id(id_no)
        elif kind == "entity":
            normalised = validate_uscc(id_no)
    except ValueError as exc:
        problems.append({"field": "applicant.id_no", "message": str(exc)})
    if phone not in (None, "") and (not isinstance(phone, str) or not PHONE_RE.match(phone)):
        problems.append({"field": "applicant.phone", "message": "电话号码格式不正确 / invalid phone number"})
    extra = set(applicant) - {"kind", "name", "id_no", "phone"}
    for key in sorted(extra):
        problems.append({"field": f"applicant.{key}", "message": "不允许的字段 / field not allowed"})
    if problems:
        raise ValidationFailed("申请人信息有误 / invalid applicant", problems)
    return {"kind": kind, "name": name, "id_no": normalised, "phone": phone or None}


def _engine_error(exc: EngineError) -> DomainError:
    if isinstance(exc, MessageNotExpectedError):
        return Conflict(exc.message, code=exc.code)
    if exc.code in ("task_not_ready", "task_unknown"):
        return Conflict(exc.message, code=exc.code)
    return DomainError(
        f"流程执行出错 / the process failed: {exc}", details={"element": exc.element}, code="process_error"
    )


def can_view(actor: Actor, case: Case) -> bool:
    if actor.role in OVERSIGHT_ROLES:
        return True
    if actor.role == "applicant":
        return case.applicant_user_id == actor.id
    if actor.role in STAFF_ROLES:
        return case.department_code == actor.department_code
    if actor.role == intake.WINDOW_ROLE:
        return intake.registered_by_window(actor, case)
    return False


def submit_application(
    actor: Actor, item_code: str, applicant: Any, data: Any, now: datetime | None = None
) -> Case:
    item = get_item(item_code)
    if actor.role == "applicant":
        owner_id = actor.id
    elif intake.may_file_for_others(actor, item):
        owner_id = None  # filed at a window on the applicant's behalf
    else:
        raise Forbidden(
            "只有申请人或本部门窗口人员可以提交申请 / only applicants or the department's clerks may file"
        )
    if item.current_version is None:
        raise Conflict(
            f"事项 {item.code} 尚未部署流程 / item has no deployed process", code="item_not_deployed"
        )
    who = validate_applicant(applicant)
    forms = forms_for(item.current_version)
    if data is None:
        data = {}
    if "application.json" in forms:
        data = validate_form(forms["application.json"], data)
    elif not isinstance(data, dict):
        raise ValidationFailed("data must be an object", [{"field": "data", "message": "not an object"}])
    definition = definition_for(item.current_version)
    try:
        run = CaseRun.start(
            definition, {"application": data, "applicant": who, "item_code": item.code}, now=now
        )
    except EngineError as exc:
        raise _engine_error(exc) from exc
    submitted = now or utcnow()
    case = Case(
        item_id=item.id,
        process_version=item.current_version,
        department_code=item.department_code,
        applicant_user_id=owner_id,
        applicant_kind=who["kind"],
        applicant_name=who["name"],
        applicant_id_no=who["id_no"],
        applicant_phone=who["phone"],
        status="accepting",
        state="",
        state_format="tongban-spiff-1",
        submitted_at=submitted,
        query_code=receipts.new_query_code(),
        tasks=[],  # a new case has no tasks: spare the lazy load (and its autoflush)
    )
    Session.add(case)
    Session.flush()
    case.case_no = make_case_no(case.id, submitted)
    opened = apply_snapshot(case, run, run.snapshot())
    listed = data.get("submitted_materials")
    for code in listed if isinstance(listed, list) else []:
        if isinstance(code, str):
            # declared at filing; the bytes arrive through the materials upload
            Session.add(
                Material(case_id=case.id, code=code, filename="", content_type="", size=0, sha256="", round=0)
            )
    hooks.emit("case_submitted", actor=actor, case=case, now=submitted)
    hooks.emit("tasks_opened", case=case, tasks=opened, now=submitted)
    audit.record(actor, "case.submit", case.id, target=case.case_no, before=None, after=case_summary(case))
    Session.commit()
    return case


def load_case(case_no: str) -> Case:
    if not is_valid_case_no(case_no):
        raise NotFound(f"办件编号 {case_no} 格式不正确或不存在 / no case {case_no}", code="case_not_found")
    stmt = select(Case).where(Case.case_no == case_no).options(selectinload(Case.tasks))
    case = Session.scalar(stmt)
    if case is None:
        raise NotFound(f"办件 {case_no} 不存在 / no case {case_no}", code="case_not_found")
    return case


def get_case(actor: Actor, case_no: str) -> Case:
    case = load_case(case_no)
    if not can_view(actor, case):
        # Same answer as a missing case: no probing of other people's case numbers.
        raise NotFound(f"办件 {case_no} 不存在 / no case {case_no}", code="case_not_found")
    return case


def case_history(case: Case) -> list[AuditEvent]:
    return list(
        Session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
    )


def submit_supplement(actor: Actor, case_no: str, data: Any, now: datetime | None = None) -> Case:
    with conflict_guard():
        return _submit_supplement(actor, case_no, data, now)


def _submit_supplement(actor: Actor, case_no: str, data: Any, now: datetime | None) -> Case:
    case = get_case(actor, case_no)
    if not (
        (actor.role == "applicant" and case.applicant_user_id == actor.id)
        or (actor.role == "clerk" and actor.department_code == case.department_code)
    ):
        raise Forbidden(
            "只有申请人或本部门窗口人员可以补正材料 / only the applicant or the department's clerks"
        )
    if case.waiting_for != "supplement":
        raise Conflict(
            f"办件 {case_no} 当前无需补正 / case is not waiting for a supplement", code="not_correcting"
        )
    forms = forms_for(case.process_version)
    if "supplement.json" in forms:
        data = validate_form(forms["supplement.json"], data)
    elif not isinstance(data, dict):
        raise ValidationFailed("data must be an object", [{"field": "data", "message": "not an object"}])
    before = case_summary(case)
    definition = definition_for(case.process_version)
    try:
        run = CaseRun.load(definition, case.state)
        run.send_message("supplement", data, now=now)
    except EngineError as exc:
        Session.rollback()
        raise _engine_error(exc) from exc
    opened = apply_snapshot(case, run, run.snapshot())
    at = now or utcnow()
    hooks.emit("supplement_received", actor=actor, case=case, data=data, now=at)
    hooks.emit("tasks_opened", case=case, tasks=opened, now=at)
    audit.record(
        actor, "case.supplement", case.id, target=case.case_no, before=before, after=case_summary(case)
    )
    commit_case()
    return case


def commit_case() -> None:
    with conflict_guard():
        Session.commit()


@contextmanager
def conflict_guard() -> Iterator[None]:
    """Optimistic locking: whoever saves second (at any flush) gets a 409 and nothing is written."""
    try:
        yield
    except StaleDataError as exc:
        Session.rollback()
        raise Conflict(
            "办件已被他人更新，请刷新后重试 / the case was changed by someone else; reload", code="stale_case"
        ) from exc
