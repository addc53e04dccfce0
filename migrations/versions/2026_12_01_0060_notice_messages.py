"""applicant notices over SMS and e-mail: each outbound message names the notice it carries

Revision ID: 0060
Revises: 0030
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0060"
down_revision = "0070"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_id", BigId, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbound_message_notice_id_case_notice"),
            "case_notice",
            ["notice_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(batch_op.f("ix_outbound_message_notice_id"), ["notice_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_message_notice_id"))
        batch_op.drop_constraint(batch_op.f("fk_outbound_message_notice_id_case_notice"), type_="foreignkey")
        batch_op.drop_column("notice_id")
