"""index the day each clock was last computed: the sweep's alert pass reads only clocks computed since
its last run

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-03 09:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.create_index("ix_case_file_clocks_computed_on", ["clocks_computed_on"])
    with op.batch_alter_table("case_task") as batch:
        batch.create_index("ix_case_task_clocks_computed_on", ["clocks_computed_on"])


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.drop_index("ix_case_task_clocks_computed_on")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_index("ix_case_file_clocks_computed_on")
