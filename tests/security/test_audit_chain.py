"""The audit trail is append-only and tamper-evident: rows are sealed into a SHA-256 chain, verify
finds the first broken link, PostgreSQL refuses UPDATE/DELETE, cases can never be deleted."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.models import AuditEvent, Case, Session
from app.services import audit
from tests.web.helpers import submit_case


def _rows() -> list[AuditEvent]:
    Session.remove()
    return list(Session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _behind_the_apps_back(app, sql: str, **params) -> None:
    """What a DBA could do: on PostgreSQL with the triggers switched off (superuser)."""
    with app.extensions["tongban.engine"].begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql), params)


def test_rows_are_written_unsealed_and_sealing_chains_them_in_order(app, api):
    submit_case(api)
    submit_case(api)
    before = _rows()
    assert before and all(r.hash is None and r.seq is None for r in before)
    assert audit.seal() == len(before)
    rows = _rows()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    previous = audit.GENESIS
    for row in rows:
        assert row.hash == audit.link(previous, row)
        previous = row.hash
    report = audit.verify()
    assert report.ok and report.sealed == len(rows) and report.unsealed == 0 and report.head_hash == previous
    assert audit.seal() == 0  # nothing left


def test_verify_reports_the_first_row_edited_behind_the_apps_back(app, api):
    case_no = submit_case(api)
    submit_case(api)
    audit.seal()
    victim = _rows()[1]
    seq, victim_id = victim.seq, victim.id
    _behind_the_apps_back(
        app, "UPDATE audit_event SET actor_name = 'someone_else' WHERE id = :id", id=victim_id
    )
    report = audit.verify()
    assert not report.ok
    assert (report.broken.seq, report.broken.id) == (seq, victim_id)
    assert "changed after sealing" in report.broken.reason and report.sealed == seq - 1
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at seq {seq} (audit_event id {victim_id})" in result.output
    assert case_no


def test_verify_reports_a_deleted_row_and_an_anchor_catches_a_cut_tail(app, api):
    for _ in range(4):
        submit_case(api)
    audit.seal()
    rows = _rows()
    assert len(rows) >= 4
    head = (rows[-1].seq, rows[-1].hash)
    _behind_the_apps_back(app, "DELETE FROM audit_event WHERE id = :id", id=rows[-1].id)
    assert audit.verify().ok  # a cut tail leaves a valid chain ...
    cut = audit.verify(anchor=head)  # ... which the anchor recorded earlier (backup manifest) exposes
    assert not cut.ok and cut.broken.seq == head[0] and "tail was cut" in cut.broken.reason
    _behind_the_apps_back(app, "DELETE FROM audit_event WHERE id = :id", id=rows[1].id)
    gap = audit.verify()
    assert not gap.ok and gap.broken.seq == 2 and "deleted" in gap.broken.reason


def test_a_case_cannot_be_deleted_and_keeps_its_audit_trail(app, api):
    case_no = submit_case(api)
    Session.remove()
    case_id = Session.scalar(select(Case.id).where(Case.case_no == case_no))
    trail = Session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
    assert trail > 0
    with pytest.raises(IntegrityError), app.extensions["tongban.engine"].begin() as conn:
        conn.execute(text("DELETE FROM case_task WHERE case_id = :id"), {"id": case_id})
        conn.execute(text("DELETE FROM material WHERE case_id = :id"), {"id": case_id})
        conn.execute(text("DELETE FROM case_file WHERE id = :id"), {"id": case_id})
    Session.remove()
    assert (
        Session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
        == trail
    )


@pytest.fixture
def postgres(is_postgres):
    if not is_postgres:
        pytest.skip("the append-only trigger exists on PostgreSQL only (TEST_DATABASE_URL not set)")


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_event SET detail = 'rewritten' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id"],
)
def test_postgres_refuses_update_and_delete_of_audit_rows(app, api, postgres, sql):
    submit_case(api)
    row = _rows()[0]
    with pytest.raises(DBAPIError, match="append-only"), app.extensions["tongban.engine"].begin() as conn:
        conn.execute(text(sql), {"id": row.id})
    assert _rows()[0].detail == row.detail


def test_postgres_allows_sealing_once_and_never_a_reseal(app, api, postgres):
    submit_case(api)
    audit.seal()
    row = _rows()[0]
    with pytest.raises(DBAPIError, match="append-only"), app.extensions["tongban.engine"].begin() as conn:
        conn.execute(text("UPDATE audit_event SET hash = :h WHERE id = :id"), {"h": "0" * 64, "id": row.id})
    with pytest.raises(DBAPIError, match="append-only"), app.extensions["tongban.engine"].begin() as conn:
        # sealing may set seq and hash only: smuggling in another change with it is refused
        conn.execute(text("UPDATE audit_event SET hash = NULL, seq = NULL WHERE id = :id"), {"id": row.id})
    assert audit.verify().ok


def test_concurrent_writers_and_sealers_never_fork_the_chain(app):
    """4 threads append 40 rows each and seal after every commit, all at once."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(40):
                    audit.record(None, "test.append", None, target=f"t{n}", after={"i": i})
                    Session.commit()
                    audit.seal()
                Session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    audit.seal()
    rows = _rows()
    assert len(rows) == 160 and [r.seq for r in rows] == list(range(1, 161))
    report = audit.verify()
    assert report.ok and report.sealed == 160


def test_the_scheduler_seals_new_rows(app, api):
    from app.jobs.runner import run_once

    submit_case(api)
    unsealed = audit.verify().unsealed
    assert unsealed > 0
    assert run_once(jobs=["audit_seal"], use_lease=False) == {"audit_seal": {"sealed": unsealed}}
    assert audit.verify().unsealed == 0
