"""Move a running case's workflow state onto another version of its process.

The stored state names every task's spec by its BPMN id (SpiffWorkflow's serializer writes
``task_spec: <name>`` and restores it from the spec it is given), so a case can be restored against a
new version whenever every task it has *passed or is at* still exists there. Predicted tasks (FUTURE,
LIKELY, MAYBE — the engine's guess of the road ahead) are dropped and predicted anew from the new
version, which is how a case picks up a step that was added after its current one.

A case is refused, with the reason, when:

- its current task (READY, WAITING) is missing in the new version, or changed for the people doing it
  (its lane/role, its form, its step limit or any platform property);
- a step it completed changed meaning (``event``, ``outcome_field``, ``outcome.*``, ``special_procedure``)
  or an element it passed was removed (the history would no longer read true);
- a subprocess (a special procedure) is in flight;
- the two versions are of different processes.

The same rules serve the dry run and the migration. The migrated state is restored against the new
version before it is returned, so a state that would not load is a refusal, never a stored case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.util.task import TaskState

from engine.definitions import ProcessDefinition
from engine.sandbox import SafeScriptEngine
from engine.serialization import dump_state, load_state

MEANING_KEYS = ("event", "outcome_field", "special_procedure", "notice_field")
CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED
PASSED = TaskState.FINISHED_MASK
_SCRIPT_ENGINE = SafeScriptEngine()


@dataclass(frozen=True, slots=True)
class MigrationCheck:
    movable: bool
    reasons: tuple[str, ...] = ()
    current: tuple[str, ...] = ()  # BPMN ids of the case's current tasks
    current_names: tuple[str, ...] = field(default=())  # their names (what people read)

    def as_dict(self) -> dict[str, Any]:
        return {"movable": self.movable, "reasons": list(self.reasons), "current": list(self.current)}


class MigrationRefused(Exception):
    def __init__(self, check: MigrationCheck) -> None:
        super().__init__("; ".join(check.reasons))
        self.check = check


def _props(spec: Any) -> dict[str, str]:
    return dict((getattr(spec, "extensions", None) or {}).get("properties", {}) or {})


def _meaning(props: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in props.items() if k in MEANING_KEYS or k.startswith("outcome.")}


def _label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    ident = getattr(spec, "bpmn_id", None) or spec.name
    return f"{ident}（{name}）" if name and name != ident else str(ident)


def _current_changes(
    old: Any, new: Any, old_forms: Mapping[str, Any], new_forms: Mapping[str, Any]
) -> list[str]:
    out = []
    if type(old) is not type(new):
        out.append(f"type {type(old).__name__} → {type(new).__name__}")
    if getattr(old, "lane", None) != getattr(new, "lane", None):
        out.append(f"lane {getattr(old, 'lane', None)} → {getattr(new, 'lane', None)}")
    before, after = _props(old), _props(new)
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out.append(f"{key} {before.get(key)!r} → {after.get(key)!r}")
    if isinstance(old, UserTaskMixin):
        form = f"{old.bpmn_id}.json"
        if old_forms.get(form) != new_forms.get(form):
            out.append(f"form {form}")
    event_old = getattr(old, "event_definition", None)
    event_new = getattr(new, "event_definition", None)
    if event_old is not None or event_new is not None:
        name_old = getattr(event_old, "name", None)
        name_new = getattr(event_new, "name", None)
        if type(event_old) is not type(event_new) or name_old != name_new:
            out.append("event definition")
    return out


def _workflows(wf: Any) -> list[tuple[Any, Any | None]]:
    """(workflow, parent task) for the top workflow and every subprocess it holds."""
    out = [(wf, None)]
    for sp_id, sp in wf.subprocesses.items():
        out.append((sp, wf.get_task_from_id(sp_id)))
    return out


def _spec_for(wf_spec_name: str, top: bool, new: ProcessDefinition) -> Any | None:
    if top:
        return new.spec if new.spec.name == wf_spec_name else None
    return new.subprocess_specs.get(wf_spec_name)


def _check_workflow(
    wf: Any,
    parent: Any | None,
    new_spec: Any | None,
    old_forms: Mapping[str, Any],
    new_forms: Mapping[str, Any],
    reasons: list[str],
    current: list[tuple[str, str]],
) -> None:
    in_flight = parent is not None and not wf.is_completed()
    if parent is not None and in_flight:
        reasons.append(
            f"子流程 {_label(parent.task_spec)} 正在进行中 / a subprocess ({_label(parent.task_spec)}) is in flight"
        )
    if new_spec is None:
        if parent is not None:
            reasons.append(
                f"子流程 {wf.spec.name} 在新版本中不存在 / subprocess {wf.spec.name} is not in the new version"
            )
        return
    for task in wf.get_tasks(skip_subprocesses=True):
        spec = task.task_spec
        if task.has_state(TaskState.PREDICTED_MASK | TaskState.FUTURE):
            continue
        candidate = new_spec.task_specs.get(spec.name)
        is_current = task.has_state(CURRENT)
        if is_current and getattr(spec, "bpmn_id", None) and (parent is None or in_flight):
            current.append((spec.bpmn_id, spec.bpmn_name or spec.bpmn_id))
        if candidate is None:
            if is_current:
                reasons.append(
                    f"当前环节 {_label(spec)} 在新版本中不存在 / its current task {_label(spec)} is missing in the new version"
                )
            elif getattr(spec, "bpmn_id", None):
                reasons.append(
                    f"已经过的 {_label(spec)} 在新版本中被删除 / {_label(spec)}, which it passed, was removed"
                )
            continue
        if is_current:
            changes = _current_changes(spec, candidate, old_forms, new_forms)
            if changes:
                reasons.append(
                    f"当前环节 {_label(spec)} 在新版本中有变化 / its current task {_label(spec)} changed: "
                    + ", ".join(changes)
                )
        elif isinstance(spec, UserTaskMixin) and task.has_state(TaskState.COMPLETED):
            if _meaning(_props(spec)) != _meaning(_props(candidate)):
                reasons.append(
                    f"已完成环节 {_label(spec)} 的含义在新版本中改变 / the completed step {_label(spec)} changed meaning"
                )


def check_migration(
    old: ProcessDefinition,
    new: ProcessDefinition,
    state: str,
    old_forms: Mapping[str, Any] | None = None,
    new_forms: Mapping[str, Any] | None = None,
) -> MigrationCheck:
    """Whether this case's state can move from ``old`` to ``new``, and if not, every reason."""
    old_forms, new_forms = old_forms or {}, new_forms or {}
    if old.process_id != new.process_id:
        return MigrationCheck(
            False, (f"不同的流程 / different processes: {old.process_id} → {new.process_id}",)
        )
    wf = load_state(state, old.spec, old.subprocess_specs, _SCRIPT_ENGINE)
    if wf.is_completed():
        return MigrationCheck(False, ("办件已办结 / the case is completed",))
    reasons: list[str] = []
    current: list[tuple[str, str]] = []
    for sub, parent in _workflows(wf):
        spec = _spec_for(sub.spec.name, parent is None, new)
        _check_workflow(sub, parent, spec, old_forms, new_forms, reasons, current)
    unique = list(dict.fromkeys(current))
    return MigrationCheck(
        not reasons,
        tuple(dict.fromkeys(reasons)),
        tuple(c[0] for c in unique),
        tuple(c[1] for c in unique),
    )


def migrate_state(
    old: ProcessDefinition,
    new: ProcessDefinition,
    state: str,
    old_forms: Mapping[str, Any] | None = None,
    new_forms: Mapping[str, Any] | None = None,
) -> str:
    """The case's state on ``new``. Raises MigrationRefused with the reasons when it cannot move."""
    check = check_migration(old, new, state, old_forms, new_forms)
    if not check.movable:
        raise MigrationRefused(check)
    wf = load_state(state, old.spec, old.subprocess_specs, _SCRIPT_ENGINE)
    for sub, parent in _workflows(wf):
        spec = _spec_for(sub.spec.name, parent is None, new)
        assert spec is not None  # check_migration refused a workflow without a spec in the new version
        sub.spec = spec
        for task in list(sub.tasks.values()):
            if task.id not in sub.tasks:
                continue
            candidate = spec.task_specs.get(task.task_spec.name)
            if candidate is not None:
                task.task_spec = candidate
        # Predicted tasks were guessed from the old version: predict the road ahead anew.
        for task in list(sub.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True)):
            if task.id not in sub.tasks:
                continue
            task._drop_children()
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.DEFINITE_MASK)
    wf.subprocess_specs = dict(new.subprocess_specs)
    moved = dump_state(wf)
    try:
        load_state(moved, new.spec, new.subprocess_specs, _SCRIPT_ENGINE)
    except Exception as exc:  # noqa: BLE001 - a state the new version cannot restore must not be stored
        raise MigrationRefused(
            MigrationCheck(False, (f"迁移后的状态无法恢复 / the migrated state does not load: {exc}",))
        ) from exc
    return moved


def task_ids(state: str) -> set[str]:
    """The task UUIDs in a stored state (the projection keys its open task rows by them)."""
    return set(json.loads(state).get("tasks", {}))
