"""Migration 0056 on a fresh PostgreSQL schema: upgrade creates procrastinate's tables, functions and
types (the ones `enqueue` and the workers call); downgrade to the revision before it removes every one."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from app.migrate import downgrade, upgrade
from tests.conftest import _postgres_url, _with_search_path

OBJECTS = """
SELECT 'table:' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = current_schema() AND c.relkind = 'r' AND starts_with(c.relname, 'procrastinate_')
UNION ALL
SELECT 'function:' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = current_schema() AND starts_with(p.proname, 'procrastinate_')
UNION ALL
SELECT 'type:' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = current_schema() AND starts_with(t.typname, 'procrastinate_') AND t.typtype IN ('e', 'c')
 AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid AND c.relkind = 'r')
"""


def _objects(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = set(conn.execute(text(OBJECTS)).scalars())
    engine.dispose()
    return found


def test_upgrade_creates_the_job_engine_schema_and_downgrade_removes_all_of_it():
    pg = _postgres_url()
    if pg is None:
        pytest.skip("TEST_DATABASE_URL not set: the procrastinate schema exists on PostgreSQL only")
    schema = f"tb_jobs_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    url = _with_search_path(pg, schema)
    try:
        upgrade(url)
        created = _objects(url)
        for name in (
            "table:procrastinate_jobs",
            "table:procrastinate_periodic_defers",
            "function:procrastinate_defer_jobs_v1",
            "function:procrastinate_fetch_job_v2",
            "function:procrastinate_retry_job_v2",
            "type:procrastinate_job_to_defer_v1",
            "type:procrastinate_job_status",
        ):
            assert name in created
        downgrade(url, "0056-1")
        assert _objects(url) == set()
        upgrade(url)  # and back again
        assert _objects(url) == created
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()
