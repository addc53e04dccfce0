"""case events: applicant notices; the promised-decision clock is named 'promised'

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _rename_clock(old: str, new: str) -> None:
    """Rename one key of case_file.clock_inputs (JSON) and the deadline_kind value, row by row."""
    conn = op.get_bind()
    case = sa.table("case_file", sa.column("id", BigId), sa.column("clock_inputs", sa.JSON), sa.column("deadline_kind", sa.String))
    for row in conn.execute(sa.select(case.c.id, case.c.clock_inputs)).all():
        ci = row.clock_inputs if isinstance(row.clock_inputs, dict) else json.loads(row.clock_inputs or "{}")
        if old in ci:
            ci[new] = ci.pop(old)
            conn.execute(sa.update(case).where(case.c.id == row.id).values(clock_inputs=ci))
    conn.execute(sa.update(case).where(case.c.deadline_kind == old).values(deadline_kind=new))


def upgrade() -> None:
    op.create_table(
        "case_notice",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("document_id", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_case_notice_case_id_case_file")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["case_document.id"], name=op.f("fk_case_notice_document_id_case_document")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notice")),
    )
    op.create_index(op.f("ix_case_notice_case_id"), "case_notice", ["case_id"], unique=False)
    with op.batch_alter_table("alert") as batch:  # alerts on a correction deadline: subject_kind 'correction'
        batch.alter_column("subject_kind", type_=sa.String(length=16), existing_type=sa.String(length=8))
    _rename_clock("decision", "promised")


def downgrade() -> None:
    _rename_clock("promised", "decision")
    with op.batch_alter_table("alert") as batch:
        batch.alter_column("subject_kind", type_=sa.String(length=8), existing_type=sa.String(length=16))
    op.drop_index(op.f("ix_case_notice_case_id"), table_name="case_notice")
    op.drop_table("case_notice")
