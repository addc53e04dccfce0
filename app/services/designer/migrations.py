"""Move an item's open cases from one version to another: a dry run that says, case by case, movable
or refused and why; then the migration of the movable ones, each case in its own transaction with an
audit row and its clocks recomputed, and a report of the whole run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models import Case, CaseMigration, Session, utcnow
from app.services import audit
from app.services.advance import MoveToVersion, advance_case
from app.services.auth import Actor
from app.services.catalogue import definition_for, forms_for
from app.services.designer.versions import item_for_design, version_of
from app.services.errors import DomainError, NotFound, ValidationFailed
from app.services.i18n import t
from app.services.projection import OPEN_STATES, OPEN_STATUSES
from engine.definitions import ProcessDefinition
from engine.errors import EngineError
from engine.migration import MigrationRefused, check_migration, migrate_state
from engine.runtime import CaseRun

MAX_CASES = 5000


def _open_cases(item_id: int, version: str) -> list[Case]:
    stmt = (
        select(Case)
        .where(Case.item_id == item_id, Case.process_version == version, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.id)
        .limit(MAX_CASES)
    )
    return list(Session.scalars(stmt))


def _versions(actor: Actor, code: str, from_version: Any, to_version: Any):
    item = item_for_design(actor, code)
    problems = []
    for field, value in (("from_version", from_version), ("to_version", to_version)):
        if not isinstance(value, str) or not value:
            problems.append({"field": field, "message": "required: a version of this item"})
    if problems:
        raise ValidationFailed(t("请指明版本"), problems)
    try:
        old, new = version_of(item, from_version), version_of(item, to_version)
    except NotFound as exc:  # another item's version (or none): a bad request for a migration
        raise ValidationFailed(
            exc.message,
            [{"field": "to_version", "message": "not a version of this item"}],
            code="version_not_of_item",
        ) from exc
    if old.version == new.version:
        raise ValidationFailed(
            t("两个版本相同"),
            [{"field": "to_version", "message": "same as from_version"}],
        )
    return item, old, new


def _row(case: Case, check: Any, moved: bool | None = None) -> dict[str, Any]:
    row = {
        "case_no": case.case_no,
        "status": case.status,
        "movable": check.movable,
        "current": list(check.current),
        "current_names": list(check.current_names),
        "reasons": list(check.reasons),
    }
    if moved is not None:
        row["moved"] = moved
    return row


def plan_migration(
    actor: Actor,
    code: str,
    from_version: Any,
    to_version: Any,
    dry_run: bool = True,
    now: datetime | None = None,
) -> CaseMigration:
    item, old, new = _versions(actor, code, from_version, to_version)
    old_def, new_def = definition_for(old.version), definition_for(new.version)
    old_forms, new_forms = forms_for(old.version), forms_for(new.version)
    case_ids = [c.id for c in _open_cases(item.id, old.version)]
    report: list[dict[str, Any]] = []
    moved = refused = 0
    for case_id in case_ids:
        case = Session.scalar(select(Case).where(Case.id == case_id).options(selectinload(Case.tasks)))
        if case is None:
            continue
        try:
            check = check_migration(old_def, new_def, case.state, old_forms, new_forms)
        except Exception as exc:  # noqa: BLE001 - a state that does not even load is refused, not a 500
            report.append(
                {
                    "case_no": case.case_no,
                    "status": case.status,
                    "movable": False,
                    "current": [],
                    "reasons": [t("状态无法读取：%(error)s", error=str(exc))],
                }
            )
            refused += 1
            continue
        if dry_run or not check.movable:
            report.append(_row(case, check))
            refused += 0 if check.movable else 1
            continue
        ok, reasons = _migrate_one(
            actor, case, old.version, new.version, old_def, new_def, old_forms, new_forms, now
        )
        report.append({**_row(case, check, ok), "reasons": reasons})
        moved += 1 if ok else 0
        refused += 0 if ok else 1
    run = CaseMigration(
        item_id=item.id,
        from_version=old.version,
        to_version=new.version,
        dry_run=dry_run,
        actor_name=actor.username,
        moved=0 if dry_run else moved,
        refused=refused,
        report=report,
    )
    Session.add(run)
    audit.record(
        actor,
        "process.migrate_dry_run" if dry_run else "process.migrate",
        None,
        target=item.slug,
        before={"version": old.version},
        after={"version": new.version, "moved": run.moved, "refused": refused, "cases": len(report)},
    )
    Session.commit()
    return run


def _migrate_one(
    actor: Actor,
    case: Case,
    from_v: str,
    to_v: str,
    old_def: ProcessDefinition,
    new_def: ProcessDefinition,
    old_forms: dict[str, Any],
    new_forms: dict[str, Any],
    now: datetime | None,
) -> tuple[bool, list[str]]:
    """One case, one transaction: state, version, open task rows, clocks, audit — or nothing."""
    try:
        state = migrate_state(old_def, new_def, case.state, old_forms, new_forms)
        CaseRun.load(new_def, state).snapshot()  # the mapped state must restore on the new version
    except MigrationRefused as exc:
        Session.rollback()
        return False, list(exc.check.reasons)
    except (EngineError, Exception) as exc:  # noqa: BLE001 - never half a migration
        Session.rollback()
        return False, [f"迁移失败：{exc}"]
    ready = {t.id: t for t in CaseRun.load(new_def, state).snapshot(with_data=False).ready}
    for row in case.tasks:
        if row.state in OPEN_STATES and row.spiff_task_id in ready:
            fresh = ready[row.spiff_task_id]
            row.name = fresh.name
            row.form = fresh.form
    try:
        advance_case(actor, case, MoveToVersion(to_v, state), audit_action="case.migrate", now=now)
    except DomainError as exc:
        return False, [exc.message]
    return True, []


def list_migrations(actor: Actor, code: str, limit: int = 20) -> list[CaseMigration]:
    item = item_for_design(actor, code)
    stmt = (
        select(CaseMigration)
        .where(CaseMigration.item_id == item.id)
        .order_by(CaseMigration.id.desc())
        .limit(limit)
    )
    return list(Session.scalars(stmt))


def migration_dict(run: CaseMigration) -> dict[str, Any]:
    return {
        "id": run.id,
        "from_version": run.from_version,
        "to_version": run.to_version,
        "dry_run": run.dry_run,
        "at": run.at.isoformat() if run.at else utcnow().isoformat(),
        "actor": run.actor_name,
        "moved": run.moved,
        "refused": run.refused,
        "movable": sum(1 for r in run.report if r.get("movable")),
        "cases": run.report,
    }
