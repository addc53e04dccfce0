"""Backups end to end, on the database the suite runs on (SQLite, or PostgreSQL via pg_dump/pg_restore):
create, verify, restore into an empty database and data dir, and find every case, document,
material and audit row again; corruption and a non-empty target are refused."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.models import Base, Session, bind_session
from app.services import audit
from app.services.backup import BackupError, create_backup, restore_backup, verify_backup
from app.services.materials import upload_material
from tests.factories import actor
from tests.web.helpers import open_task_id, submit_case


def _pdf(text_: str) -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text=text_)
    return bytes(doc.output())


@pytest.fixture
def cases(app, api):
    """Two cases with materials, one accepted (so with a statutory document)."""
    made = []
    for n in range(2):
        case_no = submit_case(api)
        with app.app_context():
            upload_material(
                actor("applicant"), case_no, "application_letter", f"l{n}.pdf", io.BytesIO(_pdf(f"n{n}"))
            )
        made.append(case_no)
    task = open_task_id(api, made[0], "env_clerk")
    resp = api.post(f"/tasks/{task}/complete", user="env_clerk", json={"data": {"accept_outcome": "accept"}})
    assert resp.status_code == 200, resp.get_json()
    Session.remove()
    return made


def _cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _dump(engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*pk))]
    return out


@pytest.fixture
def empty_target(database_url, is_postgres, tmp_path):
    """An empty database of the same kind (a new PostgreSQL database; a new SQLite file)."""
    if not is_postgres:
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    source = make_url(database_url)
    name = f"tb_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(source.set(query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        # same search_path (the source's schema): pg_restore recreates that schema in the new database
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_restore_into_an_empty_database_reproduces_every_row_and_file(app, cases, empty_target, tmp_path):
    settings = app.config["TONGBAN"]
    result = _cli(app, "backup", "create", "--to", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"]["tables"]["case_file"] == 2
    assert manifest["database"]["tables"]["case_document"] >= 1
    store = settings.data_dir / "files"
    stored = {
        str(p.relative_to(store)) for p in store.rglob("*") if p.is_file() and not p.name.startswith(".")
    }
    assert (
        set(manifest["files"]) == stored and len(stored) >= 2
    )  # every stored file, this test's two at least
    assert _cli(app, "backup", "verify", str(folder)).exit_code == 0
    source = _dump(app.extensions["tongban.engine"])
    assert all(r[-1] is not None for r in source["audit_event"])  # sealed before the snapshot

    restored_dir = tmp_path / "restored-data"
    restore_backup(folder, empty_target, restored_dir)

    target = create_engine(empty_target)
    try:
        restored = _dump(target)
        assert restored == source
        for rel, digest in manifest["files"].items():
            assert (restored_dir / "files" / rel).read_bytes() == (
                settings.data_dir / "files" / rel
            ).read_bytes()
            assert Path(rel).name == digest
        head = manifest["database"]["audit_head"]
        bind_session(target)
        report = audit.verify(anchor=(head["seq"], head["hash"]))
        assert report.ok and report.sealed == head["seq"] == len(source["audit_event"])
    finally:
        Session.remove()
        bind_session(app.extensions["tongban.engine"])
        target.dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, cases, tmp_path):
    settings = app.config["TONGBAN"]
    backup = create_backup(settings.database_url, settings.data_dir, tmp_path)
    before = _dump(app.extensions["tongban.engine"])
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(backup.path, settings.database_url, tmp_path / "data")
    assert _dump(app.extensions["tongban.engine"]) == before
    assert not (tmp_path / "data").exists()


def test_verify_finds_a_changed_file_a_changed_database_and_a_changed_manifest(app, cases, tmp_path):
    settings = app.config["TONGBAN"]
    folder = create_backup(settings.database_url, settings.data_dir, tmp_path).path
    assert verify_backup(folder) == []
    material = next((folder / "files").rglob("*/*"))
    material.write_bytes(material.read_bytes() + b"x")
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("database")) == [
        f"database.{'dump' if app.config['TONGBAN'].database_url.startswith('postgresql') else 'sqlite'}"
    ]
    db_file = next(p for p in folder.iterdir() if p.name.startswith("database."))
    with db_file.open("r+b") as fh:
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 0xFF]))
    problems = verify_backup(folder)
    assert any("file does not match its checksum" in p for p in problems)
    assert any("does not match its checksum" in p and db_file.name in p for p in problems)
    result = _cli(app, "backup", "verify", str(folder))
    assert result.exit_code == 1
    with pytest.raises(BackupError, match="failed verification"):
        restore_backup(folder, f"sqlite:///{tmp_path / 'never.sqlite'}", tmp_path / "never")
    manifest = folder / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"format": 1', '"format": 2'))
    assert verify_backup(folder) == ["备份清单已被改动 / manifest.json does not match manifest.sha256"]
