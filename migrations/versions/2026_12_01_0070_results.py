"""results: e-licences (licence, licence_use), ratings with rectification, publication of decisions (双公示)

Revision ID: 0070
Revises: 0030
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0070"
down_revision = "0040"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "licence",
        sa.Column("id", BigId, nullable=False),
        sa.Column("licence_no", sa.String(length=40), nullable=False),
        sa.Column("verify_code", sa.String(length=12), nullable=False),
        sa.Column("licence_type", sa.String(length=64), nullable=False),
        sa.Column("type_name", sa.String(length=200), nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("issuer_name", sa.String(length=200), nullable=False),
        sa.Column("holder_kind", sa.String(length=10), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("holder_id_no", sa.String(length=18), nullable=False),
        sa.Column("holder_user_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_changed_by_id", sa.Integer(), nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("status_digest", sa.String(length=64), nullable=False),
        sa.Column("status_signature", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_licence_case_id_case_file"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["department_code"], ["department.code"], name=op.f("fk_licence_department_code_department")
        ),
        sa.ForeignKeyConstraint(
            ["holder_user_id"], ["user_account.id"], name=op.f("fk_licence_holder_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_licence_item_id_service_item")
        ),
        sa.ForeignKeyConstraint(
            ["status_changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_licence_status_changed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence")),
        sa.UniqueConstraint("licence_no", name=op.f("uq_licence_licence_no")),
    )
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_department_code"), ["department_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_holder_id_no"), ["holder_id_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_holder_user_id"), ["holder_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_licence_type"), ["licence_type"], unique=False)
        batch_op.create_index("ix_licence_status_valid_until", ["status", "valid_until"], unique=False)

    op.create_table(
        "rating",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("appeal_state", sa.String(length=12), nullable=False),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appeal_by_id", sa.Integer(), nullable=True),
        sa.Column("appeal_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_opinion", sa.Text(), nullable=True),
        sa.Column("appeal_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("appeal_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appeal_by_id"], ["user_account.id"], name=op.f("fk_rating_appeal_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["appeal_decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_rating_appeal_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_rating_case_id_case_file"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["department_code"], ["department.code"], name=op.f("fk_rating_department_code_department")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_rating_item_id_service_item")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_rating_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
        sa.UniqueConstraint("case_id", name=op.f("uq_rating_case_id")),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_department_code"), ["department_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_item_id"), ["item_id"], unique=False)

    op.create_table(
        "licence_use",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("material_code", sa.String(length=64), nullable=False),
        sa.Column("licence_id", BigId, nullable=False),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_licence_use_case_id_case_file"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["licence.id"],
            name=op.f("fk_licence_use_licence_id_licence"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"], ["user_account.id"], name=op.f("fk_licence_use_used_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_use")),
        sa.UniqueConstraint("case_id", "material_code", name=op.f("uq_licence_use_case_id")),
    )
    with op.batch_alter_table("licence_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licence_use_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licence_use_licence_id"), ["licence_id"], unique=False)

    op.create_table(
        "publication",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("licence_id", BigId, nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("document_no", sa.String(length=64), nullable=True),
        sa.Column("counterpart_kind", sa.String(length=10), nullable=False),
        sa.Column("counterpart_name", sa.String(length=200), nullable=False),
        sa.Column("counterpart_id_no", sa.String(length=18), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("clock", sa.String(length=10), nullable=True),
        sa.Column("clock_start", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("deadline_confirmed", sa.Boolean(), nullable=False),
        sa.Column("light", sa.String(length=8), nullable=True),
        sa.Column("publish_deadline", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.Column("withdraw_deadline", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_publication_case_id_case_file"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["department_code"], ["department.code"], name=op.f("fk_publication_department_code_department")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_publication_item_id_service_item")
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["licence.id"],
            name=op.f("fk_publication_licence_id_licence"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["user_account.id"], name=op.f("fk_publication_published_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["user_account.id"], name=op.f("fk_publication_withdrawn_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("case_id", name=op.f("uq_publication_case_id")),
    )
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.create_index("ix_publication_clock_deadline", ["clock", "deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_publication_department_code"), ["department_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_publication_state"), ["state"], unique=False)

    op.create_table(
        "rectification",
        sa.Column("id", BigId, nullable=False),
        sa.Column("rating_id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("limit_wd", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("deadline_confirmed", sa.Boolean(), nullable=False),
        sa.Column("light", sa.String(length=8), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_by_id", sa.Integer(), nullable=True),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_rectification_case_id_case_file"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_code"], ["department.code"], name=op.f("fk_rectification_department_code_department")
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"], ["rating.id"], name=op.f("fk_rectification_rating_id_rating"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["replied_by_id"], ["user_account.id"], name=op.f("fk_rectification_replied_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_rectification_rating_id")),
    )
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_rectification_dept_state", ["department_code", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.drop_index("ix_rectification_dept_state")
        batch_op.drop_index(batch_op.f("ix_rectification_case_id"))

    op.drop_table("rectification")
    with op.batch_alter_table("publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_state"))
        batch_op.drop_index(batch_op.f("ix_publication_department_code"))
        batch_op.drop_index("ix_publication_clock_deadline")

    op.drop_table("publication")
    with op.batch_alter_table("licence_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licence_use_licence_id"))
        batch_op.drop_index(batch_op.f("ix_licence_use_case_id"))

    op.drop_table("licence_use")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_item_id"))
        batch_op.drop_index(batch_op.f("ix_rating_department_code"))
        batch_op.drop_index(batch_op.f("ix_rating_created_at"))

    op.drop_table("rating")
    with op.batch_alter_table("licence", schema=None) as batch_op:
        batch_op.drop_index("ix_licence_status_valid_until")
        batch_op.drop_index(batch_op.f("ix_licence_licence_type"))
        batch_op.drop_index(batch_op.f("ix_licence_holder_user_id"))
        batch_op.drop_index(batch_op.f("ix_licence_holder_id_no"))
        batch_op.drop_index(batch_op.f("ix_licence_department_code"))
        batch_op.drop_index(batch_op.f("ix_licence_case_id"))

    op.drop_table("licence")
