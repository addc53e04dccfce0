"""Designer tests work on copies of real items under their own codes and slugs (prefix ``zz_``), and
remove those items, their versions and cases afterwards so the catalogue stays the real one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "road_freight_permit"


def real_item_files(slug: str = SOURCE) -> tuple[dict[str, str], dict, dict]:
    folder = ROOT / "processes" / slug
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.bpmn"))}
    files.update({p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.dmn"))})
    forms = {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "forms" / slug).glob("*.json"))
    }
    item = yaml.safe_load((folder / "item.yaml").read_text(encoding="utf-8"))
    return files, forms, item


def copied_item(slug: str, code: str, source: str = SOURCE):
    """A real item renamed to ``slug``/``code`` (process ids included): files, forms, item fields."""
    from app.services.designer.templates import copy_bundle

    files, forms, item = real_item_files(source)
    content = copy_bundle(files, forms, item, slug, code)
    return content["files"], content["forms"], content["item"]


def multipart(files: dict[str, str | bytes], forms: dict, item: dict | None) -> dict:
    data = {}
    for name, text in files.items():
        data[f"bpmn_{name}"] = (io.BytesIO(text.encode() if isinstance(text, str) else text), name)
    for name, form in forms.items():
        data[f"form_{name}"] = (io.BytesIO(json.dumps(form, ensure_ascii=False).encode()), name)
    if item is not None:
        data["item"] = (io.BytesIO(yaml.safe_dump(item, allow_unicode=True).encode()), "item.yaml")
    return data


def _purge_scratch_items(app) -> None:
    from sqlalchemy import text

    from tests.conftest import empty_case_tables

    empty_case_tables(app)  # the suite's own cleanup (TRUNCATE of the append-only audit trail on PostgreSQL)
    with app.extensions["tongban.engine"].begin() as conn:
        ids = [r[0] for r in conn.execute(text("select id from service_item where slug like 'zz%'"))]
        for item_id in ids:
            conn.execute(text("delete from process_version where item_id = :i"), {"i": item_id})
            conn.execute(text("delete from service_item where id = :i"), {"i": item_id})


@pytest.fixture
def scratch(app):
    """Yields nothing; removes every zz_ item (with its versions and all case data) afterwards."""
    yield
    _purge_scratch_items(app)


@pytest.fixture
def env_designer(app):
    """A designer of the env department (the demo designer is platform-wide)."""
    from sqlalchemy import select

    from app.models import Session, User
    from app.services.auth import hash_password
    from tests.conftest import DEMO_PASSWORD

    if Session.scalar(select(User).where(User.username == "env_designer")) is None:
        Session.add(
            User(
                username="env_designer",
                password_hash=hash_password(DEMO_PASSWORD),
                display_name="环保流程设计 周",
                role="designer",
                department_code="env",
            )
        )
        Session.commit()
    Session.remove()
    return "env_designer"
