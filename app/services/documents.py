"""Statutory documents (受理通知书, 补正材料通知书, 决定书 …) generated from case events into the case file.

The capabilities subscribe to case events (``subscribe`` at the end, registered in app.capabilities)
and issue the document inside the step's transaction; they never commit. Each document keeps the
content it was issued with (``content``: authority, number, addressee, subject, paragraphs, date …;
the words come from app.services.doctexts) and, from its first download on, its PDF (laid out by
app.services.pdf, with the department's seal).

Document numbers: ``<机关代字><文种代字>〔<year>〕<n>号``, e.g. ``厦环受〔2026〕12号`` — the 12th
acceptance notice of the city environment bureau in 2026, from a sequence per department, year and
kind (``document_sequence``: one row incremented inside the step's transaction, so two issuers of
one department wait for each other and never share a number). Where the office numbers its
decisions by hand, the decider types the number (``decision_number`` of the decide form, e.g.
``厦环审〔2026〕56号``); a number already used is refused with the field named.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.models import Case, CaseDocument, DocumentSequence, Material, Session
from app.models.base import dialect_insert, table_of
from app.models.vocab import SHANGHAI, Role
from app.services import doctexts, org
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.errors import NotFound, ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from app.services.pdf import FontMissing, render_document
from app.services.workdays import get_calendar
from engine.events import (
    Accepted,
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

log = logging.getLogger("tongban.documents")
KINDS: dict[str, tuple[str, str]] = {  # kind -> (title, 文种代字 in the number)
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
    "receipt": ("收件回执", "收"),
}
HAND_NUMBERED = ("approval_decision", "denial_decision")
MAX_NUMBER_LENGTH = 64


def _local(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def _procedure_name(case: Case, code: str) -> str:
    for p in (case.item.definition or {}).get("special_procedures") or []:
        if isinstance(p, dict) and p.get("code") == code:
            return (p.get("name") or {}).get("zh") or code
    return code


def _material_name(case: Case, code: str) -> str:
    for m in (case.item.definition or {}).get("materials") or []:
        if isinstance(m, dict) and m.get("code") == code:
            return (m.get("name") or {}).get("zh") or code
    return code


def next_number(department: str, kind: str, year: int) -> str:
    """The next number of this department's sequence for this kind and year (inside the caller's
    transaction: the sequence row stays locked until it commits)."""
    seq = table_of(DocumentSequence)
    stmt = (
        dialect_insert(seq)
        .values(department_code=department, year=year, kind=kind, last=1)
        .on_conflict_do_update(
            index_elements=["department_code", "year", "kind"], set_={"last": seq.c.last + 1}
        )
        .returning(seq.c.last)
    )
    info = org.department(department)
    short = info.short_name if info is not None else "政"
    # on the connection (no autoflush of the change so far: the case is written once, at commit), unless
    # a document of this change is still unwritten: the number check must see it
    pending = any(isinstance(obj, CaseDocument) for obj in Session.new)
    run = Session.execute if pending else Session.connection().execute
    while True:
        n = int(run(stmt).scalar_one())
        number = f"{short}{KINDS[kind][1]}〔{year}〕{n}号"
        # a number typed by hand may already hold this place in the sequence: take the next one
        taken = run(select(CaseDocument.id).where(CaseDocument.number == number)).first()
        if taken is None:
            return number


def _typed_number(kind: str, data: dict[str, Any]) -> str | None:
    typed = str(data.get("decision_number") or "").strip() if kind in HAND_NUMBERED else ""
    if not typed:
        return None
    if len(typed) > MAX_NUMBER_LENGTH:
        raise ValidationFailed(
            t("文号过长"),
            [{"field": "decision_number", "message": t("至多 %(n)s 个字", n=MAX_NUMBER_LENGTH)}],
        )
    if Session.scalar(select(CaseDocument.id).where(CaseDocument.number == typed)) is not None:
        raise ValidationFailed(
            t("文号 %(number)s 已被使用", number=typed),
            [{"field": "decision_number", "message": t("该文号已被使用")}],
            code="number_taken",
        )
    return typed


def issue_document(
    actor: Actor | None, case: Case, kind: str, data: dict[str, Any], now: datetime
) -> CaseDocument:
    """Fill the document, number it and keep it in the case file (no commit: runs inside the caller's)."""
    issued = _local(now)
    dept = org.department(case.department_code)
    title = KINDS[kind][0] + ("（视为受理）" if kind == "acceptance_notice" and data.get("deemed") else "")
    number = _typed_number(kind, data) or next_number(case.department_code, kind, issued.year)
    authority = dept.header if dept is not None else case.department_code
    content = {
        "kind": kind,
        "title": title,
        "number": number,
        "issued_on": issued.isoformat(),
        "issued_on_zh": doctexts.cn_date(issued),
        "case_no": case.case_no,
        "item": case.item.name_zh,
        "subject": doctexts.subject(case),
        "authority": authority,
        "issuer": authority,
        "department": case.department_code,
        "addressee": case.applicant_name,
        "deemed": bool(data.get("deemed")),
        "renotice": bool(data.get("renotice")),
        **doctexts.build(kind, case, data, dept),
    }
    # The content and number are fixed here; the PDF is rendered from them on first download (rendering
    # with a CJK font costs 0.3–3 s, which must not sit inside a caseworker's save).
    doc = CaseDocument(
        case_id=case.id,
        kind=kind,
        number=number,
        title=title,
        content=content,
        created_by_id=actor.id if actor else None,
    )
    # written with the step's other rows at commit (a notice links it by relationship), so the case's
    # own changes of the step go out as one UPDATE; a clash of numbers still rolls the whole step back
    Session.add(doc)
    return doc


def render_pdf(content: dict[str, Any]) -> bytes:
    seal = org.seal_of(content["department"]) if content.get("department") else None
    return render_document(content, seal)


def list_documents(actor: Actor, case_no: str) -> list[CaseDocument]:
    case = get_case(actor, case_no)
    return list(
        Session.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id))
    )


def receipt_of(actor: Actor, case_no: str) -> CaseDocument | None:
    """The receipt (收件回执) of a case the actor may see."""
    case = get_case(actor, case_no)
    return Session.scalar(
        select(CaseDocument)
        .where(CaseDocument.case_id == case.id, CaseDocument.kind == "receipt")
        .order_by(CaseDocument.id)
        .limit(1)
    )


def document_pdf(actor: Actor, case_no: str, document_id: int) -> tuple[CaseDocument, bytes]:
    """The PDF of a document of a case the actor may see; rendered now if it was kept without one."""
    return _pdf_of(get_case(actor, case_no), document_id)


def component_document_pdf(
    actor: Actor, case_no: str, component_no: str, document_id: int
) -> tuple[CaseDocument, bytes]:
    """一件事: a document a department issued in a component, read through the master the actor may see
    (the applicant deals with the master's one case number; the component is not theirs to open)."""
    master = get_case(actor, case_no)
    child = Session.scalar(select(Case).where(Case.case_no == component_no))
    if child is None or child.parent_case_id != master.id:
        raise NotFound(t("办件 %(case_no)s 不存在", case_no=component_no), code="case_not_found")
    return _pdf_of(child, document_id)


def _pdf_of(case: Case, document_id: int) -> tuple[CaseDocument, bytes]:
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


def on_submitted(event: Submitted, ctx: EventContext) -> None:
    """The receipt: case number, query code, item, the materials received with the case, the time."""
    case = ctx.case
    rows = (
        ctx.materials  # in filing order, the order of their ids
        if ctx.materials is not None
        else Session.scalars(
            select(Material).where(Material.case_id == case.id).order_by(Material.id)
        ).all()  # flushes the materials written with the case
    )
    lines = []
    for m in rows:
        name = _material_name(case, m.code)
        lines.append(f"{name}（{m.filename}）" if m.sha256 else f"{name}（申请时声明，材料随后上传）")
    limit = ((case.item.definition or {}).get("limits") or {}).get("acceptance_wd") or 5
    due = get_calendar().add_workdays(ctx.today, int(limit)).date
    actor = ctx.actor
    window = None
    if event.channel == "window" and actor is not None:
        centre = min(actor.departments(Role.WINDOW), default=actor.department_code or "")
        window = f"{org.name(centre)} {actor.display_name}"
    extra = {
        "channel": event.channel,
        "received_at": ctx.now.isoformat(),
        "materials": lines,
        "acceptance_due": due.isoformat(),
        "window": window,
    }
    ctx.issued.append(issue_document(actor, case, "receipt", extra, ctx.now))


def on_accepted(event: Accepted, ctx: EventContext) -> None:
    ctx.issued.append(
        issue_document(
            ctx.actor, ctx.case, "acceptance_notice", {**ctx.data, "deemed": event.deemed}, ctx.now
        )
    )


def on_correction_requested(_event: CorrectionRequested, ctx: EventContext) -> None:
    ctx.issued.append(issue_document(ctx.actor, ctx.case, "correction_notice", ctx.data, ctx.now))


def on_refused(_event: Refused, ctx: EventContext) -> None:
    ctx.issued.append(issue_document(ctx.actor, ctx.case, "refusal_decision", ctx.data, ctx.now))


def on_special_started(event: SpecialProcedureStarted, ctx: EventContext) -> None:
    data = _merged(ctx)
    extra = {
        "procedure": event.code,
        "procedure_name": _procedure_name(ctx.case, event.code),
        # the reviewer's reason, else the basis a decision table gave (e.g. eia_expert_review.dmn)
        "reason": data.get(f"{event.code}_reason") or data.get(f"{event.code}_basis"),
        "expected_duration_wd": event.notified_wd or event.limit_wd,
    }
    ctx.issued.append(issue_document(ctx.actor, ctx.case, "special_procedure_notice", extra, ctx.now))


def on_special_renotified(event: SpecialProcedureRenotified, ctx: EventContext) -> None:
    extra = {
        "procedure": event.code,
        "procedure_name": _procedure_name(ctx.case, event.code),
        "reason": event.reason,
        "expected_duration_wd": event.notified_wd,
        "renotice": True,
    }
    ctx.issued.append(issue_document(ctx.actor, ctx.case, "special_procedure_notice", extra, ctx.now))


def on_extension_approved(_event: ExtensionApproved, ctx: EventContext) -> None:
    request = dict((ctx.case.clock_inputs or {}).get("extension_request") or {})
    data = _merged(ctx)
    extra = {
        "extension_days": request.get("days") or data.get("extension_days"),
        "extension_reason": request.get("reason") or data.get("extension_reason"),
    }
    ctx.issued.append(issue_document(ctx.actor, ctx.case, "extension_notice", extra, ctx.now))


def _is_licensing(case: Case) -> bool:
    return (case.item.definition or {}).get("power_type", "licensing") == "licensing"


def on_decided(event: Decided, ctx: EventContext) -> None:
    if _is_licensing(ctx.case):
        kind = "approval_decision" if event.approved else "denial_decision"
    elif event.approved:
        return  # a public-service result is the certificate itself, handed over on the spot
    else:
        kind = "service_refusal"
    ctx.issued.append(issue_document(ctx.actor, ctx.case, kind, ctx.data, ctx.now))


def on_delivered(event: Delivered, ctx: EventContext) -> None:
    on = event.on or ctx.today
    case = ctx.case
    decisions = Session.scalars(
        select(CaseDocument).where(
            CaseDocument.case_id == case.id, CaseDocument.kind.in_(("approval_decision", "denial_decision"))
        )
    ).all()
    documents = [f"{d.title}（{d.number}）" for d in decisions]
    result = ((case.item.definition or {}).get("result") or {}).get("name", {}).get("zh")
    number = str((ctx.data or {}).get("result_number") or "").strip()
    if result:
        documents.append(f"{result}（{number}）" if number else result)
    extra = {
        "method": event.method,
        "on": doctexts.cn_date(on),
        "recipient": event.recipient or case.applicant_name,
        "documents": documents,
    }
    ctx.issued.append(issue_document(ctx.actor, case, "delivery_receipt", extra, ctx.now))


def on_withdrawn(event: Withdrawn, ctx: EventContext) -> None:
    corrections = (ctx.case.clock_inputs or {}).get("correction") or []
    notice_on = corrections[-1]["start"] if corrections else None
    extra = {
        "reason": event.reason,
        "deemed": event.deemed,
        "at_zh": doctexts.cn_date(_local(ctx.now)),
        "notice_on": doctexts.cn_date(date.fromisoformat(notice_on)) if notice_on else "",
    }
    ctx.issued.append(issue_document(ctx.actor, ctx.case, "termination_notice", extra, ctx.now))


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Submitted, on_submitted)
    bus.subscribe(Accepted, on_accepted)
    bus.subscribe(CorrectionRequested, on_correction_requested)
    bus.subscribe(Refused, on_refused)
    bus.subscribe(SpecialProcedureStarted, on_special_started)
    bus.subscribe(SpecialProcedureRenotified, on_special_renotified)
    bus.subscribe(ExtensionApproved, on_extension_approved)
    bus.subscribe(Decided, on_decided)
    bus.subscribe(Delivered, on_delivered)
    bus.subscribe(Withdrawn, on_withdrawn)
