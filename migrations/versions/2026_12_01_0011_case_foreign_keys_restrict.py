"""cases are never deleted: foreign keys to case_file RESTRICT instead of CASCADE

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# every table whose case_id refers to case_file (constraint names follow the naming convention)
CHILDREN = ("audit_event", "case_task", "material", "case_document", "alert", "department_card", "supervision_order")


def _set(ondelete: str) -> None:
    for table in CHILDREN:
        name = f"fk_{table}_case_id_case_file"
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.drop_constraint(name, type_="foreignkey")
            batch.create_foreign_key(name, "case_file", ["case_id"], ["id"], ondelete=ondelete)


def upgrade() -> None:
    _set("RESTRICT")


def downgrade() -> None:
    _set("CASCADE")
