"""Cases: submit an application, read a case, deliver the applicant's supplement."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models import AuditEvent, Case, Material, Session, User, utcnow
from app.models.vocab import CLOSED_STATUSES, CaseStatus, Role
from app.services import intake, receipts
from app.services.advance import (
    DeliverMessage,
    Record,
    Withdraw,
    advance_case,
    all_or_nothing,
    engine_error,
    open_case,
)
from app.services.auth import Actor
from app.services.casenumbers import is_valid_case_no, make_case_no
from app.services.catalogue import definition_for, forms_for, get_item
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.filestore import StoredFile, add_material
from app.services.forms import validate_form
from app.services.i18n import t
from engine.errors import EngineError
from engine.events import SpecialProcedureRenotified
from engine.identity import validate_resident_id, validate_uscc
from engine.runtime import CaseRun

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_applicant(applicant: Any) -> dict[str, Any]:
    if not isinstance(applicant, dict):
        raise ValidationFailed(
            "applicant must be an object", [{"field": "applicant", "message": "not an object"}]
        )
    problems = []
    kind = applicant.get("kind")
    name = (applicant.get("name") or "").strip() if isinstance(applicant.get("name"), str) else ""
    id_no: str = applicant["id_no"] if isinstance(applicant.get("id_no"), str) else ""
    phone = applicant.get("phone")
    if kind not in ("person", "entity"):
        problems.append({"field": "applicant.kind", "message": t("必须是 person 或 entity")})
    if not name or len(name) > 200:
        problems.append({"field": "applicant.name", "message": t("必填，最长 200 字")})
    normalised = id_no
    try:
        if kind == "person":
            normalised = validate_resident_id(id_no)
        elif kind == "entity":
            normalised = validate_uscc(id_no)
    except ValueError as exc:
        problems.append({"field": "applicant.id_no", "message": str(exc)})
    if phone not in (None, "") and (not isinstance(phone, str) or not PHONE_RE.match(phone)):
        problems.append({"field": "applicant.phone", "message": t("电话号码格式不正确")})
    extra = set(applicant) - {"kind", "name", "id_no", "phone"}
    for key in sorted(extra):
        problems.append({"field": f"applicant.{key}", "message": t("不允许的字段")})
    if problems:
        raise ValidationFailed(t("申请人信息有误"), problems)
    return {"kind": kind, "name": name, "id_no": normalised, "phone": phone or None}


def can_view(actor: Actor, case: Case) -> bool:
    """Oversight sees every case; department staff their departments' cases; applicants their own."""
    if actor.is_oversight:
        return True
    if actor.is_applicant and case.applicant_user_id is not None and case.applicant_user_id == actor.id:
        return True
    if intake.registered_by_window(actor, case):
        return True  # the comprehensive window keeps sight of the cases it registered
    return (
        actor.holds_in(case.department_code)
        or works_a_component(actor, case)
        or windows_a_joint_master(actor, case)
    )


def windows_a_joint_master(actor: Actor, case: Case) -> bool:
    """一件事: a joint master filed online is the comprehensive window's of its centre to accept and hand
    over (统一受理、统一出件), like one registered at that window."""
    joint = case.parent_case_id is None and bool((case.item.definition or {}).get("joint"))
    return joint and actor.holds_in(case.department_code, Role.WINDOW)


def works_a_component(actor: Actor, case: Case) -> bool:
    """一件事: a department working a component of a master case may read the master (its summary and
    the shared materials), never another component (app.services.joint)."""
    if not actor.is_staff:
        return False
    depts = Session.scalars(select(Case.department_code).where(Case.parent_case_id == case.id))
    return any(actor.holds_in(code) for code in depts)


def may_file_for(actor: Actor, case: Case) -> bool:
    """The case's applicant, or a clerk of its department acting for them at the window."""
    return (
        actor.is_applicant and case.applicant_user_id is not None and case.applicant_user_id == actor.id
    ) or actor.may_act(Role.CLERK, case.department_code)


def submit_application(
    actor: Actor,
    item_code: str,
    applicant: Any,
    data: Any,
    now: datetime | None = None,
    *,
    files: Sequence[tuple[str, StoredFile]] = (),
    link: Callable[[Case], None] | None = None,
) -> Case:
    """File a case. ``files`` (material code, file already checked and kept in the store) become its
    round-0 materials in the same transaction, so the receipt issued on ``Submitted`` lists them;
    ``link`` is called with the new case in that transaction too (a draft records its case)."""
    item = get_item(item_code)
    if intake.may_file_for_others(actor, item):
        owner_id = None  # filed at a window (the department's own, or a comprehensive one) for the applicant
    elif actor.is_applicant:
        owner_id = actor.id
    else:
        raise Forbidden(t("只有申请人或本部门窗口人员可以提交申请"), code="not_allowed")
    if item.current_version is None:
        raise Conflict(t("事项 %(code)s 尚未部署流程", code=item.code), code="item_not_deployed")
    if not item.accepting:
        raise Conflict(t("事项 %(code)s 已暂停受理新申请", code=item.code), code="item_not_accepting")
    who = validate_applicant(applicant)
    forms = forms_for(item.current_version)
    if data is None:
        data = {}
    if "application.json" in forms:
        data = validate_form(forms["application.json"], data)
    elif not isinstance(data, dict):
        raise ValidationFailed("data must be an object", [{"field": "data", "message": "not an object"}])
    definition = definition_for(item.current_version)
    submitted = now or utcnow()
    try:
        run = CaseRun.start(
            definition, {"application": data, "applicant": who, "item_code": item.code}, now=now
        )
    except EngineError as exc:
        raise engine_error(exc) from exc
    with all_or_nothing():
        case = Case(
            item_id=item.id,
            process_version=item.current_version,
            department_code=item.department_code,
            applicant_user_id=owner_id,
            applicant_kind=who["kind"],
            applicant_name=who["name"],
            applicant_id_no=who["id_no"],
            applicant_phone=who["phone"],
            status=CaseStatus.ACCEPTING,
            state="",
            state_format="tongban-spiff-1",
            submitted_at=submitted,
            query_code=receipts.new_query_code(),
            tasks=[],  # a new case has no tasks: spare the lazy load (and its autoflush)
        )
        Session.add(case)
        Session.flush()
        case.case_no = make_case_no(case.id, submitted)
        written = [add_material(actor, case, code, stored, 0) for code, stored in files]
        if link is not None:
            link(case)
        with_files = {code for code, _stored in files}
        listed = data.get("submitted_materials")
        for code in listed if isinstance(listed, list) else []:
            if isinstance(code, str) and code not in with_files:
                # declared at filing; the bytes arrive through the materials upload
                declared = Material(
                    case_id=case.id, code=code, filename="", content_type="", size=0, sha256="", round=0
                )
                Session.add(declared)
                written.append(declared)
    open_case(
        actor,
        case,
        run,
        channel="online" if owner_id is not None else "window",
        now=submitted,
        # every material of the new case, unless ``link`` may have written more (a licence used in place
        # of a file): the receipt lists them without reading them back
        materials=written if link is None else None,
    )
    return case


def load_case(case_no: str) -> Case:
    if not is_valid_case_no(case_no):
        raise NotFound(t("办件编号 %(case_no)s 格式不正确或不存在", case_no=case_no), code="case_not_found")
    stmt = select(Case).where(Case.case_no == case_no).options(selectinload(Case.tasks))
    case = Session.scalar(stmt)
    if case is None:
        raise NotFound(t("办件 %(case_no)s 不存在", case_no=case_no), code="case_not_found")
    return case


def get_case(actor: Actor, case_no: str) -> Case:
    case = load_case(case_no)
    if not can_view(actor, case):
        # Same answer as a missing case: no probing of other people's case numbers.
        raise NotFound(t("办件 %(case_no)s 不存在", case_no=case_no), code="case_not_found")
    return case


def people_of(case: Case, extra: list[Any] | None = None) -> dict[int, str]:
    """Display names of the people who worked the case (and of ``extra`` user ids)."""
    ids = {t.completed_by_id for t in case.tasks} | {t.assignee_id for t in case.tasks}
    ids |= {i for i in extra or [] if isinstance(i, int)}
    ids.discard(None)
    if not ids:
        return {}
    rows = Session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {int(r[0]): str(r[1]) for r in rows}


def case_history(case: Case) -> list[AuditEvent]:
    return list(
        Session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
    )


def submit_supplement(actor: Actor, case_no: str, data: Any, now: datetime | None = None) -> Case:
    """The applicant's corrected materials (补正): the case returns to acceptance."""
    with all_or_nothing():
        case = get_case(actor, case_no)
        if not may_file_for(actor, case):
            raise Forbidden(t("只有申请人或本部门窗口人员可以补正材料"), code="not_allowed")
        if case.waiting_for != "supplement":
            raise Conflict(f"办件 {case_no} 当前无需补正", code="not_correcting")
        forms = forms_for(case.process_version)
        if "supplement.json" in forms:
            data = validate_form(forms["supplement.json"], data)
        elif not isinstance(data, dict):
            raise ValidationFailed("data must be an object", [{"field": "data", "message": "not an object"}])
    advance_case(actor, case, DeliverMessage("supplement", data), audit_action="case.supplement", now=now)
    return case


def withdraw_application(actor: Actor, case_no: str, reason: Any, now: datetime | None = None) -> Case:
    """撤回申请: the applicant (or the window on their behalf) withdraws before a decision is made."""
    with all_or_nothing():
        case = get_case(actor, case_no)
        if not may_file_for(actor, case):
            raise Forbidden(t("只有申请人或本部门窗口人员可以撤回申请"), code="not_allowed")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
            raise ValidationFailed(
                t("请填写撤回理由（最长 1000 字）"), [{"field": "reason", "message": t("必填，最长 1000 字")}]
            )
        if case.decided_on is not None or case.status in CLOSED_STATUSES:
            raise Conflict(f"办件 {case_no} 已作出决定或已办结，不能撤回", code="already_decided")
    advance_case(actor, case, Withdraw(reason.strip()), audit_action="case.withdraw", now=now)
    return case


def renotify_special_procedure(
    actor: Actor, case_no: str, notified_wd: Any, reason: Any, now: datetime | None = None
) -> Case:
    """A further written notice (Art. 45): the special procedure needs longer; reason and new duration.

    Until it is issued, a procedure past its notified duration counts against the decision clocks.
    """
    with all_or_nothing():
        case = get_case(actor, case_no)
        if not actor.holds_in(case.department_code, Role.REVIEWER, Role.DECIDER):
            raise Forbidden(
                t("只有本部门审查或决定人员可以再次书面告知特殊程序所需时间"), code="not_responsible"
            )
        if case.status != CaseStatus.SPECIAL_PROCEDURE:
            raise Conflict(f"办件 {case_no} 当前不在特殊程序中", code="no_special_procedure")
        if isinstance(notified_wd, bool) or not isinstance(notified_wd, int):
            raise ValidationFailed(
                t("所需时间必须是整数个工作日"), [{"field": "notified_wd", "message": t("整数")}]
            )
        if not isinstance(reason, str):
            raise ValidationFailed(t("请写明理由"), [{"field": "reason", "message": t("必填")}])
        open_codes = [
            s["code"] for s in (case.clock_inputs or {}).get("special", []) if s.get("stopped_on") is None
        ]
        event = SpecialProcedureRenotified(
            code=open_codes[-1] if open_codes else "", notified_wd=notified_wd, reason=reason
        )
    advance_case(actor, case, Record(event), audit_action="case.special_renotified", now=now)
    return case
