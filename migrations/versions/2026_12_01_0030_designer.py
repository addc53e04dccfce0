"""designer: process drafts, the catalogue entry of each designer-deployed version, case migrations

Revision ID: 0030
Revises: 0020
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("base_version", sa.String(length=16), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"], ["department.code"], name=op.f("fk_process_draft_department_code_department")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_process_draft_item_id_service_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_draft")),
    )
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_draft_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_draft_department_code"), ["department_code"], unique=False)

    op.create_table(
        "process_version_item",
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version"],
            ["process_version.version"],
            name=op.f("fk_process_version_item_version_process_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_process_version_item")),
    )

    op.create_table(
        "case_migration",
        sa.Column("id", BigId, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.String(length=16), nullable=False),
        sa.Column("to_version", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_case_migration_item_id_service_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_migration")),
    )
    with op.batch_alter_table("case_migration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_migration_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_case_migration_item_at", ["item_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_migration", schema=None) as batch_op:
        batch_op.drop_index("ix_case_migration_item_at")
        batch_op.drop_index(batch_op.f("ix_case_migration_item_id"))
    op.drop_table("case_migration")
    op.drop_table("process_version_item")
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_draft_department_code"))
        batch_op.drop_index(batch_op.f("ix_process_draft_item_id"))
    op.drop_table("process_draft")
