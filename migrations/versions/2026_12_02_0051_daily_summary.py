"""daily summary: the cockpit's figures per day, item, department and step, kept by the case events

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-02 05:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_summary",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("step_name", sa.String(200), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("used_wd", sa.Integer(), nullable=False),
        sa.Column("promised_wd", sa.Integer(), nullable=False),
        sa.Column("tasks_done", sa.Integer(), nullable=False),
        sa.Column("task_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_daily_summary_item_id_service_item")
        ),
        sa.PrimaryKeyConstraint("day", "item_id", "department_code", "step", name=op.f("pk_daily_summary")),
    )
    # existing cases: `flask --app app cockpit rebuild-summary` fills the table (the README says when)


def downgrade() -> None:
    op.drop_table("daily_summary")
