"""The case-event bus: capabilities subscribe to typed events (engine.events), registered explicitly.

Subscriptions are made by ``app.capabilities.register`` in the app factory — never as an import side
effect. Handlers run inside the transaction of ``app.services.advance.advance_case``, in the order
they were subscribed, and never commit. A ``DomainError`` from any handler rolls the whole step back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from engine.events import EVENT_TYPES, CaseEvent
from engine.workcal import local_date

log = logging.getLogger("tongban.events")

if TYPE_CHECKING:
    from app.models import Case, CaseTask
    from app.services.auth import Actor


@dataclass
class EventContext:
    """What a handler knows besides the event: who acted, on which case, when, from which step."""

    actor: Actor | None
    case: Case
    now: datetime
    task: CaseTask | None = None  # the task row just completed, if the change completed one
    data: dict[str, Any] = field(default_factory=dict)  # its form data (or the message payload)
    events: list[CaseEvent] = field(default_factory=list)  # every event of this change, in order
    # rows a capability wrote in this change for the next one (the document a notice links, the notice
    # an SMS carries): handed on here instead of being read back from the database
    issued: list[Any] = field(default_factory=list)
    # a new case's materials, all of them, when the filing knows them (None: read them from the database)
    materials: list[Any] | None = None
    # work for after the commit (e.g. sending the SMS queued in this step); never run if it rolls back
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def today(self) -> date:
        return local_date(self.now)


E = TypeVar("E", bound=CaseEvent)
Handler = Callable[[Any, EventContext], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[CaseEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E, EventContext], None]) -> None:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"{event_type!r} is not a case event type")
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def clear(self) -> None:
        self._handlers.clear()

    def handlers(self, event_type: type[CaseEvent]) -> list[Handler]:
        return list(self._handlers.get(event_type, ()))

    def publish(self, events: list[CaseEvent], ctx: EventContext) -> None:
        ctx.events = list(events)
        for event in events:
            for handler in self._handlers.get(type(event), ()):
                handler(event, ctx)


def run_after_commit(ctx: EventContext) -> None:
    """Run what the handlers left for after the commit; each failure is logged, never raised: the
    step is committed already, and such work (delivery of messages) retries on its own."""
    for work in ctx.after_commit:
        try:
            work()
        except Exception:  # noqa: BLE001 - the committed step must not turn into an error
            log.exception("after-commit work of case %s failed", getattr(ctx.case, "case_no", "?"))
    ctx.after_commit.clear()


BUS = EventBus()
