"""the inbox indexes carry the urgency order: (group or assignee, state, light, deadline, created_at, id),
so each slice of the inbox's first page is an index range already in order (app.services.inbox)

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-03 14:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None

ORDER = ["light", "deadline", "created_at", "id"]


def upgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        # the longer indexes begin with the old ones' columns: they serve what those served
        batch.create_index("ix_case_task_inbox_order", ["department_code", "role", "state", *ORDER])
        batch.create_index("ix_case_task_assignee_order", ["assignee_id", "state", *ORDER])
        batch.drop_index("ix_case_task_inbox")
        batch.drop_index("ix_case_task_assignee_state")


def downgrade() -> None:
    with op.batch_alter_table("case_task") as batch:
        batch.create_index("ix_case_task_assignee_state", ["assignee_id", "state"])
        batch.create_index("ix_case_task_inbox", ["department_code", "role", "state"])
        batch.drop_index("ix_case_task_assignee_order")
        batch.drop_index("ix_case_task_inbox_order")
