"""joint cases (一件事): a component case points at its master case (parent_case_id)

Revision ID: 0090
Revises: 0061
Create Date: 2026-12-02 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0090"
down_revision = "0080"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_case_id", BigId, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_case_file_parent_case_id_case_file"),
            "case_file",
            ["parent_case_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_case_file_parent_case_id"), ["parent_case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_file_parent_case_id"))
        batch_op.drop_constraint(batch_op.f("fk_case_file_parent_case_id_case_file"), type_="foreignkey")
        batch_op.drop_column("parent_case_id")
