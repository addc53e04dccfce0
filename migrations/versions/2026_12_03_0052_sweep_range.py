"""date every clock row not computed yet: the sweep's condition becomes a pure index range

Rows written before 0050 (or by a bulk load that left the column empty) carry NULL; they are dated
1900-01-01 ("due now": the next sweep computes them), the model's default for new rows, so the sweep
reads ``light_changes_on <= today`` without ``OR light_changes_on IS NULL``.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("case_file", "case_task"):
        op.execute(f"UPDATE {table} SET light_changes_on = '1900-01-01' WHERE light_changes_on IS NULL")


def downgrade() -> None:
    for table in ("case_file", "case_task"):
        op.execute(f"UPDATE {table} SET light_changes_on = NULL WHERE light_changes_on = '1900-01-01'")
