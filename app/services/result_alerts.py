"""Alerts of the results' own clocks (rectification of a bad rating, publication, withdrawal of a
publication): raised from their light columns by the sweep, resolved when the subject is done.

Same table, same rule as the case and step alerts (app.services.alerts): one alert per subject and level,
ever — the unique key with ON CONFLICT DO NOTHING makes concurrent sweeps harmless.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, String, literal, select, true, union_all, update

from app.models import Alert, AuditEvent, Publication, Rectification, Session
from app.models.base import UTCDateTime, dialect_insert, table_of

RECTIFICATION = "rectification"
PUBLICATION = "publication"  # the 7-WD publish clock
WITHDRAWAL = "pub_withdraw"  # the 3-WD withdraw clock
KINDS = (RECTIFICATION, PUBLICATION, WITHDRAWAL)
COLUMNS = [
    "subject_kind",
    "subject_id",
    "case_id",
    "level",
    "state",
    "department_code",
    "deadline",
    "raised_on",
    "created_at",
]


def _audit(action: str, rows: list[Any], now: datetime) -> None:
    if rows:
        Session.execute(
            table_of(AuditEvent).insert(),
            [
                {
                    "case_id": r.case_id,
                    "actor_name": "system",
                    "at": now,
                    "action": action,
                    "target": f"alert#{r.id}",
                    "detail": f"{r.subject_kind} {r.level}",
                }
                for r in rows
            ],
        )


def raise_result_alerts(today: date, now: datetime) -> int:
    """Alerts for every open rectification and running publication clock whose light is yellow or red."""
    a, r, p = table_of(Alert), table_of(Rectification), table_of(Publication)

    def cols(kind: Any, sid: Any, case_id: Any, light: Any, dept: Any, deadline: Any) -> list[Any]:
        values = [
            kind,
            sid,
            case_id,
            light,
            literal("open", String()),
            dept,
            deadline,
            literal(today, Date()),
            literal(now, UTCDateTime()),
        ]
        return [v.label(n) for v, n in zip(values, COLUMNS, strict=True)]

    rect = select(
        *cols(
            literal(RECTIFICATION, String()),
            r.c.id,
            r.c.case_id,
            r.c.light,
            r.c.department_code,
            r.c.deadline,
        )
    ).where(r.c.state == "open", r.c.light.in_(("yellow", "red")))
    pub = select(
        *cols(
            literal(PUBLICATION, String()), p.c.id, p.c.case_id, p.c.light, p.c.department_code, p.c.deadline
        )
    ).where(p.c.clock == "publish", p.c.light.in_(("yellow", "red")))
    wdr = select(
        *cols(
            literal(WITHDRAWAL, String()), p.c.id, p.c.case_id, p.c.light, p.c.department_code, p.c.deadline
        )
    ).where(p.c.clock == "withdraw", p.c.light.in_(("yellow", "red")))
    both = union_all(rect, pub, wdr).subquery()
    stmt = dialect_insert(a).from_select(COLUMNS, select(both).where(true())).on_conflict_do_nothing()
    rows = Session.execute(stmt.returning(a.c.id, a.c.case_id, a.c.level, a.c.subject_kind)).all()
    _audit("alert.raised", list(rows), now)
    return len(rows)


def resolve(kind: str, subject_id: int, now: datetime) -> None:
    """The subject is done (answered, published, withdrawn): its alerts are resolved with the change."""
    a = table_of(Alert)
    rows = Session.execute(
        update(a)
        .where(a.c.subject_kind == kind, a.c.subject_id == subject_id, a.c.state != "resolved")
        .values(state="resolved", resolved_at=now)
        .returning(a.c.id, a.c.case_id, a.c.level, a.c.subject_kind)
    ).all()
    _audit("alert.resolved", list(rows), now)
