"""Results the public relies on: e-licences (电子证照), ratings (好差评) with rectification, publication (双公示)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Licence(Base):
    """An e-licence: the metadata record (GB/T 36903 style) signed with SM2 by its issuing department.

    ``digest``/``signature`` cover the canonical record (app.services.licences.canonical_record);
    ``status_digest``/``status_signature`` cover the current status, so that a status changed behind
    the application's back (a revoked licence set back to valid) is found as well.
    """

    __tablename__ = "licence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    licence_no: Mapped[str] = mapped_column(String(40), unique=True)
    verify_code: Mapped[str] = mapped_column(String(12))
    licence_type: Mapped[str] = mapped_column(String(64), index=True)
    type_name: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    issuer_name: Mapped[str] = mapped_column(String(200))
    holder_kind: Mapped[str] = mapped_column(String(10))  # person | entity
    holder_name: Mapped[str] = mapped_column(String(200))
    holder_id_no: Mapped[str] = mapped_column(String(18), index=True)
    holder_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), index=True, default=None
    )
    issued_on: Mapped[date]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None] = mapped_column(default=None)  # None: open-ended
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the approved content
    # valid | revoked (撤销) | annulled (注销) | expired
    status: Mapped[str] = mapped_column(String(12), default="valid")
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    key_id: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    status_digest: Mapped[str] = mapped_column(String(64))
    status_signature: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # signed PDF, made on first need
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case = relationship("Case", lazy="joined")

    __table_args__ = (Index("ix_licence_status_valid_until", "status", "valid_until"),)


class LicenceUse(Base):
    """A licence the platform holds, used for a material of a later case instead of paper."""

    __tablename__ = "licence_use"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    material_code: Mapped[str] = mapped_column(String(64))
    licence_id: Mapped[int] = mapped_column(ForeignKey("licence.id", ondelete="RESTRICT"), index=True)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)

    licence = relationship("Licence", lazy="joined")

    __table_args__ = (UniqueConstraint("case_id", "material_code"),)


class Rating(Base):
    """好差评: one rating per case by its applicant, 5 (非常满意) .. 1 (非常不满意)."""

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # 申诉: none | pending | upheld (the rating no longer counts) | rejected
    appeal_state: Mapped[str] = mapped_column(String(12), default="none")
    appeal_reason: Mapped[str | None] = mapped_column(Text, default=None)
    appeal_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    appeal_at: Mapped[datetime | None] = mapped_column(default=None)
    appeal_opinion: Mapped[str | None] = mapped_column(Text, default=None)
    appeal_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    appeal_decided_at: Mapped[datetime | None] = mapped_column(default=None)

    case = relationship("Case", lazy="joined")


class Rectification(Base):
    """整改: a bad rating's task for the responsible department, on the working-day clock."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id", ondelete="RESTRICT"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    state: Mapped[str] = mapped_column(String(12), default="open")  # open | answered | withdrawn
    started_on: Mapped[date]
    limit_wd: Mapped[int]
    deadline: Mapped[date]
    deadline_confirmed: Mapped[bool] = mapped_column(default=True)
    light: Mapped[str | None] = mapped_column(String(8), default="green")
    outcome: Mapped[str | None] = mapped_column(String(12), default=None)  # rectified | explained
    finding: Mapped[str | None] = mapped_column(Text, default=None)  # what the verification found
    reply: Mapped[str | None] = mapped_column(Text, default=None)  # what the applicant is told
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    replied_on: Mapped[date | None] = mapped_column(default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rating = relationship("Rating", lazy="joined")

    __table_args__ = (Index("ix_rectification_dept_state", "department_code", "state"),)


class Publication(Base):
    """双公示: the public entry of one licensing decision, with its 7-WD publish and 3-WD withdraw clocks."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), unique=True)
    licence_id: Mapped[int | None] = mapped_column(
        ForeignKey("licence.id", ondelete="RESTRICT"), default=None
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    authority: Mapped[str] = mapped_column(String(200))
    document_no: Mapped[str | None] = mapped_column(String(64), default=None)
    counterpart_kind: Mapped[str] = mapped_column(String(10))
    counterpart_name: Mapped[str] = mapped_column(String(200))  # as decided; masked wherever shown
    counterpart_id_no: Mapped[str] = mapped_column(String(18))
    decision: Mapped[str] = mapped_column(String(10))  # approved | denied
    decided_on: Mapped[date]
    content: Mapped[str | None] = mapped_column(Text, default=None)
    valid_from: Mapped[date | None] = mapped_column(default=None)
    valid_until: Mapped[date | None] = mapped_column(default=None)
    # pending (to publish) | published | withdrawing (revoked, still shown) | withdrawn
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    clock: Mapped[str | None] = mapped_column(String(10), default="publish")  # publish | withdraw | None
    clock_start: Mapped[date | None] = mapped_column(default=None)
    deadline: Mapped[date | None] = mapped_column(default=None)
    deadline_confirmed: Mapped[bool] = mapped_column(default=True)
    light: Mapped[str | None] = mapped_column(String(8), default="green")
    publish_deadline: Mapped[date]
    published_on: Mapped[date | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    withdraw_reason: Mapped[str | None] = mapped_column(Text, default=None)
    withdraw_deadline: Mapped[date | None] = mapped_column(default=None)
    withdrawn_on: Mapped[date | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_publication_clock_deadline", "clock", "deadline"),)
