"""The service catalogue: read item folders, validate and deploy process versions, list items."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from app.models import Department, ProcessVersion, ServiceItem, Session
from app.services import audit
from app.services.auth import Actor
from app.services.context import ctx
from app.services.designer.itemcheck import check_item
from app.services.errors import DomainError, NotFound
from app.services.forms import read_forms
from engine.definitions import ProcessDefinition, parse_definition, read_process_files
from engine.errors import EngineError

DEPARTMENTS = {
    "admin": ("行政审批服务局", "Administrative Approval Bureau"),
    "env": ("生态环境局", "Ecology and Environment Bureau"),
    "transport": ("交通运输局", "Transport Bureau"),
}

REQUIRED_KEYS = ("code", "slug", "process_id", "name", "department", "kind", "limits", "materials")


@dataclass
class ItemCheck:
    slug: str
    ok: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    version: str | None = None


def read_item_yaml(folder: Path) -> dict[str, Any]:
    path = folder / "item.yaml"
    try:
        item = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DomainError(f"{path}: missing item.yaml", code="item_invalid") from exc
    except yaml.YAMLError as exc:
        raise DomainError(f"{path}: invalid YAML: {exc}", code="item_invalid") from exc
    if not isinstance(item, dict):
        raise DomainError(f"{path}: must be a mapping", code="item_invalid")
    missing = [k for k in REQUIRED_KEYS if k not in item]
    if missing:
        raise DomainError(f"{path}: missing keys {', '.join(missing)}", code="item_invalid")
    return item


def design_warnings(
    item: dict[str, Any], definition: ProcessDefinition, max_ratio: float = 0.35
) -> list[str]:
    """Time-limit checks a designer should see: promised vs statutory, steps vs promised."""
    limits = item.get("limits") or {}
    statutory = int(limits.get("statutory_wd") or 0)
    promised = int(limits.get("promised_wd") or 0)
    code = item.get("code")
    out = []
    if promised > statutory:
        out.append(f"{code}: promised limit {promised} WD exceeds the statutory limit {statutory} WD")
    elif statutory and promised > statutory * max_ratio:
        out.append(
            f"{code}: promised limit {promised} WD is more than {max_ratio:.0%} of the statutory "
            f"{statutory} WD (max {int(statutory * max_ratio)} WD)"
        )
    special = {t.id for t in definition.user_tasks.values() if t.special_procedure}
    steps = sum(
        t.time_limit_wd or 0
        for t in definition.user_tasks.values()
        if t.id not in special
        and t.process_id == definition.process_id
        and t.id not in ("issue_result",)
        and t.id != "approve_extension"
    )
    if item.get("kind") != "immediate" and promised and steps > promised:
        out.append(
            f"{code}: step limits on the main path add up to {steps} WD, more than the promised {promised} WD"
        )
    return out


def check_item_folder(
    folder: Path, forms_dir: Path
) -> tuple[dict[str, Any], ProcessDefinition, dict[str, Any]]:
    item = read_item_yaml(folder)
    forms = read_forms(forms_dir, item["slug"])
    files = read_process_files(folder)
    definition = parse_definition(item["slug"], item["process_id"], files, forms.keys())
    return item, definition, forms


def validate_processes(processes_dir: Path | None = None, forms_dir: Path | None = None) -> list[ItemCheck]:
    processes_dir = processes_dir or ctx().settings.processes_dir
    forms_dir = forms_dir or ctx().settings.forms_dir
    results = []
    for folder in sorted(p for p in processes_dir.iterdir() if (p / "item.yaml").exists()):
        try:
            item, definition, _forms = check_item_folder(folder, forms_dir)
        except (DomainError, EngineError) as exc:
            results.append(ItemCheck(folder.name, False, [str(exc)]))
            continue
        fields = check_item(item, set(DEPARTMENTS))  # the designer's item form applies the same checks
        errors = [f"item.yaml {f.element_id}: {f.message}" for f in fields if f.severity == "error"]
        warnings = [str(w) for w in definition.warnings] + design_warnings(item, definition)
        warnings += [f"item.yaml {f.element_id}: {f.message}" for f in fields if f.severity == "warning"]
        results.append(ItemCheck(item["slug"], not errors, errors, warnings, definition.version))
    return results


def ensure_departments() -> None:
    existing = set(Session.scalars(select(Department.code)))
    for code, (zh, en) in DEPARTMENTS.items():
        if code not in existing:
            Session.add(Department(code=code, name_zh=zh, name_en=en))
    Session.flush()


def deploy_item(folder: Path, forms_dir: Path, actor: Actor | None = None) -> tuple[ServiceItem, bool]:
    """Deploy one item folder; a new process version only when the BPMN or forms changed."""
    item_def, definition, forms = check_item_folder(folder, forms_dir)
    ensure_departments()
    limits = item_def["limits"]
    item = Session.scalar(select(ServiceItem).where(ServiceItem.slug == item_def["slug"]))
    if item is None:
        item = ServiceItem(slug=item_def["slug"])
        Session.add(item)
    item.code = str(item_def["code"])
    item.name_zh = item_def["name"]["zh"]
    item.name_en = item_def["name"]["en"]
    item.department_code = item_def["department"]
    item.kind = item_def["kind"]
    item.statutory_wd = int(limits["statutory_wd"])
    item.promised_wd = int(limits["promised_wd"])
    item.definition = item_def
    Session.flush()
    version = definition.version
    created = False
    if Session.get(ProcessVersion, version) is None:
        Session.add(
            ProcessVersion(
                version=version,
                item_id=item.id,
                process_id=definition.process_id,
                files={k: v.decode("utf-8") for k, v in definition.files.items()},
                forms=forms,
                deployed_by=actor.username if actor else "system",
            )
        )
        created = True
        ctx().processes.get_or_parse(item.slug, definition.process_id, definition.files, forms.keys())
    if item.current_version != version:
        before = item.current_version
        item.current_version = version
        audit.record(
            actor,
            "process.deploy",
            None,
            target=item.slug,
            before={"version": before},
            after={"version": version},
        )
    return item, created


def deploy_item_folder(folder: Path, forms_dir: Path, actor: Actor | None = None) -> tuple[str, str, bool]:
    item, created = deploy_item(folder, forms_dir, actor)
    Session.commit()
    return item.slug, item.current_version or "", created


def load_catalogue(actor: Actor | None = None, processes_dir: Path | None = None) -> list[str]:
    """Deploy every item folder (idempotent). Returns the slugs deployed."""
    settings = ctx().settings
    processes_dir = processes_dir or settings.processes_dir
    slugs = []
    for folder in sorted(p for p in processes_dir.iterdir() if (p / "item.yaml").exists()):
        item, _ = deploy_item(folder, settings.forms_dir, actor)
        slugs.append(item.slug)
    Session.commit()
    return slugs


def definition_for(version: str) -> ProcessDefinition:
    cache = ctx().processes
    hit = cache.get(version)
    if hit is not None:
        return hit
    row = Session.get(ProcessVersion, version)
    if row is None:
        raise NotFound(f"process version {version} not found")
    item = Session.get(ServiceItem, row.item_id)
    files = {k: v.encode("utf-8") for k, v in row.files.items()}
    return cache.get_or_parse(item.slug, row.process_id, files, row.forms.keys())


_FORMS_BY_VERSION: dict[str, dict[str, Any]] = {}


def forms_for(version: str) -> dict[str, Any]:
    """The forms frozen with a process version (immutable, so cached per process)."""
    hit = _FORMS_BY_VERSION.get(version)
    if hit is not None:
        return hit
    forms = Session.scalar(select(ProcessVersion.forms).where(ProcessVersion.version == version))
    if forms is None:
        raise NotFound(f"process version {version} not found")
    _FORMS_BY_VERSION[version] = forms
    return forms


def list_items() -> list[ServiceItem]:
    return list(Session.scalars(select(ServiceItem).order_by(ServiceItem.code)))


def get_item(code: str) -> ServiceItem:
    item = Session.scalar(select(ServiceItem).where((ServiceItem.code == code) | (ServiceItem.slug == code)))
    if item is None:
        raise NotFound(f"事项 {code} 不存在 / service item {code} not found", code="item_not_found")
    return item
