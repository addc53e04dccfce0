"""report_run: a requested supervision report, made by a background job and kept for its requester

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-04 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"], name=op.f("fk_report_run_requested_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_run")),
    )
    op.create_index("ix_report_run_requested_by_id", "report_run", ["requested_by_id", "id"])
    op.create_index("ix_report_run_state", "report_run", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_report_run_state", table_name="report_run")
    op.drop_index("ix_report_run_requested_by_id", table_name="report_run")
    op.drop_table("report_run")
