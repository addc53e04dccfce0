"""organisation and people: department levels, short names, headers and seals; several roles per user
in several departments; forced password change; items closed to new applications; per-department
document number sequences; supervision orders escalating level by level up the chain

Revision ID: 0040
Revises: 0030
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0030"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.String(length=16), server_default="city", nullable=False))
        batch_op.add_column(sa.Column("short_name", sa.String(length=16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("header", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("reconsideration", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("seal_png", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("position", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "user_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_code"], ["department.code"], name=op.f("fk_user_role_department_code_department")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_role_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_role")),
        sa.UniqueConstraint("user_id", "role", "department_code", name="uq_user_role_grant"),
    )
    op.create_index("ix_user_role_department_role", "user_role", ["department_code", "role"], unique=False)
    op.create_index(op.f("ix_user_role_user_id"), "user_role", ["user_id"], unique=False)
    # every existing user keeps their one role as their one grant
    op.execute(
        "INSERT INTO user_role (user_id, role, department_code) "
        "SELECT id, role, department_code FROM user_account"
    )

    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepting", sa.Boolean(), server_default=sa.true(), nullable=False))

    op.create_table(
        "document_sequence",
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["department.code"],
            name=op.f("fk_document_sequence_department_code_department"),
        ),
        sa.PrimaryKeyConstraint("department_code", "year", "kind", name=op.f("pk_document_sequence")),
    )

    with op.batch_alter_table("supervision_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False))
    # cards of an escalation level: source_kind 'escalation' needs more than 8 characters
    with op.batch_alter_table("department_card", schema=None) as batch_op:
        batch_op.alter_column("source_kind", type_=sa.String(length=16), existing_type=sa.String(length=8))
    op.execute("UPDATE supervision_order SET escalation_level = 1 WHERE escalated_at IS NOT NULL")

    op.create_table(
        "supervision_escalation",
        sa.Column("id", BigId, nullable=False),
        sa.Column("order_id", BigId, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("from_department", sa.String(length=32), nullable=False),
        sa.Column("to_department", sa.String(length=32), nullable=False),
        sa.Column("missed_due", sa.Date(), nullable=False),
        sa.Column("reply_due", sa.Date(), nullable=False),
        sa.Column("reply_due_confirmed", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_department"],
            ["department.code"],
            name=op.f("fk_supervision_escalation_from_department_department"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["supervision_order.id"],
            name=op.f("fk_supervision_escalation_order_id_supervision_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_department"],
            ["department.code"],
            name=op.f("fk_supervision_escalation_to_department_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_escalation")),
        sa.UniqueConstraint("order_id", "level", name=op.f("uq_supervision_escalation_order_id")),
    )
    op.create_index(
        op.f("ix_supervision_escalation_order_id"), "supervision_escalation", ["order_id"], unique=False
    )


def downgrade() -> None:
    with op.batch_alter_table("department_card", schema=None) as batch_op:
        batch_op.alter_column("source_kind", type_=sa.String(length=8), existing_type=sa.String(length=16))
    op.drop_index(op.f("ix_supervision_escalation_order_id"), table_name="supervision_escalation")
    op.drop_table("supervision_escalation")
    with op.batch_alter_table("supervision_order", schema=None) as batch_op:
        batch_op.drop_column("escalation_level")
    op.drop_table("document_sequence")
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.drop_column("accepting")
    op.drop_index(op.f("ix_user_role_user_id"), table_name="user_role")
    op.drop_index("ix_user_role_department_role", table_name="user_role")
    op.drop_table("user_role")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_column("position")
        batch_op.drop_column("seal_png")
        batch_op.drop_column("reconsideration")
        batch_op.drop_column("header")
        batch_op.drop_column("short_name")
        batch_op.drop_column("level")
