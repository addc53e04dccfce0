"""The case-event bus: capabilities subscribe to typed events (engine.events), registered explicitly.

Subscriptions are made by ``app.capabilities.register`` in the app factory — never as an import side
effect. Handlers run inside the transaction of ``app.services.advance.advance_case``, in the order
they were subscribed, and never commit. A ``DomainError`` from any handler rolls the whole step back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from engine.events import EVENT_TYPES, CaseEvent
from engine.workcal import local_date

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


BUS = EventBus()
