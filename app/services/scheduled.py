"""The scheduler's case work: due BPMN timers, Art. 32 deemed acceptance, expired correction deadlines.

Every change goes through ``advance_case`` (one transaction per case, optimistic lock): if another
scheduler or a caseworker saved the case first, this attempt is rolled back and the case is looked
at again on the next pass. Each function takes ``now`` and works from "what is due now".
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import Alert, Case, Session
from app.models.base import dialect_insert, table_of
from app.models.vocab import OPEN_STATUSES, OPEN_TASK_STATES, CaseStatus, ClockKind
from app.services.advance import CompleteTask, FireTimers, Withdraw, advance_case
from app.services.auth import Actor
from app.services.catalogue import definition_for
from app.services.clocks.model import limits
from app.services.errors import DomainError
from engine.events import PROP_OUTCOME_FIELD, Meaning, outcome_values_for
from engine.workcal import local_date

log = logging.getLogger("tongban.scheduled")

DEEMED_NOTE = "申请人提交申请材料后，本机关未在五日内作出受理决定或一次性告知补正，依《中华人民共和国行政许可法》第三十二条视为受理。"
DEEMED_WITHDRAWN_REASON = "申请人逾期未提交补正材料，依本事项办事指南及补正材料通知书的告知，视为撤回申请。"


def _reload(case_id: int) -> Case | None:
    return Session.get(Case, case_id, populate_existing=True)


def wake_due_cases(actor: Actor | None, now: datetime, limit: int = 500) -> list[str]:
    """Fire the BPMN timers that are due and advance those cases, one transaction per case."""
    ids = list(
        Session.scalars(
            select(Case.id)
            .where(Case.next_timer_due <= now, Case.status.in_(OPEN_STATUSES))
            .order_by(Case.next_timer_due)
            .limit(limit)
        )
    )
    woken = []
    for case_id in ids:
        case = _reload(case_id)
        if case is None or case.next_timer_due is None or case.next_timer_due > now:
            continue
        try:
            done = advance_case(actor, case, FireTimers(), audit_action="case.timer_fired", now=now)
        except DomainError as exc:
            log.warning("timer of case %s not fired: %s", case.case_no, exc.message)
            continue
        if done.changed:
            woken.append(case.case_no or "")
    return woken


def _accepting_task(case: Case) -> tuple[Any, dict[str, Any]] | None:
    """The open step whose outcome can mean 'accepted', and the data that says so."""
    definition = definition_for(case.process_version)
    for row in case.tasks:
        if row.state not in OPEN_TASK_STATES:
            continue
        spec = definition.user_tasks.get(row.bpmn_id)
        if spec is None:
            continue
        values = outcome_values_for(spec.properties, Meaning.ACCEPTED)
        field = spec.properties.get(PROP_OUTCOME_FIELD)
        if values and field:
            return row, {field: values[0]}
    return None


def apply_deemed_acceptance(actor: Actor | None, now: datetime) -> list[str]:
    """Art. 32: neither accepted nor told to correct within the acceptance limit → accepted as of receipt.

    The acceptance step is completed by the law itself: the case moves on to review, a 受理通知书
    marked as deemed accepted is issued and the applicant is told (all through the case events).
    """
    on = local_date(now)
    ids = list(
        Session.scalars(
            select(Case.id).where(
                Case.status == CaseStatus.ACCEPTING,
                Case.deadline_kind == ClockKind.ACCEPTANCE,
                Case.deadline < on,
                Case.deemed_accepted.is_(False),
            )
        )
    )
    done = []
    for case_id in ids:
        case = _reload(case_id)
        if case is None or case.accepted_on is not None:
            continue
        found = _accepting_task(case)
        if found is None:
            continue
        row, data = found
        try:
            advance_case(
                actor,
                case,
                CompleteTask(row, data, deemed=True),
                audit_action="case.deemed_accepted",
                now=now,
            )
        except DomainError as exc:
            log.warning("case %s not deemed accepted: %s", case.case_no, exc.message)
            continue
        done.append(case.case_no or "")
    return done


def expire_corrections(actor: Actor | None, now: datetime) -> dict[str, list[str]]:
    """The applicant's correction deadline has passed: per item, deemed withdrawn or the clerks alerted."""
    on = local_date(now)
    cases = Session.scalars(select(Case).where(Case.status == CaseStatus.CORRECTING)).all()
    withdrawn, alerted = [], []
    for case in cases:
        waits = [c for c in (case.clock_inputs or {}).get("correction", []) if not c.get("end")]
        deadline = waits[-1].get("deadline") if waits else None
        if not deadline or on <= datetime.fromisoformat(deadline).date():
            continue
        if limits(case.item).get("correction_expiry") == "withdrawn":
            try:
                advance_case(
                    actor,
                    case,
                    Withdraw(DEEMED_WITHDRAWN_REASON, deemed=True),
                    audit_action="case.deemed_withdrawn",
                    now=now,
                )
            except DomainError as exc:
                log.warning("case %s not withdrawn: %s", case.case_no, exc.message)
                continue
            withdrawn.append(case.case_no or "")
        else:
            stmt = (
                dialect_insert(table_of(Alert))
                .values(
                    subject_kind="correction",
                    subject_id=case.id,
                    case_id=case.id,
                    level="red",
                    state="open",
                    department_code=case.department_code,
                    deadline=datetime.fromisoformat(deadline).date(),
                    raised_on=on,
                    created_at=now,
                    note="申请人补正期限已届满，请联系申请人并决定后续处理",
                )
                .on_conflict_do_nothing()
            )
            if Session.execute(stmt.returning(table_of(Alert).c.id)).first() is not None:
                alerted.append(case.case_no or "")
            Session.commit()
    return {"withdrawn": withdrawn, "alerted": alerted}
