"""portal: applicant accounts, mobile codes, applicant messages, SMS outbox, window intake, query code

Revision ID: 0020
Revises: 0012
Create Date: 2026-12-01 19:32:12.031792
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mobile_verification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mobile_verification")),
    )
    with op.batch_alter_table("mobile_verification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mobile_verification_mobile_purpose", ["mobile", "purpose", "created_at"], unique=False
        )

    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_outbox_mobile"), ["mobile"], unique=False)

    op.create_table(
        "applicant_profile",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("id_no", sa.String(length=18), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("mobile_verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("legal_representative", sa.String(length=50), nullable=True),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_applicant_profile_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_applicant_profile")),
        sa.UniqueConstraint("id_no", name=op.f("uq_applicant_profile_id_no")),
        sa.UniqueConstraint("mobile", name=op.f("uq_applicant_profile_mobile")),
    )
    op.create_table(
        "outbound_message",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_outbound_message_case_id_case_file"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_outbound_message_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_message")),
    )
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_message_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_outbound_message_status_next", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_message_user_id"), ["user_id"], unique=False)

    op.create_table(
        "window_intake",
        sa.Column(
            "case_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("clerk_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("id_document", sa.String(length=20), nullable=False),
        sa.Column("id_checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_window_intake_case_id_case_file"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["clerk_id"], ["user_account.id"], name=op.f("fk_window_intake_clerk_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["department_code"], ["department.code"], name=op.f("fk_window_intake_department_code_department")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_window_intake")),
    )
    with op.batch_alter_table("window_intake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_window_intake_clerk_id"), ["clerk_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_window_intake_department_code"), ["department_code"], unique=False
        )

    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("query_code", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("query_code")

    with op.batch_alter_table("window_intake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_intake_department_code"))
        batch_op.drop_index(batch_op.f("ix_window_intake_clerk_id"))

    op.drop_table("window_intake")
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_message_user_id"))
        batch_op.drop_index("ix_outbound_message_status_next")
        batch_op.drop_index(batch_op.f("ix_outbound_message_case_id"))

    op.drop_table("outbound_message")
    op.drop_table("applicant_profile")
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_outbox_mobile"))

    op.drop_table("sms_outbox")
    with op.batch_alter_table("mobile_verification", schema=None) as batch_op:
        batch_op.drop_index("ix_mobile_verification_mobile_purpose")

    op.drop_table("mobile_verification")
