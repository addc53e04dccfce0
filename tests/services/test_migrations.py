"""Migrations: exactly one head; upgrade → downgrade → upgrade works on an empty database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from app.migrate import current_heads, downgrade, heads, upgrade
from app.models import Base
from tests.conftest import _postgres_url, _with_search_path


def test_there_is_exactly_one_migration_head():
    assert len(heads()) == 1


def _round_trip(url: str) -> None:
    upgrade(url)
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    downgrade(url, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    assert current_heads(url) == heads()


def test_upgrade_downgrade_upgrade_on_empty_sqlite(tmp_path):
    _round_trip(f"sqlite:///{tmp_path / 'm.sqlite'}")


def test_upgrade_downgrade_upgrade_on_empty_postgres():
    pg = _postgres_url()
    if pg is None:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL migration round trip not run")
    schema = f"tb_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    try:
        _round_trip(_with_search_path(pg, schema))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def test_models_match_the_migrations(tmp_path):
    """No model change without a migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'cmp.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    engine.dispose()
    assert diff == []


def _placeholder(sql_type: str, n: int) -> object:
    t = sql_type.upper()
    if "INT" in t or "BOOL" in t or "NUMERIC" in t:
        return n
    if t in ("DATE",):
        return "2026-03-02"
    if "DATETIME" in t or "TIMESTAMP" in t:
        return "2026-03-02 08:00:00"
    return f"x{n}"


def test_upgrade_to_0052_dates_uncomputed_clock_rows_so_the_sweep_range_reads_them(tmp_path):
    """Rows left NULL before 0052 are dated 1900-01-01 ("due now"): `light_changes_on <= today` finds them."""
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    upgrade(url, "0051")
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in ("case_file", "case_task"):
            cols = conn.execute(text(f"PRAGMA table_info({table})")).all()
            values = {
                c.name: _placeholder(c.type, 1)
                for c in cols
                if (c.notnull and c.dflt_value is None) or c.name == "id"
            }
            values["light_changes_on"] = None
            names = ", ".join(values)
            conn.execute(
                text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + k for k in values)})"), values
            )
    upgrade(url)
    with engine.connect() as conn:
        for table in ("case_file", "case_task"):
            assert conn.execute(text(f"SELECT light_changes_on FROM {table}")).scalar_one() == "1900-01-01"
            due = conn.execute(text(f"SELECT count(*) FROM {table} WHERE light_changes_on <= '2026-12-03'"))
            assert due.scalar_one() == 1
    downgrade(url, "0051")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT light_changes_on FROM case_file")).scalar_one() is None
    engine.dispose()
