"""Case events: what a step means, declared in the BPMN and translated here — and only here.

A user task declares its meaning with ``spiffworkflow:properties`` (see docs/CASE-EVENTS.md):
``event`` (meanings whenever it completes), ``outcome_field`` and ``outcome.<value>`` (meanings of one
outcome value). Call activities with ``special_procedure`` are Art. 45 special procedures. The lint
(``engine.lint``) checks these declarations at deploy; :func:`translate` turns one change of a case
(a completed task, a delivered message, fired timers, a withdrawal) into typed events. Pure Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from engine.definitions import ProcessDefinition
    from engine.runtime import CaseSnapshot


class Meaning(StrEnum):
    """What the completion of a user task (or one of its outcome values) means for the case."""

    ACCEPTED = "accepted"
    CORRECTION_REQUESTED = "correction_requested"
    REFUSED = "refused"
    REVIEW_DONE = "review_done"
    APPROVED = "approved"
    DENIED = "denied"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    DELIVERED = "delivered"
    SENT_BACK = "sent_back"  # 退回: the case returns to an earlier step (``send_back_to``) with a reason
    NONE = "none"


class EventKind(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    CORRECTION_REQUESTED = "correction_requested"
    SUPPLEMENTED = "supplemented"
    REFUSED = "refused"
    REVIEW_DONE = "review_done"
    SPECIAL_PROCEDURE_STARTED = "special_procedure_started"
    SPECIAL_PROCEDURE_RENOTIFIED = "special_procedure_renotified"
    SPECIAL_PROCEDURE_ENDED = "special_procedure_ended"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    DECIDED = "decided"
    DELIVERED = "delivered"
    WITHDRAWN = "withdrawn"
    SENT_BACK = "sent_back"
    COMPLETED = "completed"
    CASE_ADVANCED = "case_advanced"


# Property names (user tasks and call activities).
PROP_EVENT = "event"
PROP_OUTCOME_FIELD = "outcome_field"
PROP_OUTCOME_PREFIX = "outcome."
PROP_SPECIAL = "special_procedure"
PROP_NOTICE_FIELD = "notice_field"
PROP_SEND_BACK_TO = "send_back_to"
DEFAULT_NOTICE_FIELD = "expected_duration_wd"
DELIVERY_METHODS = ("window", "post", "electronic")

# Form fields each meaning reads: (field, required). The lint checks the required ones exist.
PAYLOAD_FIELDS: dict[Meaning, tuple[tuple[str, bool], ...]] = {
    Meaning.CORRECTION_REQUESTED: (("deficient_materials", True),),
    Meaning.REFUSED: (("refuse_reason", True),),
    Meaning.DENIED: (("deny_reason", False), ("refuse_reason", False)),
    Meaning.EXTENSION_REQUESTED: (("extension_days", True), ("extension_reason", True)),
    Meaning.DELIVERED: (("delivery_method", False), ("delivered_on", False), ("recipient", False)),
    Meaning.SENT_BACK: (("send_back_reason", True),),
}
# Meanings that exclude each other on one completion.
EXCLUSIVE = frozenset(
    {
        Meaning.ACCEPTED,
        Meaning.CORRECTION_REQUESTED,
        Meaning.REFUSED,
        Meaning.APPROVED,
        Meaning.DENIED,
        Meaning.EXTENSION_REQUESTED,
        Meaning.EXTENSION_APPROVED,
        Meaning.EXTENSION_REFUSED,
        Meaning.SENT_BACK,
    }
)


# -- the events ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CaseEvent:
    kind: ClassVar[EventKind]
    task: str | None = None  # BPMN id of the user task whose completion caused it


@dataclass(frozen=True, kw_only=True)
class Submitted(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.SUBMITTED
    channel: str = "online"  # online | window


@dataclass(frozen=True, kw_only=True)
class Accepted(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.ACCEPTED
    deemed: bool = False  # 行政许可法 第三十二条: no decision on acceptance within 5 WD


@dataclass(frozen=True, kw_only=True)
class CorrectionRequested(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.CORRECTION_REQUESTED
    materials: tuple[tuple[str, str], ...] = ()  # (material code, reason)


@dataclass(frozen=True, kw_only=True)
class Supplemented(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.SUPPLEMENTED
    materials: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Refused(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.REFUSED
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ReviewDone(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.REVIEW_DONE
    outcome: str | None = None


@dataclass(frozen=True, kw_only=True)
class SpecialProcedureStarted(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.SPECIAL_PROCEDURE_STARTED
    code: str = ""
    element: str = ""  # the call activity
    notified_wd: int | None = None  # the duration told to the applicant in writing (Art. 45)
    limit_wd: int | None = None  # the procedure's own limit from the BPMN


@dataclass(frozen=True, kw_only=True)
class SpecialProcedureRenotified(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.SPECIAL_PROCEDURE_RENOTIFIED
    code: str = ""
    notified_wd: int = 0
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SpecialProcedureEnded(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.SPECIAL_PROCEDURE_ENDED
    code: str = ""
    element: str = ""


@dataclass(frozen=True, kw_only=True)
class ExtensionRequested(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.EXTENSION_REQUESTED
    days: int = 0
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ExtensionApproved(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.EXTENSION_APPROVED
    opinion: str = ""


@dataclass(frozen=True, kw_only=True)
class ExtensionRefused(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.EXTENSION_REFUSED
    opinion: str = ""


@dataclass(frozen=True, kw_only=True)
class Decided(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.DECIDED
    approved: bool = True
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Delivered(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.DELIVERED
    method: str = "window"
    on: date | None = None  # None: the day of the change
    recipient: str | None = None


@dataclass(frozen=True, kw_only=True)
class Withdrawn(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.WITHDRAWN
    reason: str = ""
    deemed: bool = False  # 视为撤回: the correction deadline passed where the item says so


@dataclass(frozen=True, kw_only=True)
class SentBack(CaseEvent):
    """退回: the step ``task`` returned the case to the earlier step ``to_step`` (``send_back_to``)."""

    kind: ClassVar[EventKind] = EventKind.SENT_BACK
    to_step: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Completed(CaseEvent):
    kind: ClassVar[EventKind] = EventKind.COMPLETED
    end_event: str | None = None


@dataclass(frozen=True, kw_only=True)
class CaseAdvanced(CaseEvent):
    """Always the last event of a change: the user tasks it opened and closed (Spiff task ids)."""

    kind: ClassVar[EventKind] = EventKind.CASE_ADVANCED
    opened: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()


EVENT_TYPES: tuple[type[CaseEvent], ...] = (
    Submitted,
    Accepted,
    CorrectionRequested,
    Supplemented,
    Refused,
    ReviewDone,
    SpecialProcedureStarted,
    SpecialProcedureRenotified,
    SpecialProcedureEnded,
    ExtensionRequested,
    ExtensionApproved,
    ExtensionRefused,
    Decided,
    Delivered,
    Withdrawn,
    SentBack,
    Completed,
    CaseAdvanced,
)


# -- reading the declarations ---------------------------------------------------------------------


def split_meanings(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def outcome_value_key(value: Any) -> str:
    """How an outcome value is spelled in ``outcome.<value>`` (booleans as ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def declared_meanings(properties: Mapping[str, str], data: Mapping[str, Any]) -> list[Meaning]:
    """The meanings of completing a task with these properties and this form data (lint-checked)."""
    out: list[Meaning] = []
    field = properties.get(PROP_OUTCOME_FIELD)
    if field:
        value = data.get(field)
        if value is not None:
            raw = properties.get(PROP_OUTCOME_PREFIX + outcome_value_key(value), "")
            out += [Meaning(m) for m in split_meanings(raw) if m in MEANING_VALUES]
    out += [Meaning(m) for m in split_meanings(properties.get(PROP_EVENT, "")) if m in MEANING_VALUES]
    return [m for m in out if m is not Meaning.NONE]


def outcome_values_for(properties: Mapping[str, str], meaning: Meaning) -> list[str]:
    """Outcome values of a task that carry ``meaning`` (e.g. which value means accepted)."""
    return [
        key[len(PROP_OUTCOME_PREFIX) :]
        for key, raw in properties.items()
        if key.startswith(PROP_OUTCOME_PREFIX) and meaning.value in split_meanings(raw)
    ]


MEANING_VALUES = frozenset(m.value for m in Meaning)


def task_meanings(properties: Mapping[str, str]) -> set[Meaning]:
    """Every meaning a task can have, whatever its outcome (unknown words are the lint's business)."""
    out = {Meaning(m) for m in split_meanings(properties.get(PROP_EVENT, "")) if m in MEANING_VALUES}
    for key, raw in properties.items():
        if key.startswith(PROP_OUTCOME_PREFIX):
            out |= {Meaning(m) for m in split_meanings(raw) if m in MEANING_VALUES}
    out.discard(Meaning.NONE)
    return out


# -- translating one change -----------------------------------------------------------------------


def _text(data: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _meaning_event(
    meaning: Meaning, task: str, data: Mapping[str, Any], deemed: bool, properties: Mapping[str, str]
) -> CaseEvent | None:
    if meaning is Meaning.ACCEPTED:
        return Accepted(task=task, deemed=deemed)
    if meaning is Meaning.CORRECTION_REQUESTED:
        rows = data.get("deficient_materials") or []
        pairs = tuple(
            (str(r.get("material", "")), str(r.get("reason", ""))) for r in rows if isinstance(r, Mapping)
        )
        return CorrectionRequested(task=task, materials=pairs)
    if meaning is Meaning.REFUSED:
        return Refused(task=task, reason=_text(data, "refuse_reason"))
    if meaning is Meaning.REVIEW_DONE:
        field = data.get("review_outcome")
        return ReviewDone(task=task, outcome=field if isinstance(field, str) else None)
    if meaning is Meaning.APPROVED:
        return Decided(task=task, approved=True, reason=_text(data, "decision_reason"))
    if meaning is Meaning.DENIED:
        return Decided(task=task, approved=False, reason=_text(data, "deny_reason", "refuse_reason"))
    if meaning is Meaning.EXTENSION_REQUESTED:
        return ExtensionRequested(
            task=task, days=_int(data.get("extension_days")) or 0, reason=_text(data, "extension_reason")
        )
    if meaning is Meaning.EXTENSION_APPROVED:
        return ExtensionApproved(task=task, opinion=_text(data, "extension_opinion"))
    if meaning is Meaning.EXTENSION_REFUSED:
        return ExtensionRefused(task=task, opinion=_text(data, "extension_opinion"))
    if meaning is Meaning.SENT_BACK:
        return SentBack(
            task=task, to_step=properties.get(PROP_SEND_BACK_TO, ""), reason=_text(data, "send_back_reason")
        )
    if meaning is Meaning.DELIVERED:
        method = data.get("delivery_method")
        return Delivered(
            task=task,
            method=method if method in DELIVERY_METHODS else "window",
            on=_date(data.get("delivered_on")),
            recipient=_text(data, "recipient") or None,
        )
    return None


def _special_calls(definition: ProcessDefinition, active: Iterable[str]) -> list[str]:
    return [ca for ca in active if (definition.call_activities.get(ca) or {}).get(PROP_SPECIAL)]


def _procedure_started(
    definition: ProcessDefinition, element: str, data: Mapping[str, Any], task: str | None
) -> SpecialProcedureStarted:
    props = definition.call_activities.get(element) or {}
    notified = _int(data.get(props.get(PROP_NOTICE_FIELD) or DEFAULT_NOTICE_FIELD))
    return SpecialProcedureStarted(
        task=task,
        code=str(props.get(PROP_SPECIAL)),
        element=element,
        notified_wd=notified if notified and notified > 0 else None,
        limit_wd=_int(props.get("time_limit_wd")),
    )


def translate(
    definition: ProcessDefinition,
    before: CaseSnapshot | None,
    after: CaseSnapshot,
    *,
    completed_task: str | None = None,
    task_properties: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    message: str | None = None,
    deemed: bool = False,
    first: tuple[CaseEvent, ...] = (),
) -> list[CaseEvent]:
    """The events of one change of a case, in the order capabilities should see them.

    ``before`` is None when the case has just started. ``completed_task``/``task_properties``/``data``
    describe a completed user task; ``message``/``data`` a delivered message. ``deemed`` marks an
    acceptance that the law deems made (Art. 32). ``first`` are events the caller knows of already
    (``Submitted``, ``Withdrawn``). The final ``CaseAdvanced`` lists opened/closed tasks. A workflow that
    ends without an end event (cancelled on withdrawal) gives no ``Completed``.
    """
    data = data or {}
    events: list[CaseEvent] = list(first)
    if completed_task is not None:
        for meaning in declared_meanings(task_properties or {}, data):
            event = _meaning_event(meaning, completed_task, data, deemed, task_properties or {})
            if event is not None:
                events.append(event)
    if message == "supplement":
        rows = data.get("materials") or []
        codes = tuple(str(r.get("material")) for r in rows if isinstance(r, Mapping) and r.get("material"))
        events.append(Supplemented(materials=codes))
    was_active = set(_special_calls(definition, before.active_call_activities if before else ()))
    now_active = set(_special_calls(definition, after.active_call_activities))
    for element in sorted(was_active - now_active):
        code = str((definition.call_activities.get(element) or {}).get(PROP_SPECIAL))
        events.append(SpecialProcedureEnded(task=completed_task, code=code, element=element))
    merged = {**dict(after.data), **dict(data)}
    for element in sorted(now_active - was_active):
        events.append(_procedure_started(definition, element, merged, completed_task))
    if after.completed and after.end_event is not None and not (before and before.completed):
        events.append(Completed(task=completed_task, end_event=after.end_event))
    before_ids = {t.id for t in before.ready} if before else set()
    after_ids = {t.id for t in after.ready}
    events.append(
        CaseAdvanced(
            task=completed_task,
            opened=tuple(t.id for t in after.ready if t.id not in before_ids),
            closed=tuple(sorted(before_ids - after_ids)),
        )
    )
    return events
