"""A request costs the round trips its work needs: reads without BEGIN/ROLLBACK on PostgreSQL, no
pre-ping on checkout, and a connection cut between requests costs a retry, not an error."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text

from app.models import Session


class Statements:
    """The statements an engine sends, with whether the connection was in autocommit and its pid."""

    def __init__(self, engine) -> None:
        self.seen: list[tuple[str, bool]] = []
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, conn, _cursor, statement, _params, _context, _many) -> None:
        dbapi = conn.connection.dbapi_connection
        self.seen.append((statement.split()[0].upper(), bool(getattr(dbapi, "autocommit", False))))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)


def test_the_pool_does_not_ping_on_checkout(app):
    assert app.extensions["tongban.engine"].pool._pre_ping is False


def test_a_read_on_postgresql_runs_in_autocommit(app, api, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite sends no BEGIN for a read anyway (pysqlite begins before writes only)")
    api.token("env_clerk")
    watch = Statements(app.extensions["tongban.engine"])
    try:
        resp = api.get("/tasks?limit=5", "env_clerk")
    finally:
        watch.close()
    assert resp.status_code == 200
    assert watch.seen and all(autocommit for _kind, autocommit in watch.seen)


def test_a_write_still_runs_in_one_transaction(app, api):
    api.token("applicant")
    watch = Statements(app.extensions["tongban.engine"])
    try:
        resp = api.post(
            "/cases",
            "applicant",
            json={
                "item_code": "road_cert_reissue",
                "applicant": {"kind": "person", "name": "林晓", "id_no": "11010519491231002X"},
                "data": {},
            },
        )
    finally:
        watch.close()
    assert resp.status_code in (201, 422), resp.get_data(as_text=True)
    assert watch.seen and not any(autocommit for _kind, autocommit in watch.seen)


def test_a_pooled_connection_cut_by_the_server_costs_a_retry_not_an_error(
    app, api, is_postgres, database_url
):
    if not is_postgres:
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")
    api.token("env_clerk")
    engine = app.extensions["tongban.engine"]
    pids: list[int] = []

    def remember(conn, _cursor, _statement, _params, _context, _many) -> None:
        pids.append(conn.connection.dbapi_connection.info.backend_pid)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert api.get("/tasks?limit=5", "env_clerk").status_code == 200
        assert pids
        Session.remove()
        admin = create_engine(database_url.split("?")[0], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for pid in set(pids):
                conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        pids.clear()
        resp = api.get("/tasks?limit=5", "env_clerk")
    finally:
        event.remove(engine, "before_cursor_execute", remember)
        engine.dispose()  # the other pooled connections were cut too: later tests start from a fresh pool
    assert resp.status_code == 200, resp.get_data(as_text=True)
