"""Advancing a case: the one function that changes a case's workflow.

load the run → act (complete a task, deliver a message, fire timers, withdraw) → translate the change
into case events (engine.events.translate, the one place meanings are decoded) → project the
snapshot onto the case and task rows → publish the events to the capabilities → audit → commit.

A step applies wholly or not at all: any DomainError or engine error — from the engine, from a
subscriber, from the commit (optimistic lock) — rolls the session back before it is raised, so
neither this request nor a later one sees a half-applied step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.models import Case, CaseTask, Material, Session, utcnow
from app.models.vocab import TaskState
from app.services import audit
from app.services.auth import Actor
from app.services.catalogue import definition_for
from app.services.errors import Conflict, DomainError, ValidationFailed
from app.services.events import BUS, EventContext, run_after_commit
from app.services.i18n import t
from app.services.projection import apply_snapshot, case_summary
from engine.errors import EngineError, MessageNotExpectedError
from engine.events import CaseEvent, Submitted, Withdrawn, translate
from engine.runtime import CaseRun, CaseSnapshot


@dataclass(frozen=True)
class CompleteTask:
    task: CaseTask
    data: dict[str, Any]
    deemed: bool = False  # the law completes it (Art. 32 deemed acceptance), not a person


@dataclass(frozen=True)
class DeliverMessage:
    name: str
    data: dict[str, Any]


@dataclass(frozen=True)
class FireTimers:
    pass


@dataclass(frozen=True)
class Withdraw:
    reason: str
    deemed: bool = False


@dataclass(frozen=True)
class Record:
    """A fact about the case that moves no workflow step (e.g. a further written notice, Art. 45).
    ``data``: what the capabilities read as the step's form data (a joint case's merged notice)."""

    event: CaseEvent
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MoveToVersion:
    """A running case moves to another process version (the designer's migration): its state was
    mapped onto the new version's spec beforehand; no step runs, the clocks are recomputed."""

    version: str
    state: str


Action = CompleteTask | DeliverMessage | FireTimers | Withdraw | Record | MoveToVersion


@dataclass
class Advanced:
    case: Case
    events: list[CaseEvent] = field(default_factory=list)
    opened: list[CaseTask] = field(default_factory=list)
    changed: bool = True


def engine_error(exc: EngineError) -> DomainError:
    if isinstance(exc, MessageNotExpectedError):
        return Conflict(exc.message, code=exc.code)
    if exc.code in ("task_not_ready", "task_unknown"):
        return Conflict(exc.message, code=exc.code)
    return DomainError(
        t("流程执行出错：%(exc)s", exc=exc), details={"element": exc.element}, code="process_error"
    )


# how the databases name the unique document number in their error: PostgreSQL the constraint, SQLite the column
DOCUMENT_NUMBER_KEYS = ("uq_case_document_number", "case_document.number")


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Roll the session back on any failure; a lost optimistic-lock race becomes a 409, a document number
    typed at the same moment for another case (its unique key) the form's 422."""
    try:
        yield
    except StaleDataError as exc:
        Session.rollback()
        raise Conflict("办件已被他人更新，请刷新后重试", code="stale_case") from exc
    except IntegrityError as exc:
        Session.rollback()
        if any(key in str(exc.orig) for key in DOCUMENT_NUMBER_KEYS):
            # typed for another case at the same moment (checked free before, written by both): the form's 422
            raise ValidationFailed(
                t("文号已被同时办理的其他办件使用，请更换文号"),
                [{"field": "decision_number", "message": t("该文号已被使用")}],
                code="number_taken",
            ) from exc
        raise  # others are the caller's to read (an idempotent filing replays the first answer on its key's)
    except EngineError as exc:
        Session.rollback()
        raise engine_error(exc) from exc
    except BaseException:
        Session.rollback()
        raise


def _act(run: CaseRun, action: Action, now: datetime) -> None:
    if isinstance(action, CompleteTask):
        run.complete(action.task.spiff_task_id, action.data, now=now)
    elif isinstance(action, DeliverMessage):
        run.send_message(action.name, action.data, now=now)
    elif isinstance(action, FireTimers):
        run.fire_timers(now)
    elif isinstance(action, Withdraw):
        run.cancel()


def _nothing_happened(before: CaseSnapshot, after: CaseSnapshot) -> bool:
    return (
        after.next_timer_due == before.next_timer_due
        and after.completed == before.completed
        and [t.id for t in after.ready] == [t.id for t in before.ready]
        and after.active_call_activities == before.active_call_activities
    )


def advance_case(
    actor: Actor | None,
    case: Case,
    action: Action,
    *,
    audit_action: str,
    now: datetime | None = None,
) -> Advanced:
    """Apply one action to a case and commit it with everything it causes — or nothing at all."""
    at = now or utcnow()
    with all_or_nothing():
        stepped = step_case(actor, case, action, audit_action=audit_action, at=at)
        if stepped is None:
            Session.rollback()
            return Advanced(case, changed=False)
        advanced, context = stepped
        Session.commit()
    run_after_commit(context)
    return advanced


def step_case(
    actor: Actor | None, case: Case, action: Action, *, audit_action: str, at: datetime
) -> tuple[Advanced, EventContext] | None:
    """The step of ``advance_case`` without the commit, inside the caller's transaction: a joint case
    (app.services.joint) moves its master and components together, so they commit (or roll back) as
    one. Returns None when timers fired and nothing happened. The caller runs the context's
    after-commit work once it has committed."""
    before_summary = case_summary(case)
    if isinstance(action, MoveToVersion):
        case.process_version, case.state = action.version, action.state
    definition = definition_for(case.process_version)
    run = CaseRun.load(definition, case.state)
    before = run.snapshot(with_data=False)
    _act(run, action, at)
    after = run.snapshot()
    if isinstance(action, FireTimers) and _nothing_happened(before, after):
        return None
    task_props: dict[str, str] | None = None
    completed_id: str | None = None
    data: dict[str, Any] = {}
    first: tuple[CaseEvent, ...] = ()
    row: CaseTask | None = None
    if isinstance(action, CompleteTask):
        row = action.task
        completed_id = row.bpmn_id
        task_props = dict(definition.user_tasks[row.bpmn_id].properties)
        data = action.data
        row.state = TaskState.COMPLETED
        row.completed_at = at
        row.completed_by_id = actor.id if actor else None
        if row.assignee_id is None and actor is not None:
            row.assignee_id = actor.id
        row.data = action.data
    elif isinstance(action, DeliverMessage):
        data = action.data
    elif isinstance(action, Withdraw):
        first = (Withdrawn(reason=action.reason, deemed=action.deemed),)
    elif isinstance(action, Record):
        first = (action.event,)
        data = action.data
    events = translate(
        definition,
        before,
        after,
        completed_task=completed_id,
        task_properties=task_props,
        data=data,
        message=action.name if isinstance(action, DeliverMessage) else None,
        deemed=isinstance(action, CompleteTask) and action.deemed,
        first=first,
    )
    opened = apply_snapshot(case, run, after, at)
    context = EventContext(actor, case, at, row, data)
    BUS.publish(events, context)
    target = f"{row.bpmn_id}#{row.id}" if row is not None else case.case_no
    after_summary = {**case_summary(case), "events": [e.kind.value for e in events[:-1]]}
    if data:
        after_summary["data"] = data
    audit.record(actor, audit_action, case.id, target=target, before=before_summary, after=after_summary)
    return Advanced(case, events, opened), context


def open_case(
    actor: Actor | None,
    case: Case,
    run: CaseRun,
    *,
    channel: str,
    now: datetime,
    materials: list[Material] | None = None,
) -> Advanced:
    """A new case row (flushed, with its case number): project, publish ``Submitted``, audit, commit.
    ``materials``: every material filed with it, when the caller knows them all (EventContext)."""
    with all_or_nothing():
        advanced, context = start_case(actor, case, run, channel=channel, now=now, materials=materials)
        Session.commit()
    run_after_commit(context)
    return advanced


def start_case(
    actor: Actor | None,
    case: Case,
    run: CaseRun,
    *,
    channel: str,
    now: datetime,
    materials: list[Material] | None = None,
) -> tuple[Advanced, EventContext]:
    """``open_case`` without the commit (the components of a joint case open in its transaction)."""
    after = run.snapshot()
    events = translate(definition_for(case.process_version), None, after, first=(Submitted(channel=channel),))
    opened = apply_snapshot(case, run, after, now)
    context = EventContext(actor, case, now, materials=materials)
    BUS.publish(events, context)
    after_summary = {**case_summary(case), "events": [e.kind.value for e in events[:-1]]}
    audit.record(actor, "case.submit", case.id, target=case.case_no, before=None, after=after_summary)
    return Advanced(case, events, opened), context
