"""一件事: the applicant's supplement, the extension of the joint limit, the collection at the window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import Case, Session, utcnow
from app.models.vocab import OPEN_TASK_STATES, Role
from app.services import org
from app.services.advance import (
    DeliverMessage,
    Record,
    advance_case,
    all_or_nothing,
    step_case,
)
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.catalogue import forms_for
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.forms import validate_form
from app.services.i18n import t
from app.services.joint.spec import (
    components_of,
    is_closed,
    is_master,
    to_joint,
)
from app.services.tasks import complete_task
from engine.events import (
    ExtensionApproved,
    ExtensionRequested,
    Supplemented,
)


def _master(actor: Actor, case_no: str) -> Case:
    case = get_case(actor, case_no)
    if not is_master(case):
        raise Conflict(t("办件 %(case_no)s 不是“一件事”主办件", case_no=case_no), code="not_joint_case")
    return case


def _window_or_applicant(actor: Actor, master: Case) -> bool:
    return (actor.is_applicant and master.applicant_user_id == actor.id) or actor.may_act(
        Role.WINDOW, master.department_code
    )


def submit_joint_supplement(actor: Actor, case_no: str, data: Any, now: datetime | None = None) -> Case:
    """The applicant's supplement to the combined notice, routed to the components that asked."""
    at = now or utcnow()
    with all_or_nothing():
        master = _master(actor, case_no)
        if not _window_or_applicant(actor, master):
            raise Forbidden(t("只有申请人或综合窗口人员可以提交补正"), code="not_allowed")
        given = data.get("components") if isinstance(data, dict) else None
        if not isinstance(given, dict) or not given:
            raise ValidationFailed(
                t("请按部门提交补正材料"), [{"field": "components", "message": t("至少一个部门")}]
            )
        kids = {k.item.slug: k for k in components_of(master)}
        routed: list[tuple[Case, dict[str, Any]]] = []
        for slug, part in given.items():
            child = kids.get(slug)
            if child is None:
                raise ValidationFailed(
                    t("本件没有这个部门事项：%(slug)s", slug=slug),
                    [{"field": f"components.{slug}", "message": t("不是本件的部门事项")}],
                )
            if child.waiting_for != "supplement":
                raise Conflict(
                    t("%(dept)s 没有要求补正，不能向其提交补正材料", dept=org.name(child.department_code)),
                    code="component_not_correcting",
                )
            form = forms_for(child.process_version).get("supplement.json")
            clean = validate_form(form, part) if form else part
            routed.append((child, clean))
        contexts = []
        joint_codes: list[str] = []
        for child, clean in routed:
            stepped = step_case(
                actor, child, DeliverMessage("supplement", clean), audit_action="case.supplement", at=at
            )
            if stepped is not None:
                contexts.append(stepped[1])
            for row in clean.get("materials") or []:
                code = row.get("material") if isinstance(row, dict) else row
                joint_codes.append(to_joint(master, child.item.slug, str(code)))
        still_asking = [k for k in kids.values() if k.waiting_for == "supplement"]
        if not still_asking:
            stepped = step_case(
                actor,
                master,
                Record(Supplemented(materials=tuple(dict.fromkeys(joint_codes)))),
                audit_action="joint.supplement",
                at=at,
            )
            if stepped is not None:
                contexts.append(stepped[1])
        Session.commit()
    for context in contexts:
        for work in context.after_commit:
            work()
    return master


def request_joint_extension(
    actor: Actor, case_no: str, days: Any, reason: Any, now: datetime | None = None
) -> Case:
    """The window asks to extend the joint limit (Art. 42 para. 2: at most 15 WD, reason told)."""
    with all_or_nothing():
        master = _master(actor, case_no)
        if not actor.may_act(Role.WINDOW, master.department_code):
            raise Forbidden(t("只有综合窗口人员可以申请延长“一件事”办理期限"), code="not_window")
        if master.accepted_on is None or master.decided_on is not None:
            raise Conflict(t("只有已受理、尚未办结的“一件事”才能延期"), code="not_running")
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationFailed(t("延长期限必须是整数个工作日"), [{"field": "days", "message": t("整数")}])
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
            raise ValidationFailed(
                t("请写明延期理由"), [{"field": "reason", "message": t("必填，最长 1000 字")}]
            )
    advance_case(
        actor,
        master,
        Record(ExtensionRequested(days=days, reason=reason.strip())),
        audit_action="joint.extension_requested",
        now=now,
    )
    return master


def approve_joint_extension(actor: Actor, case_no: str, opinion: Any, now: datetime | None = None) -> Case:
    """本级人民政府负责人 (the head role on the service centre) approves; a department head may not."""
    with all_or_nothing():
        master = _master(actor, case_no)
        if not actor.may_act(Role.HEAD, master.department_code):
            raise Forbidden(
                t(
                    "“一件事”的延期须经本级人民政府负责人批准（《行政许可法》第四十二条第二款），部门负责人不能批准"
                ),
                code="not_government_head",
            )
        if not (master.clock_inputs or {}).get("extension_request"):
            raise Conflict(t("没有待批准的延期申请"), code="no_extension_request")
    text = opinion.strip() if isinstance(opinion, str) else ""
    advance_case(
        actor,
        master,
        Record(ExtensionApproved(opinion=text)),
        audit_action="joint.extension_approved",
        now=now,
    )
    return master


def collect_joint(actor: Actor, case_no: str, data: Any, now: datetime | None = None) -> Case:
    """统一窗口出件: one delivery record for every component's results; only when all have decided."""
    with all_or_nothing():
        master = _master(actor, case_no)
        still_open = [k for k in components_of(master) if not is_closed(k)]
        if still_open:
            names = "、".join(org.name(k.department_code) for k in still_open)
            raise Conflict(t("还有部门未办结，不能统一出件：%(names)s", names=names), code="components_open")
        task = next((x for x in master.tasks if x.bpmn_id == "collect" and x.state in OPEN_TASK_STATES), None)
        if task is None:
            raise NotFound(t("本件没有待出件的任务"), code="nothing_to_collect")
    complete_task(actor, task.id, data, now=now)
    return master
