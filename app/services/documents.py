"""Statutory documents (受理通知书, 补正材料通知书, 决定书 …) generated from case events into the case file.

Hooks (see app.services.hooks) create the document inside the service's transaction; they never
commit. Each document keeps the data its template was filled with (``content``) and its PDF.

Document numbers: ``<机关简称><文种简称>〔<year>〕第<case id, 6 digits>-<n, 2 digits>号``, e.g.
``环受〔2026〕第000427-01号`` — the n-th document of case 427 of the env bureau, an acceptance notice
issued in 2026. Unique because the case id is, and because documents of one case are written under
the case's optimistic lock (two writers of one case cannot both commit).

PDFs are rendered by app.services.pdf (CJK font lookup there). Without a font the document is still
recorded (content and number) and the PDF download says which package to install.

Which case event issues which document is the ``subscribe`` list at the end (app.capabilities).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from app.models import Case, CaseDocument, Session
from app.models.vocab import SHANGHAI
from app.services import org
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.errors import NotFound
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from app.services.pdf import FONT_NAME, FontMissing, new_pdf
from engine.events import (
    Accepted,
    CorrectionRequested,
    Decided,
    Delivered,
    ExtensionApproved,
    Refused,
    SpecialProcedureRenotified,
    SpecialProcedureStarted,
    Withdrawn,
)

log = logging.getLogger("tongban.documents")
KINDS: dict[str, tuple[str, str]] = {  # kind -> (title, short name in the number)
    "acceptance_notice": ("受理通知书", "受"),
    "refusal_decision": ("不予受理决定书", "不受"),
    "correction_notice": ("补正材料通知书", "补"),
    "special_procedure_notice": ("特殊程序时间告知书", "特"),
    "extension_notice": ("延期告知书", "延"),
    "approval_decision": ("准予行政许可决定书", "许"),
    "denial_decision": ("不予行政许可决定书", "不许"),
    "service_refusal": ("不予办理告知书", "不办"),
    "delivery_receipt": ("送达回证", "送"),
    "termination_notice": ("终止办理告知书", "终"),
}
DELIVERY_METHODS_ZH = {"window": "窗口领取", "post": "邮寄送达", "electronic": "电子送达"}
REMEDY = "如不服本决定，可以自收到本决定之日起六十日内依法申请行政复议，或者自收到本决定之日起六个月内依法向人民法院提起行政诉讼。"


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _local(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _material_name(case: Case, code: str) -> str:
    for m in (case.item.definition or {}).get("materials") or []:
        if isinstance(m, dict) and m.get("code") == code:
            return (m.get("name") or {}).get("zh") or code
    return code


def _procedure(case: Case, code: str) -> dict[str, Any]:
    for p in (case.item.definition or {}).get("special_procedures") or []:
        if isinstance(p, dict) and p.get("code") == code:
            return p
    return {"code": code, "name": {"zh": code}}


def _paragraphs(kind: str, case: Case, data: dict[str, Any]) -> tuple[list[str], list[str]]:
    item = case.item
    received = case.received_on or _local(case.submitted_at)
    intro = f"你（单位）于{_cn_date(received)}提出的“{item.name_zh}”申请（办件编号：{case.case_no}）"
    limits = (item.definition or {}).get("limits") or {}
    if kind == "acceptance_notice":
        if data.get("deemed"):
            first = (
                f"{intro}，本机关未在收到申请材料之日起五日内作出受理决定或者一次性告知补正，"
                f"根据《中华人民共和国行政许可法》第三十二条第一款第（四）项的规定，"
                f"自{_cn_date(case.accepted_on or received)}收到申请材料之日起即为受理（视为受理）。"
            )
        else:
            first = f"{intro}，经审查，申请材料齐全、符合法定形式，根据《中华人民共和国行政许可法》第三十二条的规定，决定予以受理。"
        limit_text = (
            f"本机关承诺自受理之日起{item.promised_wd}个工作日内作出决定（法定期限{item.statutory_wd}个工作日"
            + ("，自收到申请材料之日起计算" if limits.get("statutory_starts") == "received" else "")
            + "）。"
        )
        paras = [
            first,
            limit_text
            + "依法需要听证、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在上述期限内，届时将书面告知。",
        ]
        if data.get("acceptance_note"):
            paras.append(f"受理意见：{data['acceptance_note']}")
        return paras, []
    if kind == "refusal_decision":
        reason = data.get("refuse_reason") or ""
        return [
            f"{intro}，经审查，决定不予受理。",
            f"理由：{reason}",
            data.get("remedy_rights") or REMEDY,
        ], []
    if kind == "correction_notice":
        items = [
            f"{_material_name(case, d.get('material', ''))}：{d.get('reason', '')}"
            for d in data.get("deficient_materials") or []
        ]
        wait = limits.get("applicant_correction_wd")
        paras = [
            f"{intro}，经审查，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条的规定，"
            f"现一次性告知你（单位）需要补正的全部内容（共{len(items)}项）如下：",
        ]
        tail = ["补正材料齐全、符合法定形式后，本机关予以受理。补正期间不计入办理时限。"]
        if wait:
            tail.insert(0, f"请于收到本通知书之日起{wait}个工作日内提交补正材料。")
        return paras + ["@items"] + tail, items
    if kind == "special_procedure_notice":
        proc = _procedure(case, data.get("procedure") or "")
        days = data.get("expected_duration_wd") or proc.get("limit_wd")
        name = (proc.get("name") or {}).get("zh", proc.get("code"))
        if data.get("renotice"):
            paras = [
                f"{intro}，本机关此前已书面告知{name}所需时间。因{data.get('reason') or '情况复杂'}，{name}不能在原告知的期限内完成。",
                f"根据《中华人民共和国行政许可法》第四十五条的规定，现再次书面告知：{name}自本通知之日起还需{days}个工作日，所需时间不计算在行政许可期限内。",
            ]
            return paras, []
        paras = [
            f"{intro}，依法需要进行{name}。",
            f"根据《中华人民共和国行政许可法》第四十五条的规定，该程序所需时间不计算在行政许可期限内，预计需要{days}个工作日。",
        ]
        if data.get("reason"):
            paras.append(f"理由：{data['reason']}")
        return paras, []
    if kind == "extension_notice":
        return [
            f"{intro}，因{data.get('extension_reason') or '情况复杂'}，在规定期限内不能作出决定。",
            f"经本机关负责人批准，根据《中华人民共和国行政许可法》第四十二条的规定，办理期限延长{data.get('extension_days')}个工作日。",
        ], []
    if kind == "approval_decision":
        paras = [
            f"{intro}，经审查，符合法定条件、标准，根据《中华人民共和国行政许可法》第三十八条第一款的规定，决定准予行政许可。"
        ]
        if data.get("decision_reason"):
            paras.append(f"决定意见：{data['decision_reason']}")
        return paras, []
    if kind == "denial_decision":
        reason = data.get("deny_reason") or data.get("refuse_reason") or ""
        return [
            f"{intro}，经审查，不符合法定条件、标准，根据《中华人民共和国行政许可法》第三十八条第二款的规定，决定不予行政许可。",
            f"理由：{reason}",
            data.get("remedy_rights") or REMEDY,
        ], []
    if kind == "service_refusal":
        reason = data.get("deny_reason") or data.get("refuse_reason") or ""
        return [
            f"{intro}，经审核，不符合办理条件，决定不予办理。",
            f"理由：{reason}",
            data.get("remedy_rights") or REMEDY,
        ], []
    if kind == "delivery_receipt":
        on = data.get("on") or _cn_date(_local(case.submitted_at))
        return [
            f"送达文书：{data.get('documents') or item.name_zh + '办理结果'}",
            f"送达方式：{DELIVERY_METHODS_ZH.get(data.get('method') or '', data.get('method') or '')}",
            f"受送达人：{data.get('recipient') or case.applicant_name}",
            f"送达日期：{on}",
            "根据《中华人民共和国行政许可法》第四十四条的规定，行政机关作出准予行政许可的决定，应当自作出决定之日起十日内向申请人颁发、送达行政许可证件。",
        ], []
    if kind == "termination_notice":
        if data.get("deemed"):
            return [
                f"{intro}，本机关已于{data.get('notice_on') or ''}一次性告知需要补正的全部内容。",
                f"{data.get('reason') or '申请人逾期未补正。'}本机关决定终止办理该申请。",
                "申请人可以在具备条件后重新提出申请。",
            ], []
        return [
            f"{intro}，你（单位）于{_cn_date(_local(datetime.fromisoformat(data['at'])) if data.get('at') else received)}申请撤回该申请。",
            f"撤回理由：{data.get('reason') or ''}",
            "本机关决定终止办理该申请。申请人可以在具备条件后重新提出申请。",
        ], []
    raise ValueError(f"unknown document kind {kind}")


def _number(case: Case, kind: str, issued) -> str:
    seq = (
        Session.scalar(select(func.count()).select_from(CaseDocument).where(CaseDocument.case_id == case.id))
        or 0
    ) + 1
    info = org.department(case.department_code)
    short = info.short_name if info is not None else "政"
    return f"{short}{KINDS[kind][1]}〔{issued.year}〕第{case.id:06d}-{seq:02d}号"


def _issuer(code: str) -> str:
    info = org.department(code)
    return info.header if info is not None else code


def issue_document(
    actor: Actor | None, case: Case, kind: str, data: dict[str, Any], now: datetime
) -> CaseDocument:
    """Fill the template, number it and keep it in the case file (no commit: runs inside the caller's)."""
    issued = _local(now)
    title = KINDS[kind][0] + ("（视为受理）" if kind == "acceptance_notice" and data.get("deemed") else "")
    paras, items = _paragraphs(kind, case, data)
    content = {
        "kind": kind,
        "title": title,
        "number": _number(case, kind, issued),
        "issued_on": issued.isoformat(),
        "issued_on_zh": _cn_date(issued),
        "case_no": case.case_no,
        "item": case.item.name_zh,
        "addressee": case.applicant_name,
        "issuer": _issuer(case.department_code),
        "paragraphs": paras,
        "items": items,
    }
    # The content and number are fixed here; the PDF is rendered from them on first download (rendering
    # with a CJK font costs 0.3–3 s, which must not sit inside a caseworker's save).
    doc = CaseDocument(
        case_id=case.id,
        kind=kind,
        number=content["number"],
        title=title,
        content=content,
        created_by_id=actor.id if actor else None,
    )
    Session.add(doc)
    return doc


def render_pdf(content: dict[str, Any]) -> bytes:
    pdf = new_pdf(f"{content['title']} {content['number']}")
    pdf.set_font(FONT_NAME, size=13)
    pdf.cell(0, 10, content["issuer"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_NAME, size=20)
    pdf.cell(0, 14, content["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_NAME, size=11)
    pdf.cell(0, 8, content["number"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT_NAME, size=12)
    pdf.multi_cell(0, 8, f"{content['addressee']}：", new_x="LMARGIN", new_y="NEXT")
    for para in content["paragraphs"]:
        if para == "@items":
            for i, line in enumerate(content["items"], 1):
                pdf.set_x(pdf.l_margin + 8)
                pdf.multi_cell(0, 8, f"{i}. {line}", new_x="LMARGIN", new_y="NEXT")
            continue
        pdf.multi_cell(0, 8, "\u3000\u3000" + para, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.cell(0, 8, content["issuer"], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, content["issued_on_zh"], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT_NAME, size=9)
    pdf.cell(0, 6, f"办件编号 {content['case_no']}  事项 {content['item']}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def list_documents(actor: Actor, case_no: str) -> list[CaseDocument]:
    case = get_case(actor, case_no)
    return list(
        Session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id))
    )


def document_pdf(actor: Actor, case_no: str, document_id: int) -> tuple[CaseDocument, bytes]:
    """The PDF of a document of a case the actor may see; rendered now if it was kept without one."""
    case = get_case(actor, case_no)
    doc = Session.get(CaseDocument, document_id)
    if doc is None or doc.case_id != case.id:
        raise NotFound(t("文书 %(document_id)s 不存在", document_id=document_id), code="document_not_found")
    if doc.pdf is None:
        try:
            doc.pdf = render_pdf(doc.content)
        except FontMissing:
            Session.rollback()
            raise
        doc.sha256 = hashlib.sha256(doc.pdf).hexdigest()
        Session.commit()
    return doc, doc.pdf


# -- which case events issue which document ------------------------------------------------------


def _merged(ctx: EventContext) -> dict[str, Any]:
    return {**(ctx.case.data or {}), **(ctx.data or {})}


def on_accepted(event: Accepted, ctx: EventContext) -> None:
    issue_document(ctx.actor, ctx.case, "acceptance_notice", {**ctx.data, "deemed": event.deemed}, ctx.now)


def on_correction_requested(_event: CorrectionRequested, ctx: EventContext) -> None:
    issue_document(ctx.actor, ctx.case, "correction_notice", ctx.data, ctx.now)


def on_refused(_event: Refused, ctx: EventContext) -> None:
    issue_document(ctx.actor, ctx.case, "refusal_decision", ctx.data, ctx.now)


def on_special_started(event: SpecialProcedureStarted, ctx: EventContext) -> None:
    data = _merged(ctx)
    extra = {
        "procedure": event.code,
        "reason": data.get(f"{event.code}_reason"),
        "expected_duration_wd": event.notified_wd or event.limit_wd,
    }
    issue_document(ctx.actor, ctx.case, "special_procedure_notice", extra, ctx.now)


def on_special_renotified(event: SpecialProcedureRenotified, ctx: EventContext) -> None:
    extra = {
        "procedure": event.code,
        "reason": event.reason,
        "expected_duration_wd": event.notified_wd,
        "renotice": True,
    }
    issue_document(ctx.actor, ctx.case, "special_procedure_notice", extra, ctx.now)


def on_extension_approved(_event: ExtensionApproved, ctx: EventContext) -> None:
    issue_document(ctx.actor, ctx.case, "extension_notice", _merged(ctx), ctx.now)


def _is_licensing(case: Case) -> bool:
    return (case.item.definition or {}).get("power_type", "licensing") == "licensing"


def on_decided(event: Decided, ctx: EventContext) -> None:
    if _is_licensing(ctx.case):
        kind = "approval_decision" if event.approved else "denial_decision"
    elif event.approved:
        return  # a public-service result is the certificate itself, handed over on the spot
    else:
        kind = "service_refusal"
    issue_document(ctx.actor, ctx.case, kind, ctx.data, ctx.now)


def on_delivered(event: Delivered, ctx: EventContext) -> None:
    on = event.on or ctx.today
    extra = {
        "method": event.method,
        "on": _cn_date(on),
        "recipient": event.recipient or ctx.case.applicant_name,
        "documents": (ctx.case.item.definition or {}).get("result", {}).get("name", {}).get("zh"),
    }
    issue_document(ctx.actor, ctx.case, "delivery_receipt", extra, ctx.now)


def on_withdrawn(event: Withdrawn, ctx: EventContext) -> None:
    corrections = (ctx.case.clock_inputs or {}).get("correction") or []
    notice_on = corrections[-1]["start"] if corrections else None
    extra = {
        "reason": event.reason,
        "deemed": event.deemed,
        "at": ctx.now.isoformat(),
        "notice_on": _cn_date(date.fromisoformat(notice_on)) if notice_on else "",
    }
    issue_document(ctx.actor, ctx.case, "termination_notice", extra, ctx.now)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Accepted, on_accepted)
    bus.subscribe(CorrectionRequested, on_correction_requested)
    bus.subscribe(Refused, on_refused)
    bus.subscribe(SpecialProcedureStarted, on_special_started)
    bus.subscribe(SpecialProcedureRenotified, on_special_renotified)
    bus.subscribe(ExtensionApproved, on_extension_approved)
    bus.subscribe(Decided, on_decided)
    bus.subscribe(Delivered, on_delivered)
    bus.subscribe(Withdrawn, on_withdrawn)
