"""job queue: procrastinate's schema (PostgreSQL only) and the last error of each failed job

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-03 08:50:00

The procrastinate 3.10.0 schema is kept as a file beside the migrations (migrations/sql/), frozen: a later
procrastinate release brings its own migration files (procrastinate/sql/migrations/), applied by a new
Alembic revision, and tests/jobs/test_schema_file.py fails until then.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "sql" / "procrastinate-3.10.0.sql"
TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")
TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status")


def upgrade() -> None:
    op.create_table(
        "job_error",
        sa.Column("job_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("task_name", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_error")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite runs jobs in process (README, "Background jobs"): no job engine tables
    # psycopg's own execute without parameters, in Alembic's transaction: the file has `%` in its RAISE
    # messages, which any parameter style would read as a placeholder
    bind.connection.driver_connection.execute(SCHEMA_FILE.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.drop_table("job_error")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
    functions = bind.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE starts_with(p.proname, 'procrastinate_') AND n.nspname = current_schema()"
        )
    ).scalars()
    for signature in list(functions):
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for type_name in TYPES:
        bind.exec_driver_sql(f"DROP TYPE IF EXISTS {type_name} CASCADE")
