"""Which capabilities react to which case events: the one explicit list (called by the app factory).

Order matters within one event: checks that may refuse the step first (the one-time notice), the
status, then the clocks, the statutory documents, the
applicant's notices (they link the document just issued), the SMS/e-mail of each notice (they read the
notice just written), the results (publication of licensing decisions, e-licences, the invitation to
rate), and supervision last.
"""

from __future__ import annotations

from app.services import (
    alerts,
    clocks,
    corrections,
    documents,
    intake,
    joint,
    licences,
    messages,
    notices,
    publication,
    ratings,
    sendback,
    status,
    summary,
)
from app.services.events import EventBus


def register(bus: EventBus) -> None:
    bus.clear()
    corrections.subscribe(bus)
    status.subscribe(bus)
    clocks.subscribe(bus)
    sendback.subscribe(bus)
    documents.subscribe(bus)
    notices.subscribe(bus)
    messages.subscribe(bus)
    intake.subscribe(bus)
    publication.subscribe(bus)  # before licences: the licence attaches to the decision's entry
    licences.subscribe(bus)
    ratings.subscribe(bus)
    alerts.subscribe(bus)
    joint.subscribe(bus)  # the master moves after its component's step is complete
    summary.subscribe(bus)  # last: the cockpit's daily figures of the change, once every step is applied
