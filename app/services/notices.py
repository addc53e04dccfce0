"""The applicant's notices: what happened in their case, in plain words (subscribed to case events).

One row per event that concerns the applicant; the statutory document issued in the same step is
linked. Delivery over SMS or e-mail reads these rows (they never block the case).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Case, CaseDocument, CaseNotice, ServiceItem, Session
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.events import EventBus, EventContext
from engine.events import (
    Accepted,
    CaseEvent,
    CorrectionRequested,
    Decided,
    Delivered,
    ExtensionApproved,
    Refused,
    SpecialProcedureRenotified,
    SpecialProcedureStarted,
    Submitted,
    Withdrawn,
)

# event kind -> (title, body template) in zh-CN; params fill the braces.
TEXTS: dict[str, tuple[str, str]] = {
    "submitted": (
        "已收到您的申请",
        "您提交的“{item}”申请（办件编号 {case_no}）已收到，我们将在规定期限内决定是否受理。",
    ),
    "accepted": ("申请已受理", "您的“{item}”申请已受理，承诺在 {promised_wd} 个工作日内作出决定。"),
    "accepted_deemed": (
        "申请已依法视为受理",
        "您的“{item}”申请在规定期限内未获受理决定或补正告知，依《行政许可法》第三十二条自收到材料之日起视为受理。",
    ),
    "correction_requested": (
        "请补正材料",
        "您的“{item}”申请需要补正 {count} 项材料，请查看补正材料通知书并在线补正。",
    ),
    "refused": ("申请不予受理", "您的“{item}”申请不予受理，理由和救济途径见不予受理决定书。"),
    "special_procedure_started": (
        "进入特殊程序",
        "您的“{item}”申请需要进行{procedure}，预计 {days} 个工作日，所需时间不计入办理期限。",
    ),
    "special_procedure_renotified": (
        "特殊程序时间再次告知",
        "您的“{item}”申请的{procedure}还需 {days} 个工作日，理由：{reason}",
    ),
    "extension_approved": ("办理期限延长", "您的“{item}”申请经负责人批准延长办理期限，详见延期告知书。"),
    "decided_approved": ("已作出准予决定", "您的“{item}”申请已作出准予决定，结果将按您选择的方式送达。"),
    "decided_denied": ("已作出不予决定", "您的“{item}”申请已作出不予决定，理由和救济途径见决定书。"),
    "delivered": ("办理结果已送达", "您的“{item}”办理结果已送达，请查收。"),
    "withdrawn": ("申请已撤回", "您的“{item}”申请已撤回，本机关终止办理。"),
    "withdrawn_deemed": ("申请视为撤回", "您的“{item}”申请逾期未补正，视为撤回，本机关终止办理。"),
}
TEXTS_EN: dict[str, tuple[str, str]] = {
    "submitted": (
        "Your application has arrived",
        "Your application for “{item}” (case {case_no}) has arrived; the office decides on acceptance within "
        "the statutory period.",
    ),
    "accepted": (
        "Application accepted",
        "Your application for “{item}” is accepted; decision within {promised_wd} working days.",
    ),
    "accepted_deemed": (
        "Application accepted by law",
        "No decision on acceptance and no correction notice came in time: by Art. 32 of the Administrative "
        "Licensing Law your application for “{item}” counts as accepted from the day it arrived.",
    ),
    "correction_requested": (
        "Please correct your materials",
        "Your application for “{item}” needs {count} material(s) corrected: see the correction notice and "
        "supplement them online.",
    ),
    "refused": (
        "Application not accepted",
        "Your application for “{item}” is not accepted; the decision gives the reasons and remedies.",
    ),
    "special_procedure_started": (
        "Special procedure",
        "Your application for “{item}” needs {procedure}, expected to take {days} working days, which do not "
        "count against the time limit.",
    ),
    "special_procedure_renotified": (
        "Special procedure: new duration",
        "The {procedure} of your application for “{item}” needs {days} more working days. Reason: {reason}",
    ),
    "extension_approved": (
        "Time limit extended",
        "The time limit of your application for “{item}” is extended; see the extension notice.",
    ),
    "decided_approved": (
        "Granted",
        "Your application for “{item}” is granted; the result is delivered as you chose.",
    ),
    "decided_denied": (
        "Not granted",
        "Your application for “{item}” is not granted; the decision gives the reasons and remedies.",
    ),
    "delivered": ("Result delivered", "The result of your application for “{item}” has been delivered."),
    "withdrawn": (
        "Application withdrawn",
        "Your application for “{item}” is withdrawn; the office has stopped handling it.",
    ),
    "withdrawn_deemed": (
        "Application deemed withdrawn",
        "The materials of your application for “{item}” were not corrected in time: it counts as withdrawn "
        "and the office has stopped handling it.",
    ),
}
DOCUMENT_OF: dict[str, str | tuple[str, ...]] = {
    "submitted": "receipt",
    "accepted": "acceptance_notice",
    "accepted_deemed": "acceptance_notice",
    "correction_requested": "correction_notice",
    "refused": "refusal_decision",
    "special_procedure_started": "special_procedure_notice",
    "special_procedure_renotified": "special_procedure_notice",
    "extension_approved": "extension_notice",
    "decided_approved": "approval_decision",
    "decided_denied": ("denial_decision", "service_refusal"),
    "delivered": "delivery_receipt",
    "withdrawn": "termination_notice",
    "withdrawn_deemed": "termination_notice",
}


def _key(event: CaseEvent) -> str:
    if isinstance(event, Accepted) and event.deemed:
        return "accepted_deemed"
    if isinstance(event, Decided):
        return "decided_approved" if event.approved else "decided_denied"
    if isinstance(event, Withdrawn) and event.deemed:
        return "withdrawn_deemed"
    return event.kind.value


def _params(event: CaseEvent, ctx: EventContext) -> dict[str, Any]:
    case = ctx.case
    params: dict[str, Any] = {
        "item": case.item.name_zh,
        "case_no": case.case_no,
        "promised_wd": case.item.promised_wd,
    }
    if isinstance(event, CorrectionRequested):
        params["count"] = len(event.materials)
        # what to correct and why, for the applicant's supplement page (app.services.supplements)
        params["materials"] = [{"code": code, "reason": reason} for code, reason in event.materials]
    if isinstance(event, SpecialProcedureStarted | SpecialProcedureRenotified):
        names = {
            p.get("code"): (p.get("name") or {}).get("zh")
            for p in (case.item.definition or {}).get("special_procedures") or []
        }
        params["procedure"] = names.get(event.code) or event.code
        params["days"] = (
            event.notified_wd
            if isinstance(event, SpecialProcedureRenotified)
            else (event.notified_wd or event.limit_wd)
        )
        params["reason"] = getattr(event, "reason", "")
    return params


def _relay_special(event: SpecialProcedureStarted | SpecialProcedureRenotified, ctx: EventContext) -> None:
    """Art. 45: the applicant is told in writing how long a component's special procedure takes — on the
    master, the one case number they deal with (一件事), naming the department's item."""
    master = Session.get(Case, ctx.case.parent_case_id)
    if master is None:
        return
    key = _key(event)
    title, template = TEXTS[key]
    params = {**_params(event, ctx), "case_no": master.case_no, "component_item_code": ctx.case.item.code}
    notice = CaseNotice(
        case_id=master.id,
        event=key,
        title=title,
        body=template.format(**params),
        params=params,
        created_at=ctx.now,
    )
    Session.add(notice)


def on_event(event: CaseEvent, ctx: EventContext) -> None:
    if ctx.case.parent_case_id is not None:
        # a component of a joint case (一件事): the master tells the applicant, once (app.services.joint);
        # the time of a special procedure is told as it starts (Art. 45)
        if isinstance(event, SpecialProcedureStarted | SpecialProcedureRenotified):
            _relay_special(event, ctx)
        return
    key = _key(event)
    title, template = TEXTS[key]
    params = _params(event, ctx)
    document_id = None
    document: CaseDocument | None = None
    kind = DOCUMENT_OF.get(key)
    kinds = ((kind,) if isinstance(kind, str) else tuple(kind)) if kind else ()
    just_issued = [d for d in ctx.issued if isinstance(d, CaseDocument) and d.kind in kinds]
    if just_issued:
        # issued by the documents capability just before (written with the step's other rows, at commit)
        document = just_issued[-1]
    elif kind:
        Session.flush()
        document_id = Session.scalar(
            select(CaseDocument.id)
            .where(
                CaseDocument.case_id == ctx.case.id,
                CaseDocument.kind.in_((kind,) if isinstance(kind, str) else kind),
            )
            .order_by(CaseDocument.id.desc())
            .limit(1)
        )
    notice = CaseNotice(
        case_id=ctx.case.id,
        event=key,
        title=title,
        body=template.format(**params),
        params=params,
        document_id=document_id,
        document=document,
        created_at=ctx.now,
    )
    Session.add(notice)
    ctx.issued.append(notice)


def notice_text(notice: CaseNotice, case: Case, english: bool = False) -> tuple[str, str]:
    """Title and body of a notice in the reader's language (stored in zh-CN; params re-fill English)."""
    if not english or notice.event not in TEXTS_EN:
        return notice.title, notice.body
    params = dict(notice.params or {})
    item = case.item
    if params.get("component_item_code"):  # relayed from a joint case's component: that item's names
        item = (
            Session.scalar(select(ServiceItem).where(ServiceItem.code == params["component_item_code"]))
            or item
        )
    params["item"] = item.name_en or params.get("item", "")
    if "procedure" in params:
        for p in (item.definition or {}).get("special_procedures") or []:
            if (p.get("name") or {}).get("zh") == params["procedure"]:
                params["procedure"] = (p.get("name") or {}).get("en") or params["procedure"]
    title, template = TEXTS_EN[notice.event]
    try:
        return title, template.format(**params)
    except (KeyError, IndexError, ValueError):
        return notice.title, notice.body


def list_notices(actor: Actor, case_no: str) -> list[CaseNotice]:
    case = get_case(actor, case_no)
    return list(
        Session.scalars(select(CaseNotice).where(CaseNotice.case_id == case.id).order_by(CaseNotice.id))
    )


def subscribe(bus: EventBus) -> None:
    for event_type in (
        Submitted,
        Accepted,
        CorrectionRequested,
        Refused,
        SpecialProcedureStarted,
        SpecialProcedureRenotified,
        ExtensionApproved,
        Decided,
        Delivered,
        Withdrawn,
    ):
        bus.subscribe(event_type, on_event)
