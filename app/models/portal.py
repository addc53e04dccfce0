"""The public front door: applicant accounts, mobile verification, applicant message delivery, window intake."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class ApplicantProfile(Base):
    """A self-registered applicant: natural person (resident ID) or legal entity (USCC), verified mobile."""

    __tablename__ = "applicant_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(10))  # person | entity
    id_no: Mapped[str] = mapped_column(String(18), unique=True)  # one account per ID number / USCC
    mobile: Mapped[str] = mapped_column(String(11), unique=True)
    mobile_verified_at: Mapped[datetime]
    legal_representative: Mapped[str | None] = mapped_column(String(50), default=None)
    contact_name: Mapped[str | None] = mapped_column(String(50), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class MobileVerification(Base):
    """A one-time code sent to a mobile number; only its keyed hash is stored."""

    __tablename__ = "mobile_verification"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(String(20))  # register
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_mobile_verification_mobile_purpose", "mobile", "purpose", "created_at"),)


class OutboundMessage(Base):
    """One SMS or e-mail to an applicant: queued in the caller's transaction, delivered and retried after."""

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | email
    recipient: Mapped[str] = mapped_column(String(255))  # mobile number or e-mail address
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))  # verify_mobile | registered | …
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, default=None
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="RESTRICT"), index=True, default=None
    )
    # the applicant's notice (case_notice) this message carries, if it carries one
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_notice.id", ondelete="RESTRICT"), index=True, default=None
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_outbound_message_status_next", "status", "next_attempt_at"),)


class SmsOutbox(Base):
    """The development SMS gateway: what would have been sent, for developers and tests to read."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mobile: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WindowIntake(Base):
    """A case registered at a service-centre window on a walk-in applicant's behalf (窗口收件)."""

    __tablename__ = "window_intake"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_file.id", ondelete="RESTRICT"), primary_key=True, autoincrement=False
    )
    clerk_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    id_document: Mapped[str] = mapped_column(String(20))  # resident_id_card | business_licence | other
    id_checked_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationDraft(Base):
    """An application being prepared (网上申请草稿): form data and files kept server-side, resumable.

    Only its owner sees it. Submitting files the case from it (all checks as for a direct filing) and
    records the case; a submitted draft cannot change any more.
    """

    __tablename__ = "application_draft"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the form as far as it is filled in
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="RESTRICT"), default=None
    )  # set when submitted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)

    item = relationship("ServiceItem", lazy="joined")
    files: Mapped[list[DraftMaterial]] = relationship(
        back_populates="draft", order_by="DraftMaterial.id", cascade="all, delete-orphan"
    )


class DraftMaterial(Base):
    """One file of a draft, already checked and kept in the content-addressed store; one per material."""

    __tablename__ = "draft_material"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("application_draft.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft: Mapped[ApplicationDraft] = relationship(back_populates="files")

    __table_args__ = (UniqueConstraint("draft_id", "code"),)


class IdempotentRequest(Base):
    """A ``POST /api/v1/cases`` made with an ``Idempotency-Key`` (per user, kept 24 h).

    The row is written in the transaction that files the case, so "filed" and "remembered" commit
    together; the unique (user, key) makes a concurrent duplicate wait for the first and then fail
    its own insert, filing nothing. The first answer is stored right after the commit; a replay
    before that (or after a crash between the two) renders the recorded case again.
    """

    __tablename__ = "idempotent_request"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    status: Mapped[int | None] = mapped_column(Integer, default=None)
    response: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotent_request_user_id"),)
