"""The case status, moved by case events (subscribed in app.capabilities)."""

from __future__ import annotations

from app.models.vocab import CaseStatus
from app.services.events import EventBus, EventContext
from engine.events import (
    Accepted,
    Completed,
    CorrectionRequested,
    Decided,
    Refused,
    SpecialProcedureEnded,
    SpecialProcedureStarted,
    Submitted,
    Supplemented,
    Withdrawn,
)


def _set(status: CaseStatus):
    def handler(_event: object, ctx: EventContext) -> None:
        ctx.case.status = status

    handler.__name__ = f"status_{status.value}"
    return handler


def on_decided(event: Decided, ctx: EventContext) -> None:
    ctx.case.status = CaseStatus.DECIDED if event.approved else CaseStatus.IN_PROGRESS


def on_completed(_event: Completed, ctx: EventContext) -> None:
    if ctx.case.status not in (CaseStatus.REFUSED, CaseStatus.WITHDRAWN):
        ctx.case.status = CaseStatus.COMPLETED


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Submitted, _set(CaseStatus.ACCEPTING))
    bus.subscribe(CorrectionRequested, _set(CaseStatus.CORRECTING))
    bus.subscribe(Supplemented, _set(CaseStatus.ACCEPTING))
    bus.subscribe(Accepted, _set(CaseStatus.IN_PROGRESS))
    bus.subscribe(Refused, _set(CaseStatus.REFUSED))
    bus.subscribe(SpecialProcedureStarted, _set(CaseStatus.SPECIAL_PROCEDURE))
    bus.subscribe(SpecialProcedureEnded, _set(CaseStatus.IN_PROGRESS))
    bus.subscribe(Decided, on_decided)
    bus.subscribe(Withdrawn, _set(CaseStatus.WITHDRAWN))
    bus.subscribe(Completed, on_completed)
