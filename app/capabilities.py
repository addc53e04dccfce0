"""Which capabilities react to which case events: the one explicit list (called by the app factory).

Order matters within one event: checks that may refuse the step first (the one-time notice), the
status, then the clocks, the statutory documents, the
applicant's notices (they link the document just issued), and supervision last.
"""

from __future__ import annotations

from app.services import alerts, clocks, corrections, documents, intake, notices, sendback, status
from app.services.events import EventBus


def register(bus: EventBus) -> None:
    bus.clear()
    corrections.subscribe(bus)
    status.subscribe(bus)
    clocks.subscribe(bus)
    sendback.subscribe(bus)
    documents.subscribe(bus)
    notices.subscribe(bus)
    intake.subscribe(bus)
    alerts.subscribe(bus)
