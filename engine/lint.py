"""Deploy-time lint of parsed process specs: what SpiffWorkflow only discovers at run time.

Checks: every user task sits in a lane naming a known role and has a form; every gateway condition,
script, pre-/post-script parses and passes the sandbox; every timer is a quoted, valid ISO 8601
expression; call-activity properties are well formed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin

from engine.sandbox import lint_source

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
    sp = props.get("special_procedure")
    if sp and sp not in SPECIAL_PROCEDURES:
        yield Problem(element, f"special_procedure {sp!r} is not one of {sorted(SPECIAL_PROCEDURES)}")


def lint_specs(specs: Iterable[Any], form_names: set[str], roles: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for proc in specs:
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
                if f"{element}.json" not in form_names:
                    problems.append(Problem(element, f"no form file {element}.json for this user task"))
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
                msg = _timer_problem(event_definition.expression)
                if msg:
                    problems.append(Problem(element, msg))
    return problems
