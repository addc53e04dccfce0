"""The jobs and how one pass runs them. Every job takes ``now`` and works from "what is due now",
so a scheduler that was down catches up on its first pass; every job is idempotent.

Jobs call services (which own their commits); this module only takes and releases leases.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.jobs import lease
from app.jobs.words import translator
from app.models import Session, utcnow
from app.services import (
    alerts,
    audit,
    channels,
    filestore,
    idempotency,
    jobqueue,
    notify,
    report_runs,
    results_sweep,
    scheduled,
    supervision,
)

log = logging.getLogger("tongban.jobs")


def wake_timers(now: datetime) -> Any:
    return {"woken": scheduled.wake_due_cases(None, now)}


def legal_defaults(now: datetime) -> Any:
    """Art. 32 deemed acceptance, then expired correction deadlines (withdrawn or clerks alerted)."""
    return {
        "deemed_accepted": scheduled.apply_deemed_acceptance(None, now),
        **scheduled.expire_corrections(None, now),
    }


def sweep(now: datetime) -> Any:
    return alerts.sweep(None, now)


def orders(now: datetime) -> Any:
    return supervision.check_orders(None, now)


def reminders(now: datetime) -> Any:
    return notify.dispatch_pending(now)


def results(now: datetime) -> Any:
    """Licence expiry, rectification and publication clocks with their alerts (app.services.results_sweep)."""
    return results_sweep.sweep(now)


def licence_pdfs(now: datetime) -> Any:
    """Signed PDFs of newly issued licences (rendering and PAdES signing stay out of the step)."""
    return results_sweep.pdfs(now)


def reports(now: datetime) -> Any:
    """Supervision reports asked for and not yet made (app.services.report_runs)."""
    return report_runs.make_pending(now, translator)


def prune(now: datetime) -> Any:
    """Finished background jobs after a week (dead letters stay), old reports after 30 days, idempotency
    keys after 24 hours, stored files no row names after a day."""
    return {
        "jobs": jobqueue.prune_finished(),
        "reports": report_runs.prune(now),
        "idempotency_keys": idempotency.purge_expired(now),
        "files": filestore.remove_unnamed(now),
    }


def audit_seal(now: datetime) -> Any:
    return {"sealed": audit.seal()}


# name -> (function, interval in seconds); a pass runs them in this order.
def deliver_messages(now: datetime) -> Any:
    """SMS and e-mail to applicants that are due (new, or waiting for a retry)."""
    return channels.deliver(now)


def stalled_jobs(now: datetime) -> Any:
    """Background jobs of a worker that died mid-run, queued again (job engine on only)."""
    return {"requeued": jobqueue.requeue_stalled()}


JOBS: dict[str, tuple[Callable[[datetime], Any], int]] = {
    "wake_timers": (wake_timers, 60),
    "legal_defaults": (legal_defaults, 3600),
    "sweep": (sweep, 900),
    "orders": (orders, 900),
    "reminders": (reminders, 60),
    "deliver_messages": (deliver_messages, 60),
    "results": (results, 900),
    "licence_pdfs": (licence_pdfs, 60),
    "reports": (reports, 10),
    # chains new audit rows (app.services.audit): the window in which a row is not yet sealed
    "audit_seal": (audit_seal, 10),
    "stalled_jobs": (stalled_jobs, 60),
    "prune": (prune, 3600),
}


# Deliveries that, with the job engine on (TONGBAN_JOBS=procrastinate), run as one job per row instead:
# the scheduler leaves them to the workers (a pass would compete with the jobs' own retry schedule).
DELIVERY_JOBS = ("reminders", "deliver_messages", "licence_pdfs", "reports")


ENGINE_JOBS = ("stalled_jobs",)  # only with the job engine on


def scheduled_jobs() -> list[str]:
    """The jobs this deployment's scheduler runs, in order."""
    if jobqueue.engine_on():
        return [name for name in JOBS if name not in DELIVERY_JOBS]
    return [name for name in JOBS if name not in ENGINE_JOBS]


def run_job(
    name: str, now: datetime | None = None, *, holder: str | None = None, use_lease: bool = True
) -> Any:
    """Run one job under its lease; returns its result, or None when another process holds the lease."""
    fn, _interval = JOBS[name]
    now = now or utcnow()
    holder = holder or lease.default_holder()
    engine = Session.get_bind()
    if use_lease and not lease.acquire(engine, f"job:{name}", holder):
        log.info("job %s skipped: another scheduler holds its lease", name)
        return None
    result: Any
    try:
        result = fn(now)
    except Exception as exc:  # noqa: BLE001 - one failing job must not stop the scheduler
        Session.rollback()
        log.exception("job %s failed", name)
        result = {"error": str(exc)}
    finally:
        if use_lease:
            lease.release(
                engine,
                f"job:{name}",
                holder,
                json.dumps(locals().get("result"), default=str, ensure_ascii=False),
            )
    return result


def run_once(
    now: datetime | None = None,
    *,
    jobs: list[str] | None = None,
    holder: str | None = None,
    use_lease: bool = True,
) -> dict[str, Any]:
    """One pass of every scheduled job (or the named ones), in order."""
    now = now or utcnow()
    unknown = [j for j in jobs or [] if j not in JOBS]
    if unknown:
        raise ValueError(f"unknown job(s): {', '.join(unknown)}; known: {', '.join(JOBS)}")
    return {
        name: run_job(name, now, holder=holder, use_lease=use_lease) for name in (jobs or scheduled_jobs())
    }
