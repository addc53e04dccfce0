"""Send-back (退回): a case returned to an earlier step with a reason (subscribed in app.capabilities).

Where the BPMN allows it (the outcome meaning ``sent_back`` and ``send_back_to``, checked by the
lint), a step sends the case back; the workflow itself reopens the earlier step. Here the send-back is
recorded: in the audit trail (who, from which step, to which, why) and in the case's clock inputs,
where the clocks page lists it. A send-back stops no clock: the decision clocks keep running (the
law knows no pause for it) and the reopened step starts a step clock of its own.
"""

from __future__ import annotations

from app.services import audit
from app.services.errors import ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from engine.events import SentBack


def on_sent_back(event: SentBack, ctx: EventContext) -> None:
    if not event.reason:
        raise ValidationFailed(
            t("退回须写明理由"), [{"field": "send_back_reason", "message": t("必填")}], code="reason_required"
        )
    case = ctx.case
    entry = {
        "on": ctx.today.isoformat(),
        "from": event.task,
        "to": event.to_step,
        "reason": event.reason,
        "by": ctx.actor.id if ctx.actor else None,
    }
    ci = dict(case.clock_inputs or {})
    ci["send_backs"] = [*ci.get("send_backs", []), entry]
    case.clock_inputs = ci
    audit.record(
        ctx.actor,
        "case.sent_back",
        case.id,
        target=f"{event.task}#{ctx.task.id}" if ctx.task is not None else case.case_no,
        before={"step": event.task},
        after={"step": event.to_step, "reason": event.reason},
    )


def subscribe(bus: EventBus) -> None:
    bus.subscribe(SentBack, on_sent_back)
