"""Cases (办件), their projected tasks, materials and audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")
NEVER = date(9999, 12, 31)  # light_changes_on of a clock whose light never changes by itself
DUE = date(1900, 1, 1)  # light_changes_on of a clock not computed yet: the next sweep computes it


def _item_of_case(context: Any) -> int | None:
    """Default of ``case_task.item_id`` for an insert that did not set it: the item of its case."""
    case_id = context.get_current_parameters().get("case_id")
    return context.connection.execute(
        text("SELECT item_id FROM case_file WHERE id = :id"), {"id": case_id}
    ).scalar()


def _no_calendar(_since: date | None) -> int:
    return 0


# Working days from a date to today; the working-day calendar lives in the services, which install it
# here (app.services.workdays) — the models must not import them.
_workdays_since = [_no_calendar]


def workdays_since(since: date | None) -> int:
    return _workdays_since[0](since)


def install_workdays_since(fn: Any) -> None:
    _workdays_since[0] = fn


def _moved(value: int | None, shift: int) -> int | None:
    return None if value is None else value + shift


class Case(Base):
    __tablename__ = "case_file"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    query_code: Mapped[str | None] = mapped_column(String(12), default=None)  # public progress lookup
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    process_version: Mapped[str] = mapped_column(ForeignKey("process_version.version"))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    # 一件事: a component case of a joint item points at its master case (app.services.joint)
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True, default=None)
    applicant_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), index=True, default=None
    )
    applicant_kind: Mapped[str] = mapped_column(String(10))  # person | entity
    applicant_name: Mapped[str] = mapped_column(String(200), index=True)
    applicant_id_no: Mapped[str] = mapped_column(String(18), index=True)
    applicant_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    # received (收件) → accepting → in_progress → completed / refused / withdrawn
    status: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)  # end event reached
    waiting_for: Mapped[str | None] = mapped_column(String(64), default=None)  # message name awaited
    next_timer_due: Mapped[datetime | None] = mapped_column(index=True, default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(Text)  # SpiffWorkflow state JSON without the spec
    state_format: Mapped[str] = mapped_column(String(32))
    lock_version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # -- the legal clock (dates are Asia/Shanghai calendar days; see app.services.clocks) ----------
    received_on: Mapped[date | None] = mapped_column(default=None)  # 收件
    accepted_on: Mapped[date | None] = mapped_column(default=None)  # 受理 (or deemed, Art. 32)
    deemed_accepted: Mapped[bool] = mapped_column(default=False)
    decided_on: Mapped[date | None] = mapped_column(default=None)
    delivered_on: Mapped[date | None] = mapped_column(default=None)
    # the clock inputs (start, pauses, extensions, stop per clock): the source for every recomputation
    clock_inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the governing deadline now (acceptance, then promised decision, then delivery), its light, and
    # the statutory deadline above the promised one
    deadline: Mapped[date | None] = mapped_column(default=None)
    deadline_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    statutory_deadline: Mapped[date | None] = mapped_column(default=None)
    deadline_confirmed: Mapped[bool] = mapped_column(default=True)
    light: Mapped[str | None] = mapped_column(String(8), default=None)  # green | yellow | red | None (closed)
    clock_paused: Mapped[bool] = mapped_column(default=False)
    # used/remaining working days of the governing clock as of clocks_computed_on; read them through
    # used_wd/remaining_wd, which move them on to today (the sweep no longer rewrites them daily)
    stored_used_wd: Mapped[int | None] = mapped_column("used_wd", default=None)
    stored_remaining_wd: Mapped[int | None] = mapped_column("remaining_wd", default=None)
    extension_wd: Mapped[int] = mapped_column(default=0)
    clocks_computed_on: Mapped[date | None] = mapped_column(default=None, index=True)
    # the day the light (or deadline) next changes by itself; the sweep reads the rows whose day has come
    light_changes_on: Mapped[date | None] = mapped_column(default=DUE, index=True)

    @hybrid_property
    def used_wd(self) -> int | None:
        return _moved(self.stored_used_wd, self._shift())

    @used_wd.inplace.setter
    def _used_wd_setter(self, value: int | None) -> None:
        self.stored_used_wd = value

    @used_wd.inplace.expression
    @classmethod
    def _used_wd_expression(cls) -> Any:
        return cls.stored_used_wd

    @hybrid_property
    def remaining_wd(self) -> int | None:
        return _moved(self.stored_remaining_wd, -self._shift())

    @remaining_wd.inplace.setter
    def _remaining_wd_setter(self, value: int | None) -> None:
        self.stored_remaining_wd = value

    @remaining_wd.inplace.expression
    @classmethod
    def _remaining_wd_expression(cls) -> Any:
        return cls.stored_remaining_wd

    def _shift(self) -> int:
        if self.light is None or self.clock_paused:
            return 0  # closed, or waiting for the applicant / a special procedure: the days stand still
        return workdays_since(self.clocks_computed_on)

    item = relationship("ServiceItem", lazy="joined")
    tasks: Mapped[list[CaseTask]] = relationship(back_populates="case", order_by="CaseTask.id")

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        Index("ix_case_file_dept_light", "department_code", "light"),
        Index("ix_case_file_deadline", "deadline"),
        Index("ix_case_file_status_deadline", "status", "deadline"),
    )


class CaseTask(Base):
    """A user task of a case as projected from the engine (one row per activation)."""

    __tablename__ = "case_task"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    # the case's item, copied (an item's open steps without a join to a million cases: the heat map)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("service_item.id"), default=_item_of_case)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    state: Mapped[str] = mapped_column(String(12))  # ready | claimed | completed | cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    form: Mapped[str] = mapped_column(String(120))
    special_procedure: Mapped[str | None] = mapped_column(String(32), default=None)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)  # what the completing user submitted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # step clock
    started_on: Mapped[date | None] = mapped_column(default=None)
    limit_wd: Mapped[int | None] = mapped_column(default=None)
    deadline: Mapped[date | None] = mapped_column(default=None)
    deadline_confirmed: Mapped[bool] = mapped_column(default=True)
    light: Mapped[str | None] = mapped_column(String(8), default=None)
    # as of clocks_computed_on; used_wd/remaining_wd move them on to today (a step never pauses)
    stored_used_wd: Mapped[int | None] = mapped_column("used_wd", default=None)
    stored_remaining_wd: Mapped[int | None] = mapped_column("remaining_wd", default=None)
    clocks_computed_on: Mapped[date | None] = mapped_column(default=None, index=True)
    light_changes_on: Mapped[date | None] = mapped_column(default=DUE, index=True)

    @hybrid_property
    def used_wd(self) -> int | None:
        return _moved(self.stored_used_wd, self._shift())

    @used_wd.inplace.setter
    def _used_wd_setter(self, value: int | None) -> None:
        self.stored_used_wd = value

    @used_wd.inplace.expression
    @classmethod
    def _used_wd_expression(cls) -> Any:
        return cls.stored_used_wd

    @hybrid_property
    def remaining_wd(self) -> int | None:
        return _moved(self.stored_remaining_wd, -self._shift())

    @remaining_wd.inplace.setter
    def _remaining_wd_setter(self, value: int | None) -> None:
        self.stored_remaining_wd = value

    @remaining_wd.inplace.expression
    @classmethod
    def _remaining_wd_expression(cls) -> Any:
        return cls.stored_remaining_wd

    def _shift(self) -> int:
        if self.light is None:
            return 0  # completed or cancelled: the step's days stand
        return workdays_since(self.clocks_computed_on)

    case: Mapped[Case] = relationship(back_populates="tasks")

    __table_args__ = (
        Index("ix_case_task_dept_light", "department_code", "light"),
        Index("ix_case_task_state_deadline", "state", "deadline"),
        # The inbox: open tasks of one role in one department, and one user's claimed tasks.
        # the inbox's urgency slices are ranges of these (app.services.inbox, migration 0057)
        Index(
            "ix_case_task_inbox_order",
            "department_code",
            "role",
            "state",
            "light",
            "deadline",
            "created_at",
            "id",
        ),
        Index("ix_case_task_assignee_order", "assignee_id", "state", "light", "deadline", "created_at", "id"),
        Index("ix_case_task_case_state", "case_id", "state"),
        Index("ix_case_task_item_state", "item_id", "state", "created_at"),
    )


class Material(Base):
    """Metadata of one uploaded material; the bytes live in the file store by content hash."""

    __tablename__ = "material"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(default=0)  # 0 = application, n = n-th supplement
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """One entry of the append-only audit trail (app.services.audit).

    Rows are written without ``seq``/``hash``; the sealer (app.services.audit.seal) gives each its
    place in the chain and ``hash = SHA-256(previous hash, canonical row)``. On PostgreSQL a trigger
    refuses every UPDATE and DELETE except that one sealing of an unsealed row.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="RESTRICT"), index=True, default=None
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200), default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    seq: Mapped[int | None] = mapped_column(BigId, unique=True, default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (
        # The sealer's work list: rows not yet in the chain.
        Index(
            "ix_audit_event_unsealed",
            "id",
            postgresql_where=text("hash IS NULL"),
            sqlite_where=text("hash IS NULL"),
        ),
    )


class CaseDocument(Base):
    """A statutory document generated for a case (受理通知书, 补正材料通知书, 决定书 …), kept in the case file."""

    __tablename__ = "case_document"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(
        String(40)
    )  # acceptance_notice | refusal_decision | correction_notice | ...
    number: Mapped[str] = mapped_column(
        String(64), unique=True
    )  # document number, e.g. 厦环受〔2026〕第000123号
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the data the template was filled with
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseNotice(Base):
    """A message to the applicant about their case (受理, 补正, 决定 …), made from a case event.

    The in-app inbox of the applicant reads these rows; other channels (SMS, e-mail) deliver them.
    """

    __tablename__ = "case_notice"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    event: Mapped[str] = mapped_column(String(40))  # engine.events.EventKind value
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)  # to render the text in another language
    document_id: Mapped[int | None] = mapped_column(ForeignKey("case_document.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    # the document of the same step, set before either is written: the flush fills document_id
    document: Mapped[CaseDocument | None] = relationship()


class DocumentSequence(Base):
    """The last number used for one kind of document of one department in one year (文号序列)."""

    __tablename__ = "document_sequence"

    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
