"""In-transaction hooks: capabilities (clocks, documents, supervision) react to case events here.

Callbacks run inside the service's transaction, before its single commit, so what they write lands
atomically with the case change — or not at all. They must not commit.

Events and their keyword arguments:
- ``case_submitted``  (actor, case, now)
- ``task_completed``  (actor, case, task, data, now)   task: the CaseTask row just completed
- ``supplement_received`` (actor, case, data, now)
- ``tasks_opened``    (case, tasks, now)               tasks: CaseTask rows just created

Every case-changing service emits ``tasks_opened`` last, even when no task was opened, so handlers
that derive state from the whole case (the clock columns) do it there, once per change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

EVENTS = ("case_submitted", "task_completed", "supplement_received", "tasks_opened")
_HANDLERS: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def on(event: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    if event not in EVENTS:
        raise ValueError(f"unknown hook event {event!r}")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if fn not in _HANDLERS[event]:
            _HANDLERS[event].append(fn)
        return fn

    return register


def emit(event: str, **kwargs: Any) -> None:
    for fn in list(_HANDLERS[event]):
        fn(**kwargs)
