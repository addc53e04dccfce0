"""Deploy a bundle as an immutable process version, list versions, diff two, export one as folders.

A designer-deployed version is keyed by the content hash of everything that shapes a case: the
BPMN/DMN files, the forms and the catalogue entry. Deploying the same content again changes nothing.
New cases start on the item's current version; running cases stay on the one they started on.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.models import Case, ProcessVersion, ProcessVersionItem, ServiceItem, Session
from app.services import audit
from app.services.auth import Actor
from app.services.catalogue import ensure_departments, get_item
from app.services.context import ctx
from app.services.designer.access import (
    design_departments,
    may_design,
    platform_wide,
    require_department,
    require_designer,
)
from app.services.designer.bundle import Bundle, dump_item_yaml
from app.services.designer.validation import Report, validate
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.i18n import t
from app.services.projection import OPEN_STATUSES
from engine.diff import VersionDiff, diff_versions


@dataclass(frozen=True)
class DeployResult:
    item: ServiceItem
    version: ProcessVersion
    created: bool
    report: Report


def content_hash(files: Mapping[str, bytes], forms: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(b"file\0" + name.encode() + b"\0" + files[name] + b"\0")
    for name in sorted(forms):
        digest.update(
            b"form\0" + name.encode() + b"\0" + json.dumps(forms[name], sort_keys=True).encode() + b"\0"
        )
    digest.update(b"item\0" + json.dumps(dict(item), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def visible_items(actor: Actor) -> list[ServiceItem]:
    require_designer(actor)
    stmt = select(ServiceItem).order_by(ServiceItem.code)
    if not platform_wide(actor):
        stmt = stmt.where(ServiceItem.department_code.in_(design_departments(actor)))
    return list(Session.scalars(stmt))


def item_for_design(actor: Actor, code: str) -> ServiceItem:
    require_designer(actor)
    item = get_item(code)
    if not may_design(actor, item.department_code):
        # another department's item: the same answer as a missing one would hide it, but the brief of
        # the designer pages is that departments see their own items only — say so plainly.
        require_department(actor, item.department_code, f"事项 {item.code}")
    return item


def list_versions(actor: Actor, code: str) -> list[dict[str, Any]]:
    item = item_for_design(actor, code)
    rows = Session.execute(
        select(ProcessVersion, ProcessVersionItem)
        .outerjoin(ProcessVersionItem, ProcessVersionItem.version == ProcessVersion.version)
        .where(ProcessVersion.item_id == item.id)
        .order_by(ProcessVersion.deployed_at.desc())
    ).all()
    counts = dict(
        Session.execute(
            select(Case.process_version, func.count())
            .where(Case.item_id == item.id, Case.status.in_(OPEN_STATUSES))
            .group_by(Case.process_version)
        ).all()
    )
    return [
        {
            "version": v.version,
            "deployed_at": v.deployed_at,
            "deployed_by": v.deployed_by,
            "current": v.version == item.current_version,
            "source": extra.source if extra else "catalogue",
            "open_cases": counts.get(v.version, 0),
            "files": sorted(v.files),
            "forms": sorted(v.forms),
            "note": v.note,
        }
        for v, extra in rows
    ]


def version_of(item: ServiceItem, version: str) -> ProcessVersion:
    row = Session.get(ProcessVersion, version)
    if row is None or row.item_id != item.id:
        raise NotFound(
            t("版本 %(version)s 不是事项 %(code)s 的版本", version=version, code=item.code),
            code="version_not_found",
        )
    return row


def version_item(item: ServiceItem, row: ProcessVersion) -> dict[str, Any]:
    """The item.yaml deployed with this version (catalogue-loaded versions: the item's current entry)."""
    extra = Session.get(ProcessVersionItem, row.version)
    if extra is not None:
        return dict(extra.item)
    return dict(item.definition or {})


def get_version(actor: Actor, code: str, version: str) -> tuple[ServiceItem, ProcessVersion, dict[str, Any]]:
    item = item_for_design(actor, code)
    row = version_of(item, version)
    return item, row, version_item(item, row)


def deploy_version(
    actor: Actor, code: str | None, bundle: Bundle, note: str | None = None, draft_id: int | None = None
) -> DeployResult:
    """Validate and deploy. 422 with every finding when invalid; nothing is written then."""
    require_designer(actor)
    report = validate(bundle, require_item=True)
    if not report.ok or bundle.item is None or report.definition is None:
        raise ValidationFailed(
            t("验证未通过：%(count)s 个错误", count=len(report.errors)),
            report.as_dict(),
            code="process_invalid",
        )
    item_def = bundle.item
    if report.result is not None and report.result.files:
        # what was validated, after the Camunda mapping: the platform's properties are kept with it
        bundle = Bundle(files=dict(report.result.files), forms=bundle.forms, item=item_def)
    if code is not None and code not in (item_def.get("code"), item_def.get("slug")):
        raise ValidationFailed(
            t(
                "item.yaml 的 code %(given)s 与地址中的事项 %(code)s 不符",
                given=repr(item_def.get("code")),
                code=code,
            ),
            {
                "errors": [
                    {"element_id": "code", "file": "item.yaml", "line": None, "message": "code mismatch"}
                ],
                "warnings": [],
            },
            code="item_code_mismatch",
        )
    require_department(actor, item_def["department"], f"事项 {item_def['code']}")
    item = Session.scalar(select(ServiceItem).where(ServiceItem.slug == item_def["slug"]))
    by_code = Session.scalar(select(ServiceItem).where(ServiceItem.code == str(item_def["code"])))
    if by_code is not None and (item is None or by_code.id != item.id):
        raise Conflict(
            t("事项编码 %(code)s 已被 %(slug)s 使用", code=item_def["code"], slug=by_code.slug),
            code="code_taken",
        )
    if item is not None:
        require_department(actor, item.department_code, f"事项 {item.code}")
    key = content_hash(bundle.files, bundle.forms, item_def)[:16]
    existing = Session.get(ProcessVersion, key)
    if existing is not None:
        if item is None or existing.item_id != item.id:
            raise Conflict("the same content is deployed for another item", code="version_conflict")
        return DeployResult(item, existing, False, report)
    ensure_departments()
    if item is None:
        item = ServiceItem(slug=item_def["slug"])
        Session.add(item)
    limits = item_def["limits"]
    item.code = str(item_def["code"])
    item.name_zh = item_def["name"]["zh"]
    item.name_en = item_def["name"]["en"]
    item.department_code = item_def["department"]
    item.kind = item_def["kind"]
    item.statutory_wd = int(limits["statutory_wd"])
    item.promised_wd = int(limits["promised_wd"])
    item.definition = dict(item_def)
    Session.flush()
    definition = report.definition
    row = ProcessVersion(
        version=key,
        item_id=item.id,
        process_id=definition.process_id,
        files={k: v.decode("utf-8") for k, v in bundle.files.items()},
        forms=dict(bundle.forms),
        deployed_by=actor.username,
        note=note,
    )
    Session.add(row)
    Session.flush()
    Session.add(
        ProcessVersionItem(
            version=key,
            content_hash=content_hash(bundle.files, bundle.forms, item_def),
            item=dict(item_def),
            source="designer" if draft_id else "api",
            draft_id=draft_id,
        )
    )
    before = item.current_version
    item.current_version = key
    audit.record(
        actor,
        "process.deploy",
        None,
        target=item.slug,
        before={"version": before},
        after={"version": key},
        detail=note,
    )
    Session.commit()
    ctx().processes.get_or_parse(item.slug, definition.process_id, bundle.files, bundle.forms.keys())
    return DeployResult(item, row, True, report)


def diff(actor: Actor, code: str, from_version: str, to_version: str) -> VersionDiff:
    item = item_for_design(actor, code)
    old, new = version_of(item, from_version), version_of(item, to_version)
    return diff_versions(
        {k: v.encode() for k, v in old.files.items()},
        {k: v.encode() for k, v in new.files.items()},
        old.forms,
        new.forms,
        version_item(item, old),
        version_item(item, new),
    )


def export_zip(actor: Actor, code: str, version: str) -> tuple[str, bytes]:
    """The version as ``processes/<slug>/…`` and ``forms/<slug>/…`` — drop it into a git checkout."""
    item, row, item_def = get_version(actor, code, version)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in sorted(row.files.items()):
            zf.writestr(f"processes/{item.slug}/{name}", text)
        header = f"# {item_def.get('name', {}).get('zh', item.slug)} — version {row.version}, exported by Tongban\n"
        zf.writestr(f"processes/{item.slug}/item.yaml", header + dump_item_yaml(item_def))
        for name, form in sorted(row.forms.items()):
            zf.writestr(f"forms/{item.slug}/{name}", json.dumps(form, ensure_ascii=False, indent=2) + "\n")
    return f"{item.slug}-{row.version}.zip", buffer.getvalue()
