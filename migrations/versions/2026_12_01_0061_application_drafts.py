"""application drafts: the online application's form data and files kept server-side until submitted

Revision ID: 0061
Revises: 0060
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0061"
down_revision = "0060"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "application_draft",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("case_id", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_application_draft_case_id_case_file"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_application_draft_item_id_service_item")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_application_draft_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_draft")),
    )
    with op.batch_alter_table("application_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_draft_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_draft_item_id"), ["item_id"], unique=False)

    op.create_table(
        "draft_material",
        sa.Column("id", BigId, nullable=False),
        sa.Column("draft_id", BigId, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["application_draft.id"],
            name=op.f("fk_draft_material_draft_id_application_draft"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_material")),
        sa.UniqueConstraint("draft_id", "code", name=op.f("uq_draft_material_draft_id")),
    )
    with op.batch_alter_table("draft_material", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_material_draft_id"), ["draft_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("draft_material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_material_draft_id"))
    op.drop_table("draft_material")
    with op.batch_alter_table("application_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_draft_item_id"))
        batch_op.drop_index(batch_op.f("ix_application_draft_user_id"))
    op.drop_table("application_draft")
