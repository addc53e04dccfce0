"""case_task.item_id: each step carries its case's item (the heat map reads an item's open steps by index)

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-03 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_case_task_item_id_service_item"), "service_item", ["item_id"], ["id"]
        )
        batch.create_index("ix_case_task_item_state", ["item_id", "state", "created_at"])
    op.execute(
        "UPDATE case_task SET item_id = (SELECT item_id FROM case_file WHERE case_file.id = case_task.case_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.drop_index("ix_case_task_item_state")
        batch.drop_constraint(op.f("fk_case_task_item_id_service_item"), type_="foreignkey")
        batch.drop_column("item_id")
