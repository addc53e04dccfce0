"""Backups: one consistent snapshot of the database with the material store, checksummed.

A backup is a folder ``tongban-<UTC time>/`` with ``database.sqlite`` (SQLite's online backup API)
or ``database.dump`` (``pg_dump --format=custom`` of the app's schema, taken in an exported snapshot
so that the row counts and the audit head in the manifest are of the same instant), ``files/`` (the
content-addressed material store; files are immutable and copied after the snapshot, so every file
the snapshot names is there), ``manifest.json`` (SHA-256 of every file, row counts, Alembic revision,
audit-chain head) and ``manifest.sha256``. `verify_backup` rechecks all of it; `restore_backup`
writes it into an *empty* database and data dir and checks the result against the manifest.

These are operator tools (CLI): they act on URLs and folders given by the caller, not as a user.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url

from app.models import Base
from app.services import audit
from app.services.errors import DomainError

FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(DomainError):
    code = "backup_failed"


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq URI for pg_dump/pg_restore (driver name dropped)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("SQLite 内存数据库无法备份 / an in-memory SQLite database cannot be backed up")
    return Path(database)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: postgresql-client） / {name} not found "
            "(install postgresql-client)"
        )
    return found


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603 - argv list of our own, no shell
    if proc.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} 失败 / failed: {proc.stderr.strip()[-2000:]}")


def _counts(conn: Connection) -> dict[str, int]:
    present = set(inspect(conn).get_table_names())
    return {
        t.name: conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar_one()  # noqa: S608 - our table names
        for t in Base.metadata.sorted_tables
        if t.name in present
    }


def _revision(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _audit_head(conn: Connection) -> dict[str, Any]:
    row = conn.execute(
        text("SELECT seq, hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    ).first()
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": audit.GENESIS}


def _copy_store(source: Path, target: Path) -> dict[str, str]:
    """Copy the content-addressed store; returns relative path -> SHA-256 (checked while copying)."""
    files: dict[str, str] = {}
    if not source.is_dir():
        return files
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("tmp")):
        rel = path.relative_to(source).as_posix()
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        digest = _sha256(dest)
        if digest != path.name:
            raise BackupError(f"材料文件已损坏 / a stored file does not match its name: {rel}")
        files[rel] = digest
    return files


def _dump_postgres(engine: Engine, url: str, target: Path) -> tuple[dict[str, Any], dict[str, int]]:
    with engine.connect() as conn:
        conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--schema={schema}",
                f"--file={target}",
                _libpq(url),
            ]
        )
        counts = _counts(conn)
        info = {
            "dialect": "postgresql",
            "schema": schema,
            "revision": _revision(conn),
            "audit_head": _audit_head(conn),
        }
        conn.execute(text("COMMIT"))
    return info, counts


def _dump_sqlite(url: str, target: Path) -> tuple[dict[str, Any], dict[str, int]]:
    source = sqlite3.connect(_sqlite_path(url))
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)  # online backup API: a consistent copy while the app keeps writing
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (no -wal/-shm beside it)
    finally:
        source.close()
        dest.close()
    copy = create_engine(f"sqlite:///{target}")
    try:
        with copy.connect() as conn:
            info = {"dialect": "sqlite", "revision": _revision(conn), "audit_head": _audit_head(conn)}
            counts = _counts(conn)
    finally:
        copy.dispose()
    return info, counts


def create_backup(database_url: str, data_dir: Path, backup_dir: Path) -> BackupResult:
    """Seal the audit trail, then snapshot the database and copy the material store into BACKUP_DIR."""
    audit.seal()  # on the app's session, which is bound to DATABASE_URL
    engine = create_engine(database_url)
    try:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = backup_dir / f"tongban-{stamp}"
        folder.mkdir(parents=True, exist_ok=False)
        if engine.dialect.name == "postgresql":
            db_file = folder / "database.dump"
            info, counts = _dump_postgres(engine, database_url, db_file)
        else:
            db_file = folder / "database.sqlite"
            info, counts = _dump_sqlite(database_url, db_file)
    finally:
        engine.dispose()
    files = _copy_store(data_dir / "files", folder / "files")
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": {**info, "file": db_file.name, "sha256": _sha256(db_file), "tables": counts},
        "files": files,
    }
    body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    (folder / "manifest.json").write_bytes(body)
    (folder / "manifest.sha256").write_text(hashlib.sha256(body).hexdigest() + "  manifest.json\n")
    return BackupResult(folder, manifest)


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        body = (folder / "manifest.json").read_bytes()
        expected = (folder / "manifest.sha256").read_text().split()[0]
    except (OSError, IndexError) as exc:
        raise BackupError(f"不是完整的备份 / not a complete backup: {exc}") from exc
    if hashlib.sha256(body).hexdigest() != expected:
        raise BackupError("备份清单已被改动 / manifest.json does not match manifest.sha256")
    return json.loads(body)


def verify_backup(folder: Path) -> list[str]:
    """Every problem of the backup in FOLDER (checksums, readability, row counts); empty = sound."""
    try:
        manifest = read_manifest(folder)
    except BackupError as exc:
        return [exc.message]
    problems = []
    db = manifest["database"]
    db_file = folder / db["file"]
    if not db_file.is_file():
        problems.append(f"缺少数据库文件 / missing {db['file']}")
    elif _sha256(db_file) != db["sha256"]:
        problems.append(f"数据库文件校验失败 / {db['file']} does not match its checksum")
    elif db["dialect"] == "sqlite":
        conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                problems.append("数据库文件已损坏 / integrity_check failed")
        finally:
            conn.close()
    else:
        proc = subprocess.run([_tool("pg_restore"), "--list", str(db_file)], capture_output=True, check=False)  # noqa: S603
        if proc.returncode != 0:
            problems.append(f"pg_restore 无法读取转储 / the dump is unreadable: {proc.stderr[-500:]!r}")
    listed = manifest["files"]
    present = {
        p.relative_to(folder / "files").as_posix() for p in (folder / "files").rglob("*") if p.is_file()
    }
    for rel in sorted(set(listed) - present):
        problems.append(f"缺少材料文件 / missing file {rel}")
    for rel in sorted(present - set(listed)):
        problems.append(f"清单外的文件 / file not in the manifest {rel}")
    for rel in sorted(set(listed) & present):
        if _sha256(folder / "files" / rel) != listed[rel]:
            problems.append(f"材料文件校验失败 / file does not match its checksum {rel}")
    return problems


def _empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        if (
            conn.dialect.name == "postgresql"
            and conn.execute(text("SELECT current_schema()")).scalar() is None
        ):
            return True  # the schema of the search path does not exist yet: pg_restore creates it
        return not inspect(conn).get_table_names()


def _restore_postgres(engine: Engine, url: str, dump: Path, schema: str) -> None:
    with engine.connect() as conn:
        current = conn.execute(text("SELECT current_schema()")).scalar()
        path = conn.execute(text("SHOW search_path")).scalar() or ""
    first = path.split(",")[0].strip().strip('"')
    if (current or first) != schema:
        raise BackupError(
            f"备份的模式是 {schema}，目标连接的 search_path 是 {path} / the backup is of schema {schema}: "
            f"restore into a database whose search_path starts with it"
        )
    pg_restore = _tool("pg_restore")
    listing = subprocess.run(  # noqa: S603 - argv list of our own
        [pg_restore, "--list", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    if current is not None:
        # The schema exists already (public in a new database): restore what is in it, not the schema.
        own = (f" SCHEMA - {schema} ", f" COMMENT - SCHEMA {schema} ")
        listing = "\n".join(line for line in listing.splitlines() if not any(o in line for o in own))
    with tempfile.TemporaryDirectory() as tmp:
        toc = Path(tmp) / "toc.list"
        toc.write_text(listing + "\n")
        _run(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--use-list={toc}",
                f"--dbname={_libpq(url)}",
                str(dump),
            ]
        )


def restore_backup(folder: Path, database_url: str, data_dir: Path) -> dict[str, Any]:
    """Restore FOLDER into an empty database and data dir; returns the manifest. Refuses a database
    that has any table (a restore never overwrites), and checks row counts and the audit chain after."""
    problems = verify_backup(folder)
    if problems:
        raise BackupError("备份校验失败，未恢复 / the backup failed verification: " + "; ".join(problems))
    manifest = read_manifest(folder)
    db = manifest["database"]
    engine = create_engine(database_url)
    try:
        if engine.dialect.name != db["dialect"]:
            raise BackupError(f"备份来自 {db['dialect']}，目标是 {engine.dialect.name} / dialects differ")
        if not _empty(engine):
            raise BackupError(
                "目标数据库不是空的，未恢复 / the target database is not empty; nothing restored"
            )
        if db["dialect"] == "sqlite":
            target = _sqlite_path(database_url)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(f"file:{folder / db['file']}?mode=ro", uri=True)
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                source.close()
                dest.close()
        else:
            _restore_postgres(engine, database_url, folder / db["file"], db["schema"])
        with engine.connect() as conn:
            counts = _counts(conn)
        if counts != db["tables"]:
            diff = {
                k: (db["tables"].get(k), counts.get(k))
                for k in set(counts) | set(db["tables"])
                if counts.get(k) != db["tables"].get(k)
            }
            raise BackupError(f"恢复后的行数与备份不符 / row counts differ after restore: {diff}")
    finally:
        engine.dispose()
    store = data_dir / "files"
    for rel in manifest["files"]:
        dest = store / rel
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / "files" / rel, dest)
    return manifest
