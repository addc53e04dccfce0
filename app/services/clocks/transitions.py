"""How case events move the legal clocks (subscribed in app.capabilities).

Each handler edits ``Case.clock_inputs``; ``on_case_advanced`` — always the last event of a change —
starts the clocks of newly opened steps and refreshes the indexed columns once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.models import Case
from app.services.clocks.columns import refresh_case
from app.services.clocks.model import DECISION_CLOCKS, d, limits, new_clock, stop, stop_all
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from app.services.workdays import get_calendar
from engine.events import (
    Accepted,
    CaseAdvanced,
    Completed,
    CorrectionRequested,
    Decided,
    Delivered,
    ExtensionApproved,
    ExtensionRefused,
    ExtensionRequested,
    Refused,
    SpecialProcedureEnded,
    SpecialProcedureRenotified,
    SpecialProcedureStarted,
    Submitted,
    Supplemented,
    Withdrawn,
)

RENOTICE_MAX_WD = 250


def _ci(case: Case) -> dict[str, Any]:
    return dict(case.clock_inputs or {})


def _int_limit(lim: dict[str, Any], key: str, default: int = 0) -> int:
    value = lim.get(key)
    return default if value in (None, "") else int(value)


def _start_decision(case: Case, ci: dict[str, Any], start: date) -> None:
    lim = limits(case.item)
    ci.setdefault("promised", new_clock(start, _int_limit(lim, "promised_wd")))
    if _int_limit(lim, "statutory_wd") > 0:
        ci.setdefault("statutory", new_clock(start, _int_limit(lim, "statutory_wd")))


def on_submitted(_event: Submitted, ctx: EventContext) -> None:
    case, day = ctx.case, ctx.today
    lim = limits(case.item)
    case.received_on = day
    ci: dict[str, Any] = {}
    if case.item.kind == "immediate":
        # 即办件: received, accepted and due the same day; no acceptance clock it would never use.
        case.accepted_on = day
        ci["promised"] = new_clock(day, 0, same_day=True)
        if _int_limit(lim, "statutory_wd") > 0:
            ci["statutory"] = new_clock(day, _int_limit(lim, "statutory_wd"))
    else:
        ci["acceptance"] = new_clock(day, _int_limit(lim, "acceptance_wd", 5))
        if lim.get("statutory_starts") == "received" and _int_limit(lim, "statutory_wd") > 0:
            # e.g. 环境影响评价法 第二十二条: "自收到环境影响报告表之日起" — the statute counts from receipt.
            ci["statutory"] = new_clock(day, _int_limit(lim, "statutory_wd"))
    case.clock_inputs = ci


def on_accepted(event: Accepted, ctx: EventContext) -> None:
    case = ctx.case
    ci = _ci(case)
    acc = ci.get("acceptance") or {}
    if event.deemed:
        # Art. 32: accepted as of the day the materials arrived; the acceptance clock ran out.
        received = d(acc.get("start")) or case.received_on or ctx.today
        due = get_calendar().add_workdays(received, int(acc.get("limit_wd", 5))).date
        if acc:
            ci["acceptance"] = {**acc, "stopped_on": due.isoformat()}
        case.accepted_on = received
        case.deemed_accepted = True
    else:
        stop(ci, "acceptance", ctx.today)
        case.accepted_on = case.accepted_on or ctx.today
    _start_decision(case, ci, case.accepted_on)
    case.clock_inputs = ci


def on_correction_requested(event: CorrectionRequested, ctx: EventContext) -> None:
    case = ctx.case
    if case.deemed_accepted or case.accepted_on is not None:
        raise ValidationFailed(
            t("本件已经受理（或依《行政许可法》第三十二条视为受理），不能再要求补正"),
            [{"field": "accept_outcome", "message": t("已受理的申请不能再要求补正")}],
            code="already_accepted",
        )
    ci = _ci(case)
    stop(ci, "acceptance", ctx.today)
    wd = limits(case.item).get("applicant_correction_wd")
    entry: dict[str, Any] = {
        "start": ctx.today.isoformat(),
        "end": None,
        "deadline": get_calendar().add_workdays(ctx.today, int(wd)).date.isoformat() if wd else None,
        "materials": [code for code, _reason in event.materials],
        "supplemented": [],
    }
    ci["correction"] = [*ci.get("correction", []), entry]
    case.clock_inputs = ci


def on_supplemented(event: Supplemented, ctx: EventContext) -> None:
    case = ctx.case
    ci = _ci(case)
    corrections = list(ci.get("correction", []))
    for i, c in enumerate(corrections):
        if not c.get("end"):
            corrections[i] = {**c, "end": ctx.today.isoformat(), "supplemented": sorted(set(event.materials))}
    ci["correction"] = corrections
    if ci.get("acceptance") and not case.accepted_on:
        # The office decides on acceptance anew from the day the supplement arrives (Art. 32).
        ci["acceptance"] = new_clock(ctx.today, _int_limit(limits(case.item), "acceptance_wd", 5))
    case.clock_inputs = ci


def on_refused(_event: Refused, ctx: EventContext) -> None:
    case = ctx.case
    if case.deemed_accepted:
        raise ValidationFailed(
            t("本件已依《行政许可法》第三十二条视为受理，不能再作出不予受理决定"),
            [{"field": "accept_outcome", "message": t("已视为受理")}],
            code="deemed_accepted",
        )
    ci = _ci(case)
    stop_all(ci, ctx.today)
    case.clock_inputs = ci


def on_special_started(event: SpecialProcedureStarted, ctx: EventContext) -> None:
    case = ctx.case
    ci = _ci(case)
    own = event.limit_wd
    if own is None:
        for sp in (case.item.definition or {}).get("special_procedures") or []:
            if sp.get("code") == event.code and sp.get("limit_wd"):
                own = int(sp["limit_wd"])
    told = event.notified_wd or own or 0
    ci["special"] = [
        *ci.get("special", []),
        {
            "code": event.code,
            "element": event.element,
            "start": ctx.today.isoformat(),
            "limit_wd": told,
            "own_limit_wd": own,
            "stopped_on": None,
            "notices": [],
        },
    ]
    case.clock_inputs = ci


def _open_special(ci: dict[str, Any], code: str | None = None) -> int | None:
    for i in range(len(ci.get("special", [])) - 1, -1, -1):
        sp = ci["special"][i]
        if sp.get("stopped_on") is None and (code is None or sp["code"] == code):
            return i
    return None


def on_special_renotified(event: SpecialProcedureRenotified, ctx: EventContext) -> None:
    case = ctx.case
    ci = _ci(case)
    i = _open_special(ci, event.code or None)
    if i is None:
        raise Conflict("本件当前没有进行中的特殊程序，无法再次告知", code="no_special_procedure")
    if not event.reason.strip():
        raise ValidationFailed(t("再次书面告知须写明理由"), [{"field": "reason", "message": t("必填")}])
    if not 1 <= event.notified_wd <= RENOTICE_MAX_WD:
        raise ValidationFailed(
            t("所需时间应为 1–%(n)s 个工作日", n=RENOTICE_MAX_WD),
            [{"field": "notified_wd", "message": f"1–{RENOTICE_MAX_WD}"}],
        )
    specials = list(ci["special"])
    sp = dict(specials[i])
    sp["notices"] = [
        *sp.get("notices", []),
        {"on": ctx.today.isoformat(), "wd": event.notified_wd, "reason": event.reason.strip()},
    ]
    specials[i] = sp
    ci["special"] = specials
    case.clock_inputs = ci


def on_special_ended(event: SpecialProcedureEnded, ctx: EventContext) -> None:
    case = ctx.case
    ci = _ci(case)
    i = _open_special(ci, event.code)
    if i is not None:
        specials = list(ci["special"])
        specials[i] = {**specials[i], "stopped_on": ctx.today.isoformat()}
        ci["special"] = specials
        case.clock_inputs = ci


def on_extension_requested(event: ExtensionRequested, ctx: EventContext) -> None:
    case = ctx.case
    allowed = _int_limit(limits(case.item), "extension_max_wd") - (case.extension_wd or 0)
    if allowed <= 0:
        raise ValidationFailed(
            t("本事项不能再延长办理期限（法定延期已用尽或本事项不适用延期）"),
            [{"field": "decision", "message": t("不能延期")}],
            code="extension_not_allowed",
        )
    if not 1 <= event.days <= allowed:
        raise ValidationFailed(
            t("延长期限最多 %(allowed)s 个工作日", allowed=allowed),
            [{"field": "extension_days", "message": f"1–{allowed}"}],
            code="extension_too_long",
        )
    ci = _ci(case)
    ci["extension_request"] = {
        "days": event.days,
        "reason": event.reason,
        "by": ctx.actor.id if ctx.actor else None,
        "on": ctx.today.isoformat(),
    }
    case.clock_inputs = ci


def _pending_request(case: Case) -> dict[str, Any]:
    request = (case.clock_inputs or {}).get("extension_request")
    if not request:
        raise Conflict("没有待批准的延期申请", code="no_extension_request")
    return dict(request)


def on_extension_approved(event: ExtensionApproved, ctx: EventContext) -> None:
    case = ctx.case
    request = _pending_request(case)
    if ctx.actor is not None and request.get("by") == ctx.actor.id:
        raise Forbidden(
            t("延期须由本行政机关负责人批准，申请延期的人不能批准自己的申请"), code="own_extension"
        )
    ci = _ci(case)
    ext = {
        "days": int(request["days"]),
        "reason": request.get("reason", ""),
        "approved_on": ctx.today.isoformat(),
    }
    for kind in DECISION_CLOCKS:
        if ci.get(kind):
            ci[kind] = {**ci[kind], "extensions": [*ci[kind].get("extensions", []), ext]}
    ci.pop("extension_request", None)
    case.extension_wd = (case.extension_wd or 0) + ext["days"]
    case.clock_inputs = ci


def on_extension_refused(_event: ExtensionRefused, ctx: EventContext) -> None:
    case = ctx.case
    request = _pending_request(case)
    if ctx.actor is not None and request.get("by") == ctx.actor.id:
        raise Forbidden(t("延期申请须由本行政机关负责人审批，申请人本人不能审批"), code="own_extension")
    ci = _ci(case)
    ci.pop("extension_request", None)
    case.clock_inputs = ci


def on_decided(event: Decided, ctx: EventContext) -> None:
    case = ctx.case
    ci = _ci(case)
    for kind in DECISION_CLOCKS:
        stop(ci, kind, ctx.today)
    ci.pop("extension_request", None)
    case.decided_on = ctx.today
    if event.approved:
        ci["delivery"] = new_clock(ctx.today, _int_limit(limits(case.item), "delivery_wd", 10))
    case.clock_inputs = ci


def on_delivered(event: Delivered, ctx: EventContext) -> None:
    case = ctx.case
    on = event.on or ctx.today
    if on > ctx.today:
        raise ValidationFailed(
            t("送达日期不能晚于今天"), [{"field": "delivered_on", "message": t("不能是将来的日期")}]
        )
    earliest = case.decided_on or case.received_on
    if earliest is not None and on < earliest:
        raise ValidationFailed(
            t("送达日期不能早于作出决定之日（%(day)s）", day=earliest.isoformat()),
            [{"field": "delivered_on", "message": t("不早于 %(day)s", day=earliest.isoformat())}],
        )
    ci = _ci(case)
    stop(ci, "delivery", on)
    case.delivered_on = on
    case.clock_inputs = ci


def on_ended(_event: Withdrawn | Completed, ctx: EventContext) -> None:
    """A case that ends shows final used/remaining working days, never a running count."""
    ci = _ci(ctx.case)
    stop_all(ci, ctx.today)
    ctx.case.clock_inputs = ci


def on_case_advanced(event: CaseAdvanced, ctx: EventContext) -> None:
    opened = set(event.opened)
    for task in ctx.case.tasks:
        if task.spiff_task_id in opened and task.started_on is None:
            task.started_on = ctx.today
    refresh_case(ctx.case, ctx.today)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Submitted, on_submitted)
    bus.subscribe(Accepted, on_accepted)
    bus.subscribe(CorrectionRequested, on_correction_requested)
    bus.subscribe(Supplemented, on_supplemented)
    bus.subscribe(Refused, on_refused)
    bus.subscribe(SpecialProcedureStarted, on_special_started)
    bus.subscribe(SpecialProcedureRenotified, on_special_renotified)
    bus.subscribe(SpecialProcedureEnded, on_special_ended)
    bus.subscribe(ExtensionRequested, on_extension_requested)
    bus.subscribe(ExtensionApproved, on_extension_approved)
    bus.subscribe(ExtensionRefused, on_extension_refused)
    bus.subscribe(Decided, on_decided)
    bus.subscribe(Delivered, on_delivered)
    bus.subscribe(Withdrawn, on_ended)
    bus.subscribe(Completed, on_ended)
    bus.subscribe(CaseAdvanced, on_case_advanced)
