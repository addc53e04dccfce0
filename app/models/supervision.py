"""Electronic supervision (电子监察): alerts, supervision orders, department cards, notifications, leases."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.case import Case, CaseTask

BigId = BigInteger().with_variant(Integer, "sqlite")

ALERT_STATES = ("open", "acknowledged", "resolved")
ORDER_STATES = ("open", "replied")


class Alert(Base):
    """A yellow or red alert on a case or a step; exactly one per (subject, level), ever."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # case | task | correction
    subject_id: Mapped[int] = mapped_column(BigId)  # case_file.id or case_task.id
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(8))  # yellow | red
    state: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    deadline: Mapped[date | None] = mapped_column(default=None)
    raised_on: Mapped[date]  # Asia/Shanghai day of the sweep that raised it (card rule counts from here)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)

    case = relationship("Case", lazy="joined")

    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "level"),
        Index("ix_alert_state_dept", "state", "department_code"),
        Index("ix_alert_level_state_raised", "level", "state", "raised_on"),
        Index("ix_alert_raised_on", "raised_on"),
    )


class SupervisionOrder(Base):
    """督办: a supervisor's instruction on a case to the responsible department, with a reply deadline."""

    __tablename__ = "supervision_order"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    instruction: Mapped[str] = mapped_column(Text)
    reply_wd: Mapped[int]
    issued_on: Mapped[date]
    reply_due: Mapped[date]
    reply_due_confirmed: Mapped[bool] = mapped_column(default=True, server_default=true())
    state: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    light: Mapped[str] = mapped_column(String(8), default="green", server_default="green")
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    # the level the order sits at now: 0 = the responsible department, n = n escalations up the chain;
    # escalated_to is the department that must answer now, reply_due its deadline
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    escalated_to: Mapped[str | None] = mapped_column(ForeignKey("department.code"), default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case = relationship("Case", lazy="joined")
    escalations: Mapped[list[SupervisionEscalation]] = relationship(
        lazy="selectin", order_by="SupervisionEscalation.level", viewonly=True
    )

    __table_args__ = (Index("ix_supervision_order_state_due", "state", "reply_due"),)


class SupervisionEscalation(Base):
    """One step of an order up the chain: from the department that missed its reply to its parent."""

    __tablename__ = "supervision_escalation"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("supervision_order.id", ondelete="CASCADE"), index=True)
    level: Mapped[int]  # 1 = the first escalation
    from_department: Mapped[str] = mapped_column(ForeignKey("department.code"))
    to_department: Mapped[str] = mapped_column(ForeignKey("department.code"))
    missed_due: Mapped[date]  # the reply deadline the lower level missed
    reply_due: Mapped[date]  # the new level's own reply deadline
    reply_due_confirmed: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("order_id", "level"),)


class DepartmentCard(Base):
    """黄牌/红牌 for a department; one card per (rule source, colour) so sweeps never repeat it."""

    __tablename__ = "department_card"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    color: Mapped[str] = mapped_column(String(8))  # yellow | red
    rule: Mapped[str] = mapped_column(String(32))  # red_alert_unresolved | order_escalated
    source_kind: Mapped[str] = mapped_column(String(16))  # alert | order | escalation
    source_id: Mapped[int] = mapped_column(BigId)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), default=None)
    issued_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("source_kind", "source_id", "color"),)


class Notification(Base):
    """One message to one recipient over one channel; the in-app inbox and the delivery log in one."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # alert | order | order_reminder | escalation
    ref_id: Mapped[int] = mapped_column(BigId)  # alert.id or supervision_order.id
    channel: Mapped[str] = mapped_column(String(16))  # inapp | email | webhook | sms | …
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        UniqueConstraint("kind", "ref_id", "channel", "user_id"),
        Index("ix_notification_status_channel", "status", "channel"),
        Index("ix_notification_user_channel", "user_id", "channel"),
    )


class SchedulerLease(Base):
    """A named lease: the scheduler process holding it runs that job; others skip until it expires."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_result: Mapped[str | None] = mapped_column(Text, default=None)


# Indexes the supervision sweep and cockpit need on the case tables (declared here so autogenerate of
# other revisions keeps them). Open cases are found by status; the board counts are index-only on PG.
Index(
    "ix_case_file_board",
    Case.status,
    Case.light,
    Case.item_id,
    Case.department_code,
    Case.deadline_confirmed,
)
Index("ix_case_file_light_deadline", Case.light, Case.deadline)
Index(
    "ix_case_file_completed_at", Case.completed_at, postgresql_include=["item_id", "used_wd", "extension_wd"]
)
Index("ix_case_file_submitted_at", Case.submitted_at, postgresql_include=["item_id"])
Index("ix_case_task_light", CaseTask.light, CaseTask.state)
Index("ix_case_task_created_at", CaseTask.created_at)  # the step heat map reads a window of recent tasks


class DailySummary(Base):
    """The cockpit's figures per Shanghai day, item, department and step, kept by the case events in
    the change's own transaction (app.services.summary) and rebuildable from the cases
    (`flask --app app cockpit rebuild-summary`).

    Case rows (``step`` = ''): submitted on the day; completed on the day, of which on time, with the
    working days they used and were promised. Step rows (``step`` = BPMN id): steps created on the day
    and completed since, with their summed duration.
    """

    __tablename__ = "daily_summary"

    day: Mapped[date] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    step: Mapped[str] = mapped_column(String(100), primary_key=True)
    step_name: Mapped[str] = mapped_column(String(200), default="")
    submitted: Mapped[int] = mapped_column(default=0)
    decided: Mapped[int] = mapped_column(default=0)  # completed on the day
    timed: Mapped[int] = mapped_column(default=0)  # of them, with their working days counted
    on_time: Mapped[int] = mapped_column(default=0)
    used_wd: Mapped[int] = mapped_column(default=0)  # summed over the timed cases (waiting working days)
    promised_wd: Mapped[int] = mapped_column(default=0)  # summed likewise: promised + extension
    tasks_done: Mapped[int] = mapped_column(default=0)
    task_seconds: Mapped[float] = mapped_column(default=0.0)
    # working days the done steps waited, (opened, completed] on the official calendar (the heat map)
    task_wd: Mapped[int] = mapped_column(default=0, server_default="0")
