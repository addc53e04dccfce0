"""daily summary: the working days the done steps waited (the heat map reads them, not the task rows)

Run `flask --app app cockpit rebuild-summary` once after upgrading (rows written before carry 0).

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-03 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("daily_summary") as batch:
        batch.add_column(sa.Column("task_wd", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("daily_summary") as batch:
        batch.drop_column("task_wd")
