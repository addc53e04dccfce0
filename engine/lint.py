"""Deploy-time lint of parsed process specs: what SpiffWorkflow only discovers at run time.

Checks: every user task sits in a lane naming a known role and has a form; its case-event
declarations (``event``, ``outcome_field``, ``outcome.<value>``; docs/CASE-EVENTS.md) name known
meanings, map every value of the outcome field, and the form defines the fields those meanings read;
every gateway condition, script, pre-/post-script parses and passes the sandbox; every timer is a
quoted, valid ISO 8601 expression; call-activity properties are well formed; a process that can
approve has a step that records delivery.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin

from engine.events import (
    DELIVERY_METHODS,
    EXCLUSIVE,
    MEANING_VALUES,
    PAYLOAD_FIELDS,
    PROP_EVENT,
    PROP_NOTICE_FIELD,
    PROP_OUTCOME_FIELD,
    PROP_OUTCOME_PREFIX,
    PROP_SEND_BACK_TO,
    PROP_SPECIAL,
    Meaning,
    split_meanings,
    task_meanings,
)
from engine.sandbox import lint_source

CALL_ACTIVITY_TYPES = ("CallActivity", "SubWorkflowTask", "TransactionSubprocess")
INT_PROPERTIES = ("time_limit_wd", "yellow_remaining_wd", "yellow_consumed_pct")
SPECIAL_PROCEDURES = frozenset(
    {"expert_review", "site_inspection", "testing", "hearing", "quarantine", "appraisal"}
)


@dataclass(frozen=True, slots=True)
class Problem:
    element: str
    message: str
    severity: str = "error"  # error | warning
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.element
        if self.file:
            where += f" ({self.file}{':' + str(self.line) if self.line else ''})"
        elif self.line:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"


def _conditions(ts: Any) -> Iterable[str]:
    for condition, _target in getattr(ts, "cond_task_specs", ()) or ():
        if condition is None:
            continue
        args = getattr(condition, "args", None)
        if args:
            yield str(args[0])


def _timer_problem(expression: str) -> str | None:
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError as exc:
        return f"timer expression {expression!r} is not valid: {exc.msg}"
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        # A variable holding an absolute date is legitimate (working-day deadlines computed by the
        # application); a bare ISO duration like PT1S is the classic mistake.
        if isinstance(node, ast.Name) and node.id.upper().startswith(("P", "R")) and node.id[1:2].isdigit():
            return f'timer expression {expression!r} must be quoted: "{expression.strip()}"'
        return None
    try:
        TimerEventDefinition.parse_time_or_duration(node.value)
    except Exception:
        try:
            TimerEventDefinition.parse_iso_recurring_interval(node.value)
        except Exception:
            return f"timer value {node.value!r} is not an ISO 8601 date, duration or cycle"
    return None


def _check_properties(element: str, props: dict[str, str]) -> Iterable[Problem]:
    for key in INT_PROPERTIES:
        raw = props.get(key)
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except ValueError:
            yield Problem(element, f"property {key}={raw!r} must be a whole number of working days")
            continue
        if value < 0:
            yield Problem(element, f"property {key}={value} must not be negative")
    sp = props.get(PROP_SPECIAL)
    if sp and sp not in SPECIAL_PROCEDURES:
        yield Problem(element, f"special_procedure {sp!r} is not one of {sorted(SPECIAL_PROCEDURES)}")


def _schema_fields(form: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(form, Mapping):
        return None
    schema = form.get("schema")
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    return dict(props) if isinstance(props, Mapping) else {}


def _field_values(spec: Any) -> list[str] | None:
    """The values an outcome field can take, spelled as in ``outcome.<value>``; None if unbounded."""
    if not isinstance(spec, Mapping):
        return None
    if spec.get("type") == "boolean":
        return ["true", "false"]
    enum = spec.get("enum")
    if isinstance(enum, list):
        return ["true" if v is True else "false" if v is False else str(v) for v in enum]
    return None


def _check_meanings(element: str, props: dict[str, str], form: Mapping[str, Any] | None) -> Iterable[Problem]:
    """The case-event declarations of one user task (docs/CASE-EVENTS.md)."""
    fields = _schema_fields(form)
    always: list[str] = split_meanings(props.get(PROP_EVENT, ""))
    for token in always:
        if token not in MEANING_VALUES:
            yield Problem(
                element, f"event {token!r} is not a known meaning ({', '.join(m.value for m in Meaning)})"
            )
    outcome_field = props.get(PROP_OUTCOME_FIELD)
    mapped = {k[len(PROP_OUTCOME_PREFIX) :]: v for k, v in props.items() if k.startswith(PROP_OUTCOME_PREFIX)}
    if mapped and not outcome_field:
        yield Problem(element, f"outcome.* properties need {PROP_OUTCOME_FIELD} (the form field they map)")
    for value, raw in mapped.items():
        tokens = split_meanings(raw)
        if not tokens:
            yield Problem(element, f"outcome.{value} is empty; write 'none' for an outcome without meaning")
        bad = [t for t in tokens if t not in MEANING_VALUES]
        for token in bad:
            yield Problem(element, f"outcome.{value}: {token!r} is not a known meaning")
        exclusive = [t for t in tokens + always if t in EXCLUSIVE]
        if len(exclusive) > 1:
            yield Problem(
                element, f"outcome.{value} means {' and '.join(exclusive)} at once; they exclude each other"
            )
    if outcome_field and fields is not None:
        spec = fields.get(outcome_field)
        if spec is None:
            yield Problem(
                element, f"{PROP_OUTCOME_FIELD} {outcome_field!r} is not a field of form {element}.json"
            )
        else:
            values = _field_values(spec)
            if values is None:
                yield Problem(element, f"outcome field {outcome_field!r} must be an enum or a boolean")
            else:
                for value in mapped:
                    if value not in values:
                        yield Problem(
                            element,
                            f"outcome.{value}: {value!r} is not a value of {outcome_field!r} ({', '.join(values)})",
                        )
                missing = [v for v in values if v not in mapped]
                if missing:
                    yield Problem(
                        element,
                        f"values of {outcome_field!r} without a meaning: {', '.join(missing)} (map them, 'none' if they have none)",
                    )
    if fields is None:
        return
    for meaning in sorted(task_meanings(props)):
        for field, required in PAYLOAD_FIELDS.get(meaning, ()):
            if required and field not in fields:
                yield Problem(
                    element,
                    f"meaning {meaning.value!r} reads field {field!r}, which form {element}.json lacks",
                )
        if meaning is Meaning.DELIVERED and "delivery_method" in fields:
            methods = _field_values(fields["delivery_method"]) or []
            odd = [m for m in methods if m not in DELIVERY_METHODS]
            if odd:
                yield Problem(
                    element, f"delivery_method values {', '.join(odd)} are not {', '.join(DELIVERY_METHODS)}"
                )


# Steps a case may not be sent back to: once accepted, acceptance is over — the one-time notice of
# everything missing belonged to it (行政许可法 第三十二条), so no later step may reopen it.
NO_RETURN_TO = frozenset({Meaning.ACCEPTED, Meaning.CORRECTION_REQUESTED, Meaning.REFUSED})


def _check_send_backs(tasks: dict[tuple[str, str], dict[str, str]]) -> Iterable[Problem]:
    """``sent_back`` needs ``send_back_to`` naming an earlier user task of the same process that a
    case may lawfully return to; a step after the decision (delivery) cannot send a case back."""
    for (process, element), props in tasks.items():
        meanings = task_meanings(props)
        target = props.get(PROP_SEND_BACK_TO)
        if Meaning.SENT_BACK not in meanings:
            if target:
                yield Problem(element, f"{PROP_SEND_BACK_TO} is given but no outcome means 'sent_back'")
            continue
        if not target:
            yield Problem(
                element, f"meaning 'sent_back' needs {PROP_SEND_BACK_TO} (the step the case returns to)"
            )
            continue
        if target == element:
            yield Problem(
                element, f"{PROP_SEND_BACK_TO}={target!r}: a step cannot send a case back to itself"
            )
            continue
        target_props = tasks.get((process, target))
        if target_props is None:
            yield Problem(
                element, f"{PROP_SEND_BACK_TO}={target!r} is not a user task of process {process!r}"
            )
            continue
        barred = sorted(m.value for m in task_meanings(target_props) & NO_RETURN_TO)
        if barred:
            yield Problem(
                element,
                f"{PROP_SEND_BACK_TO}={target!r}: a case cannot be sent back to acceptance ({', '.join(barred)}) "
                "once accepted (行政许可法 第三十二条)",
            )
        if Meaning.DELIVERED in meanings:
            yield Problem(element, "a step after the decision (it records delivery) cannot send a case back")


def _check_call_activity(element: str, props: dict[str, str]) -> Iterable[Problem]:
    if props.get(PROP_SPECIAL) and props.get("time_limit_wd") in (None, ""):
        yield Problem(
            element, "a special procedure needs time_limit_wd (its own limit, 行政许可法 第四十五条)"
        )
    if props.get(PROP_NOTICE_FIELD) and not props.get(PROP_SPECIAL):
        yield Problem(element, f"{PROP_NOTICE_FIELD} applies only to a special procedure")
    for key in (PROP_EVENT, PROP_OUTCOME_FIELD):
        if key in props:
            yield Problem(element, f"property {key} belongs on a user task, not on a call activity")


def lint_specs(
    specs: Iterable[Any],
    forms: Mapping[str, Any] | Iterable[str],
    roles: set[str],
) -> list[Problem]:
    """Lint parsed specs. ``forms`` maps form file names to their JSON (or is just the names, when
    only their presence can be checked)."""
    form_map: Mapping[str, Any] = forms if isinstance(forms, Mapping) else {name: None for name in forms}
    problems: list[Problem] = []
    meanings: set[Meaning] = set()
    main_process: str | None = None
    user_tasks: dict[tuple[str, str], dict[str, str]] = {}
    for proc in specs:
        main_process = main_process or getattr(proc, "name", None)
        for ts in proc.task_specs.values():
            element = getattr(ts, "bpmn_id", None) or ts.name
            if element is None:
                continue
            props = dict((getattr(ts, "extensions", None) or {}).get("properties", {}) or {})
            problems.extend(_check_properties(element, props))
            if isinstance(ts, UserTaskMixin):
                if not ts.lane:
                    problems.append(Problem(element, "user task is not in a lane; the lane names the role"))
                elif ts.lane not in roles:
                    problems.append(
                        Problem(element, f"lane {ts.lane!r} is not a known role ({', '.join(sorted(roles))})")
                    )
                if f"{element}.json" not in form_map:
                    problems.append(Problem(element, f"no form file {element}.json for this user task"))
                problems.extend(_check_meanings(element, props, form_map.get(f"{element}.json")))
                meanings |= task_meanings(props)
                user_tasks[(str(getattr(proc, "name", "")), element)] = props
            elif type(ts).__name__ in CALL_ACTIVITY_TYPES:
                problems.extend(_check_call_activity(element, props))
            for condition in _conditions(ts):
                for msg in lint_source(condition, "eval", element):
                    problems.append(Problem(element, f"condition {condition!r}: {msg}"))
            for attr in ("script", "prescript", "postscript"):
                source = getattr(ts, attr, None)
                if source:
                    for msg in lint_source(source, "exec", element):
                        problems.append(Problem(element, f"{attr}: {msg}"))
            event_definition = getattr(ts, "event_definition", None)
            if isinstance(event_definition, TimerEventDefinition):
                timer_msg = _timer_problem(event_definition.expression)
                if timer_msg:
                    problems.append(Problem(element, timer_msg))
    problems.extend(_check_send_backs(user_tasks))
    if Meaning.APPROVED in meanings and Meaning.DELIVERED not in meanings and main_process:
        problems.append(
            Problem(
                main_process,
                "the process can approve but no step records delivery (meaning 'delivered', 行政许可法 第四十四条)",
            )
        )
    return problems
