"""一件事 (joint items): one application, one window, several departments in parallel, one 45-WD clock.

A joint item (item.yaml ``joint.components``) is filed once at a comprehensive window (综合窗口). That
files a MASTER case of the joint item (its own small BPMN: acceptance at the window, the wait for the
components, one collection) and, in the same transaction, one COMPONENT case per component item
(``Case.parent_case_id``), each running its department's own process, forms, roles, step limits and
clocks. The master ties them together:

- materials are filed once under the joint item's codes; each component gets a row for each material
  it needs (same content hash: the bytes are stored once, 共享一次);
- each department checks its part (its own ``accept`` step); correction requests are merged into ONE
  notice on the master (一次性告知) once every component has answered, and the applicant's supplement
  goes back only to the components that asked;
- the window accepts the master (统一受理) once every component has accepted: the 45-WD statutory
  clock of the master starts (《行政许可法》第四十二条第二款), its extension (≤ 15 WD) is approved by the
  head of the level of government — the ``head`` role on the service centre, not a department head;
- when the last component has ended, the master stops its clock and opens ``collect``: everything is
  handed over at the window at once (统一窗口出件), one delivery record.

Master and component steps that belong together commit together (``advance.step_case``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import Case, Material, Session, utcnow
from app.models.vocab import CLOSED_STATUSES, OPEN_TASK_STATES, CaseStatus, Role
from app.services import clocks, intake, org, receipts
from app.services.advance import (
    Advanced,
    DeliverMessage,
    Record,
    Withdraw,
    advance_case,
    all_or_nothing,
    engine_error,
    start_case,
    step_case,
)
from app.services.applications import Upload, file_application
from app.services.auth import Actor
from app.services.casenumbers import make_case_no
from app.services.cases import get_case, validate_applicant
from app.services.catalogue import definition_for, forms_for, get_item
from app.services.clocks.model import new_clock, stop
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.forms import validate_form
from app.services.i18n import t
from app.services.tasks import complete_task
from engine.errors import EngineError
from engine.events import (
    Accepted,
    Completed,
    CorrectionRequested,
    ExtensionApproved,
    ExtensionRequested,
    Refused,
    Supplemented,
)
from engine.runtime import CaseRun
from engine.workcal import local_date

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


# -- reading ------------------------------------------------------------------------------------------


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


def _to_joint(master: Case, slug: str, code: str) -> str:
    for joint_code, per in material_map(master.item.definition or {}).items():
        if per.get(slug) == code:
            return joint_code
    return code


def _closed(case: Case) -> bool:
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


# -- filing -------------------------------------------------------------------------------------------


def _component_data(data: Mapping[str, Any], slug: str, present: set[str], per: dict[str, dict[str, str]]):
    own = dict((data.get("components") or {}).get(slug) or {})
    base = {k: data[k] for k in APPLICANT_FIELDS if k in data}
    codes = [m.get(slug) for m in per.values() if slug in m]
    submitted = [per[j][slug] for j in per if slug in per[j] and j in present]
    return {**base, **own, "submitted_materials": [c for c in codes if c in submitted]}


def file_joint_application(
    actor: Actor,
    item_code: str,
    data: Any,
    uploads: Sequence[Upload],
    *,
    id_check: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """File a joint application at a comprehensive window: the master and its components, or nothing."""
    item = get_item(item_code)
    spec = joint_spec(item)
    if spec is None:
        raise Conflict(t("事项 %(code)s 不是“一件事”联合事项", code=item.code), code="not_joint_item")
    if not intake.is_window(actor):
        raise Forbidden(t("“一件事”须在政务服务中心综合窗口统一收件"), code="window_only")
    if not isinstance(data, dict):
        raise ValidationFailed("data must be an object", [{"field": "data", "message": "not an object"}])
    at = now or utcnow()
    per = material_map(item.definition or {})
    present = {u.code for u in uploads}
    components = [get_item(slug) for slug in spec.get("components") or []]
    # every component's own application form, checked before anything is written
    problems: list[dict[str, Any]] = []
    prepared: list[tuple[Any, dict[str, Any]]] = []
    given = data.get("components")
    for comp in components:
        if comp.current_version is None:
            raise Conflict(t("事项 %(code)s 尚未部署流程", code=comp.code), code="item_not_deployed")
        if not isinstance(given, dict) or not isinstance(given.get(comp.slug), dict):
            problems.append({"field": f"components.{comp.slug}", "message": t("必填")})
            continue
        form = forms_for(comp.current_version).get("application.json") or {}
        try:
            prepared.append((comp, validate_form(form, _component_data(data, comp.slug, present, per))))
        except ValidationFailed as exc:
            for d in exc.details or []:
                problems.append({**d, "field": f"components.{comp.slug}.{d.get('field')}"})
    if problems:
        raise ValidationFailed(t("各部门事项的申请内容有误"), problems)

    def open_components(master: Case) -> None:
        who = validate_applicant(
            {
                "kind": master.applicant_kind,
                "name": master.applicant_name,
                "id_no": master.applicant_id_no,
                "phone": master.applicant_phone,
            }
        )
        Session.flush()
        shared = list(Session.scalars(select(Material).where(Material.case_id == master.id)))
        for comp, comp_data in prepared:
            try:
                run = CaseRun.start(
                    definition_for(comp.current_version),
                    {"application": comp_data, "applicant": who, "item_code": comp.code},
                    now=at,
                )
            except EngineError as exc:
                raise engine_error(exc) from exc
            child = Case(
                item_id=comp.id,
                process_version=comp.current_version,
                department_code=comp.department_code,
                parent_case_id=master.id,
                applicant_user_id=None,  # the applicant deals with the master's one case number
                applicant_kind=master.applicant_kind,
                applicant_name=master.applicant_name,
                applicant_id_no=master.applicant_id_no,
                applicant_phone=master.applicant_phone,
                status=CaseStatus.ACCEPTING,
                state="",
                state_format=master.state_format,
                submitted_at=master.submitted_at,
                query_code=receipts.new_query_code(),
                data={"joint_master": master.case_no},
                tasks=[],
            )
            Session.add(child)
            Session.flush()
            child.case_no = make_case_no(child.id, master.submitted_at)
            for m in shared:
                code = per.get(m.code, {}).get(comp.slug)
                if code is not None:
                    # the same stored bytes (content hash), shown to each component that needs them
                    Session.add(
                        Material(
                            case_id=child.id,
                            code=code,
                            filename=m.filename,
                            content_type=m.content_type,
                            size=m.size,
                            sha256=m.sha256,
                            round=0,
                            uploaded_by_id=m.uploaded_by_id,
                        )
                    )
            _advanced, context = start_case(actor, child, run, channel="window", now=at)
            _pending.extend(context.after_commit)

    _pending: list[Any] = []
    master = file_application(
        actor, item.code, data, uploads, id_check=id_check, now=now, link=open_components
    )
    for work in _pending:
        work()
    return master


# -- capabilities: what the master does when a component or the master moves ----------------------------


def _answered(child: Case) -> bool:
    """The department has answered on acceptance: accepted, refused, or asked for a correction."""
    return child.accepted_on is not None or _closed(child) or child.waiting_for == "supplement"


def _last_request(child: Case) -> list[tuple[str, str]]:
    done = [
        task
        for task in child.tasks
        if task.bpmn_id == "accept" and task.data and task.completed_at is not None
    ]
    if not done:
        return []
    rows = (done[-1].data or {}).get("deficient_materials") or []
    return [(str(r.get("material", "")), str(r.get("reason", ""))) for r in rows if isinstance(r, dict)]


def _merge_corrections(master: Case, ctx: EventContext) -> None:
    """Once every component has answered, the open requests become ONE notice from the master."""
    kids = components_of(master)
    if not all(_answered(k) for k in kids):
        return  # another department is still checking its part: wait, so the applicant is told once
    joint = dict((master.data or {}).get("joint") or {})
    notified = dict(joint.get("notified") or {})
    asking = [
        k
        for k in kids
        if k.waiting_for == "supplement"
        and notified.get(k.item.slug) != len((k.clock_inputs or {}).get("correction") or [])
    ]
    if not asking:
        return
    pairs: list[tuple[str, str]] = []
    for k in asking:
        dept = org.name(k.department_code)
        pairs += [
            (_to_joint(master, k.item.slug, code), f"{dept}：{reason}") for code, reason in _last_request(k)
        ]
        notified[k.item.slug] = len((k.clock_inputs or {}).get("correction") or [])
    master.data = {**(master.data or {}), "joint": {**joint, "notified": notified}}
    rows = [{"material": code, "reason": reason} for code, reason in pairs]
    notice = Record(CorrectionRequested(materials=tuple(pairs)), {"deficient_materials": rows})
    _step(ctx, master, notice, "joint.correction_notice")


def _step(ctx: EventContext, case: Case, action: Any, audit_action: str) -> None:
    stepped = step_case(ctx.actor, case, action, audit_action=audit_action, at=ctx.now)
    if stepped is not None:
        ctx.after_commit.extend(stepped[1].after_commit)


def on_accepted(event: Accepted, ctx: EventContext) -> None:
    case = ctx.case
    if is_master(case):
        kids = components_of(case)
        waiting = [k for k in kids if k.accepted_on is None and not _closed(k)]
        if waiting or not any(k.accepted_on is not None for k in kids):
            names = "、".join(org.name(k.department_code) for k in waiting) or t("无")
            raise Conflict(
                t("各部门预审通过后才能统一受理；尚未受理的部门：%(names)s", names=names),
                code="components_not_accepted",
            )
        if all(_closed(k) for k in kids):
            master_id, actor, now = case.id, ctx.actor, ctx.now
            ctx.after_commit.append(lambda: _release_after_acceptance(master_id, actor, now))
        return
    master = master_of(case)
    if master is not None:
        _merge_corrections(master, ctx)


def on_component_answered(_event: CorrectionRequested | Refused, ctx: EventContext) -> None:
    master = master_of(ctx.case)
    if master is not None:
        _merge_corrections(master, ctx)


def _release(
    master: Case, kids: list[Case], actor: Actor | None, now: datetime
) -> tuple[Advanced, EventContext] | None:
    """Every component has ended: the master's decision clocks stop, its delivery clock starts, and the
    message opens ``collect``. Returns what ``step_case`` returns (the caller commits)."""
    today = local_date(now)
    ci = dict(master.clock_inputs or {})
    for kind in ("promised", "statutory"):
        stop(ci, kind, today)
    ci["delivery"] = new_clock(today, int((master.item.definition or {})["limits"].get("delivery_wd") or 10))
    master.clock_inputs = ci
    master.decided_on = today
    master.status = CaseStatus.DECIDED
    results = {k.item.slug: {"case_no": k.case_no, "outcome": k.outcome, "status": k.status} for k in kids}
    return step_case(
        actor, master, DeliverMessage(MESSAGE, results), audit_action="joint.components_decided", at=now
    )


def on_component_completed(_event: Completed, ctx: EventContext) -> None:
    """The last component to end releases the master: its clock stops, ``collect`` opens."""
    master = master_of(ctx.case)
    if master is None or master.waiting_for != MESSAGE:
        return
    kids = components_of(master)
    if all(_closed(k) for k in kids):
        stepped = _release(master, kids, ctx.actor, ctx.now)
        if stepped is not None:
            ctx.after_commit.extend(stepped[1].after_commit)


def _release_after_acceptance(master_id: int, actor: Actor | None, now: datetime) -> None:
    """Every component ended before the window accepted the master: release it right after."""
    with all_or_nothing():
        master = Session.get_one(Case, master_id)
        kids = components_of(master)
        if master.waiting_for != MESSAGE or not all(_closed(k) for k in kids):
            return
        stepped = _release(master, kids, actor, now)
        Session.commit()
    if stepped is not None:
        for work in stepped[1].after_commit:
            work()


def on_master_ended(_event: Refused, ctx: EventContext) -> None:
    """The window refuses the joint application (不予受理): the open components end with it."""
    if not is_master(ctx.case):
        return
    for kid in components_of(ctx.case):
        if not _closed(kid):
            reason = t("“一件事”联合申请不予受理（主办件 %(case_no)s）", case_no=ctx.case.case_no)
            _step(ctx, kid, Withdraw(reason), "joint.refused")


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Accepted, on_accepted)
    bus.subscribe(CorrectionRequested, on_component_answered)
    bus.subscribe(Refused, on_component_answered)
    bus.subscribe(Refused, on_master_ended)
    bus.subscribe(Completed, on_component_completed)


# -- the applicant's supplement, the extension, the collection -------------------------------------------


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
                joint_codes.append(_to_joint(master, child.item.slug, str(code)))
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
        still_open = [k for k in components_of(master) if not _closed(k)]
        if still_open:
            names = "、".join(org.name(k.department_code) for k in still_open)
            raise Conflict(t("还有部门未办结，不能统一出件：%(names)s", names=names), code="components_open")
        task = next((x for x in master.tasks if x.bpmn_id == "collect" and x.state in OPEN_TASK_STATES), None)
        if task is None:
            raise NotFound(t("本件没有待出件的任务"), code="nothing_to_collect")
    complete_task(actor, task.id, data, now=now)
    return master
