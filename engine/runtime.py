"""Running cases: start, list ready user tasks, complete one (guarded), deliver messages, fire timers.

Every public method returns plain dataclasses; Spiff objects stay inside this module. The caller
(app.services) stores ``dump()`` and the projected ``snapshot()`` in one transaction.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.definitions import ProcessDefinition
from engine.errors import (
    EngineError,
    MessageNotExpectedError,
    ScriptError,
    TaskNotReadyError,
    UnknownTaskError,
)
from engine.sandbox import SafeScriptEngine
from engine.serialization import dump_state, load_state

# SpiffWorkflow's task iterator stops at depth 1000 (≈330 rounds of a 3-node loop) and then silently
# finds no READY task. Past this depth a loop is restarted from its first round (see _compact).
COMPACT_DEPTH = 450

_SCRIPT_ENGINE = SafeScriptEngine()


@dataclass(frozen=True, slots=True)
class ReadyTask:
    id: str  # Spiff task UUID: stable while the task is open
    task_id: str  # BPMN id of the user task
    name: str
    lane: str | None
    process_id: str
    properties: Mapping[str, str]
    form: str
    call_activity: str | None = None  # BPMN id of the enclosing call activity, if any


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    completed: bool
    ready: tuple[ReadyTask, ...]
    waiting_messages: tuple[str, ...]
    next_timer_due: datetime | None
    active_call_activities: tuple[str, ...]
    end_event: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def _frozen_now(now: datetime | None) -> Iterator[None]:
    """Spiff timers read datetime.now(); let the host pass the time in (scheduler, tests)."""
    if now is None:
        yield
        return
    real = _timer_module.datetime
    fixed = now if now.tzinfo else now.replace(tzinfo=UTC)

    class _Fixed(real):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001
            return fixed.astimezone(tz) if tz else fixed.replace(tzinfo=None)

    with _NOW_LOCK:
        _timer_module.datetime = _Fixed
        try:
            yield
        finally:
            _timer_module.datetime = real


_NOW_LOCK = threading.Lock()


def _wrap(exc: Exception, element: str | None = None) -> EngineError:
    if isinstance(exc, EngineError):
        return exc
    inner = getattr(exc, "exception", None) or exc.__cause__
    if isinstance(inner, EngineError):
        return inner
    task = getattr(exc, "task", None)
    element = element or (getattr(getattr(task, "task_spec", None), "bpmn_id", None) if task else None)
    message = str(getattr(exc, "error", None) or exc)
    return ScriptError(message, element=element)


class CaseRun:
    """One case's workflow, in memory, between load and dump."""

    def __init__(self, definition: ProcessDefinition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self._wf = workflow

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def start(
        cls, definition: ProcessDefinition, data: Mapping[str, Any], now: datetime | None = None
    ) -> CaseRun:
        wf = BpmnWorkflow(definition.spec, dict(definition.subprocess_specs), script_engine=_SCRIPT_ENGINE)
        start = wf.task_tree
        for task in wf.get_tasks(state=TaskState.READY):
            start = task
            break
        start.data.update(copy.deepcopy(dict(data)))
        run = cls(definition, wf)
        run._advance(now)
        return run

    @classmethod
    def load(cls, definition: ProcessDefinition, state: str) -> CaseRun:
        return cls(
            definition, load_state(state, definition.spec, definition.subprocess_specs, _SCRIPT_ENGINE)
        )

    def dump(self) -> str:
        return dump_state(self._wf)

    # -- queries ------------------------------------------------------------------------------
    def _ready_spiff_tasks(self) -> list[Any]:
        return self._wf.get_tasks(state=TaskState.READY, manual=True)

    def _describe(self, task: Any) -> ReadyTask:
        spec = task.task_spec
        props = dict((getattr(spec, "extensions", None) or {}).get("properties", {}) or {})
        call_activity = None
        if task.workflow is not self._wf and task.workflow.parent_task_id is not None:
            parent = self._wf.get_task_from_id(task.workflow.parent_task_id)
            call_activity = getattr(parent.task_spec, "bpmn_id", None)
        return ReadyTask(
            id=str(task.id),
            task_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane,
            process_id=task.workflow.spec.name,
            properties=props,
            form=f"{spec.bpmn_id}.json",
            call_activity=call_activity,
        )

    def ready_tasks(self) -> list[ReadyTask]:
        return [self._describe(t) for t in self._ready_spiff_tasks()]

    def snapshot(self, with_data: bool = True) -> CaseSnapshot:
        """The projected facts of the case; ``with_data=False`` spares the copy of the task data
        (enough to compare two moments: ready tasks, waits, active call activities)."""
        waiting = self._wf.waiting_events()
        messages = tuple(e.name for e in waiting if "Message" in e.event_type)
        timers = []
        for e in waiting:
            if "Timer" in e.event_type and isinstance(e.value, str):
                with contextlib.suppress(ValueError):
                    due = datetime.fromisoformat(e.value)
                    timers.append(due if due.tzinfo else due.replace(tzinfo=UTC))
        active = []
        for task_id in self._wf.subprocesses:
            task = self._wf.get_task_from_id(task_id)
            if task is not None and task.state == TaskState.STARTED:
                active.append(task.task_spec.bpmn_id)
        return CaseSnapshot(
            completed=self._wf.is_completed(),
            ready=tuple(self.ready_tasks()),
            waiting_messages=messages,
            next_timer_due=min(timers) if timers else None,
            active_call_activities=tuple(sorted(set(active))),
            end_event=self._end_event(),
            data=self.data() if with_data else {},
        )

    def _end_event(self) -> str | None:
        if not self._wf.is_completed():
            return None
        ends = [
            t
            for t in self._wf.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent) and t.workflow is self._wf
        ]
        if not ends:
            return None
        return max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id

    def data(self) -> dict[str, Any]:
        if self._wf.is_completed():
            return copy.deepcopy(self._wf.data) or copy.deepcopy(
                self._wf.last_task.data if self._wf.last_task else {}
            )
        ready = self._ready_spiff_tasks()
        if ready:
            return copy.deepcopy(ready[0].data)
        last = self._wf.last_task
        return copy.deepcopy(last.data) if last is not None else {}

    # -- actions ------------------------------------------------------------------------------
    def complete(self, task_uuid: str, data: Mapping[str, Any], now: datetime | None = None) -> ReadyTask:
        """Complete a READY user task with form data. Anything else is refused, nothing runs."""
        try:
            task = self._wf.get_task_from_id(UUID(str(task_uuid)))
        except (ValueError, TypeError):
            task = None
        except Exception:  # Spiff raises TaskNotFoundException for unknown ids
            task = None
        if task is None:
            raise UnknownTaskError(f"task {task_uuid} does not belong to this case", element=str(task_uuid))
        described = self._describe(task) if task.task_spec.manual else None
        if not task.task_spec.manual:
            raise TaskNotReadyError(
                f"task {task.task_spec.bpmn_id} is not a user task", element=task.task_spec.bpmn_id
            )
        if task.state != TaskState.READY:
            raise TaskNotReadyError(
                f"task {task.task_spec.bpmn_id} is {TaskState.get_name(task.state)}, not READY",
                element=task.task_spec.bpmn_id,
            )
        task.data.update(copy.deepcopy(dict(data)))
        with _frozen_now(now):
            try:
                task.run()
            except (SpiffWorkflowException, WorkflowException, Exception) as exc:
                raise _wrap(exc, task.task_spec.bpmn_id) from exc
            self._advance(None)
        assert described is not None
        return described

    def send_message(self, name: str, payload: Mapping[str, Any], now: datetime | None = None) -> None:
        if name not in self.snapshot().waiting_messages:
            raise MessageNotExpectedError(f"the case is not waiting for message '{name}'", element=name)
        with _frozen_now(now):
            try:
                self._wf.send_event(
                    BpmnEvent(MessageEventDefinition(name), payload=copy.deepcopy(dict(payload)))
                )
            except WorkflowException as exc:
                raise MessageNotExpectedError(str(exc), element=name) from exc
            self._advance(None)

    def fire_timers(self, now: datetime) -> None:
        self._advance(now)

    def cancel(self) -> None:
        """End the case without reaching an end event (the application is withdrawn)."""
        try:
            self._wf.cancel()
        except Exception as exc:  # Spiff raises plain exceptions from task.cancel()
            raise _wrap(exc) from exc

    def _advance(self, now: datetime | None) -> None:
        with _frozen_now(now):
            try:
                self._wf.refresh_timers()
                self._wf.do_engine_steps()
            except EngineError:
                raise
            except Exception as exc:
                raise _wrap(exc) from exc
        self._compact()

    def _compact(self) -> None:
        """Restart a long loop from its first round, keeping the latest data (see COMPACT_DEPTH)."""
        for task in self._ready_spiff_tasks():
            if task.depth < COMPACT_DEPTH:
                continue
            first = None
            node = task.parent
            while node is not None:
                if node.task_spec is task.task_spec and node.workflow is task.workflow:
                    first = node
                node = node.parent
            if first is None:
                continue
            task.workflow.reset_from_task_id(first.id, data=copy.deepcopy(task.data))

    def taken_flows(self) -> set[tuple[str, str]]:
        """The (source, target) BPMN ids of every sequence flow this case has travelled so far."""
        pairs: set[tuple[str, str]] = set()
        for task in self._wf.get_tasks(state=TaskState.COMPLETED):
            parent = task.parent
            source = getattr(parent.task_spec, "bpmn_id", None) if parent is not None else None
            target = getattr(task.task_spec, "bpmn_id", None)
            if source and target and parent is not None and parent.state == TaskState.COMPLETED:
                pairs.add((source, target))
        return pairs

    def tree_depth(self) -> int:
        return max((t.depth for t in self._wf.get_tasks()), default=0)
