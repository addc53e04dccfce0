"""light change dates: each open clock stores the day its light next changes, so the daily sweep reads
only the rows whose day has come; used/remaining days are kept as of clocks_computed_on and derived
when read

Revision ID: 0050
Revises: 0061
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0090"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clock_sweep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("swept_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_sweep")),
    )
    # NULL: not computed yet (the next sweep computes it); 9999-12-31: never changes by itself
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("light_changes_on", sa.Date(), nullable=True))
        batch.create_index("ix_case_file_light_changes_on", ["light_changes_on"])
    with op.batch_alter_table("case_task") as batch:
        batch.add_column(sa.Column("light_changes_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("clocks_computed_on", sa.Date(), nullable=True))
        batch.create_index("ix_case_task_light_changes_on", ["light_changes_on"])


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.drop_index("ix_case_task_light_changes_on")
        batch.drop_column("clocks_computed_on")
        batch.drop_column("light_changes_on")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_index("ix_case_file_light_changes_on")
        batch.drop_column("light_changes_on")
    op.drop_table("clock_sweep")
