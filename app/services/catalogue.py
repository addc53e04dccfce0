"""The service catalogue: read item folders, validate and deploy process versions, list items."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from app.models import ProcessVersion, ServiceItem, Session
from app.services import audit, org
from app.services.auth import Actor
from app.services.context import ctx
from app.services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.services.forms import read_forms
from app.services.i18n import t
from app.services.itemcheck import check_item
from app.services.org import department_codes, ensure_departments, read_departments_file
from engine.definitions import (
    ProcessDefinition,
    UserTaskDef,
    content_version,
    parse_definition,
    read_process_files,
)
from engine.errors import EngineError
from engine.events import Meaning

REQUIRED_KEYS = ("code", "slug", "process_id", "name", "department", "kind", "limits", "materials")
KINDS = ("promised", "immediate")
INT_LIMITS = ("statutory_wd", "promised_wd")


@dataclass
class ItemCheck:
    slug: str
    ok: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    version: str | None = None


def read_item_yaml(folder: Path, departments: dict[str, str] | None = None) -> dict[str, Any]:
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
    problems = item_problems(item, departments)
    if problems:
        raise DomainError(f"{path}: " + "; ".join(problems), details=problems, code="item_invalid")
    return item


def _bilingual(value: Any, where: str) -> list[str]:
    """A display name must be exactly {zh, en} with non-empty strings (an unquoted comma breaks that)."""
    if not isinstance(value, dict) or set(value) != {"zh", "en"}:
        keys = sorted(map(str, value)) if isinstance(value, dict) else type(value).__name__
        return [f"{where} must have exactly the keys zh and en (got {keys}; quote names that contain commas)"]
    return [
        f"{where}.{lang} must be a non-empty string"
        for lang in ("zh", "en")
        if not isinstance(value[lang], str) or not value[lang].strip()
    ]


def item_problems(item: dict[str, Any], departments: dict[str, str] | None = None) -> list[str]:
    """What is wrong with an item.yaml's shape, each naming its key (empty: fine).

    ``departments`` maps department codes to their level (default: the organisation data file); the
    item's ``authority_level``, where given, must be its department's level.
    """
    out = _bilingual(item["name"], "name")
    for key in ("fees",):
        if key in item:
            out += _bilingual(item[key], key)
    if isinstance(item.get("result"), dict) and "name" in item["result"]:
        out += _bilingual(item["result"]["name"], "result.name")
    for key in ("materials", "special_procedures"):
        entries = item.get(key) or []
        if not isinstance(entries, list):
            out.append(f"{key} must be a list")
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry.get("code"):
                out.append(f"{key}[{i}] must be a mapping with a code")
                continue
            out += _bilingual(entry.get("name"), f"{key}[{i}].name")
    known = departments if departments is not None else _file_departments()
    if item["department"] not in known:
        out.append(f"department {item['department']!r} is not one of {', '.join(sorted(known))}")
    elif item.get("authority_level") and item["authority_level"] != known[item["department"]]:
        out.append(
            f"authority_level {item['authority_level']!r} is not the level of department "
            f"{item['department']!r} ({known[item['department']]})"
        )
    if item["kind"] not in KINDS:
        out.append(f"kind {item['kind']!r} is not one of {', '.join(KINDS)}")
    limits = item["limits"]
    if not isinstance(limits, dict):
        out.append("limits must be a mapping")
    else:
        for key in INT_LIMITS:
            value = limits.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                out.append(f"limits.{key} must be a whole number of working days (got {value!r})")
    return out


def version_of(definition: ProcessDefinition, forms: dict[str, Any]) -> str:
    """The process version: content hash of the BPMN/DMN files *and* the forms frozen with them."""
    canonical = {
        f"forms/{name}": json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        for name, doc in forms.items()
    }
    return content_version({**definition.files, **canonical})


# Steps outside the promised decision period: acceptance (its own 5-WD clock), the head's answer to an
# extension request (it extends the period), delivery (its own 10-WD clock).
OUTSIDE_DECISION = frozenset(
    {
        Meaning.ACCEPTED,
        Meaning.CORRECTION_REQUESTED,
        Meaning.REFUSED,
        Meaning.EXTENSION_APPROVED,
        Meaning.EXTENSION_REFUSED,
        Meaning.DELIVERED,
    }
)


def decision_steps(definition: ProcessDefinition) -> list[UserTaskDef]:
    """The user tasks that run inside the promised decision period, read from their declared meanings
    (special procedures do not count: Art. 45 pauses the period while they run)."""
    special = definition.special_processes()
    return [
        t
        for t in definition.user_tasks.values()
        if t.process_id not in special and not (t.meanings & OUTSIDE_DECISION)
    ]


def design_errors(item: dict[str, Any], definition: ProcessDefinition) -> list[str]:
    """Contradictions between the catalogue entry and the BPMN that make an item undeployable."""
    limits = item.get("limits") or {}
    code = item.get("code")
    out = []
    asks = sorted(t.id for t in definition.user_tasks.values() if Meaning.EXTENSION_REQUESTED in t.meanings)
    if asks and not int(limits.get("extension_max_wd") or 0):
        out.append(
            f"{code}: extension_max_wd is 0 (no extension: {limits.get('extension_basis') or 'see item.yaml'}) "
            f"but step(s) {', '.join(asks)} can request one"
        )
    if item.get("kind") == "immediate" and limits.get("acceptance_wd") not in (None, 0):
        out.append(f"{code}: a 即办件 is accepted and handled at once; acceptance_wd must be empty")
    return out


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
    steps = sum(t.time_limit_wd or 0 for t in decision_steps(definition))
    if item.get("kind") != "immediate" and promised and steps > promised:
        out.append(
            f"{code}: step limits on the main path add up to {steps} WD, more than the promised {promised} WD"
        )
    return out


def check_item_folder(
    folder: Path, forms_dir: Path, departments: dict[str, str] | None = None
) -> tuple[dict[str, Any], ProcessDefinition, dict[str, Any]]:
    item = read_item_yaml(folder, departments)
    forms = read_forms(forms_dir, item["slug"])
    files = read_process_files(folder)
    definition = parse_definition(item["slug"], item["process_id"], files, forms)
    errors = design_errors(item, definition)
    if errors:
        raise DomainError(f"{folder / 'item.yaml'}: " + "; ".join(errors), code="item_invalid")
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
        fields = check_item(item, department_codes())  # the designer's item form applies the same checks
        errors = [f"item.yaml {f.element_id}: {f.message}" for f in fields if f.severity == "error"]
        warnings = [str(w) for w in definition.warnings] + design_warnings(item, definition)
        warnings += [f"item.yaml {f.element_id}: {f.message}" for f in fields if f.severity == "warning"]
        results.append(ItemCheck(item["slug"], not errors, errors, warnings, version_of(definition, _forms)))
    return results


def _file_departments() -> dict[str, str]:
    return {d["code"]: d["level"] for d in read_departments_file()}


def _db_departments() -> dict[str, str]:
    return {d.code: d.level for d in org.departments()}


def deploy_item(folder: Path, forms_dir: Path, actor: Actor | None = None) -> tuple[ServiceItem, bool]:
    """Deploy one item folder; a new process version only when the BPMN or forms changed.

    Everything is checked before anything is written: an invalid folder raises and changes nothing.
    """
    ensure_departments()
    item_def, definition, forms = check_item_folder(folder, forms_dir, _db_departments())
    clash = Session.scalar(
        select(ServiceItem.slug).where(
            ServiceItem.code == str(item_def["code"]), ServiceItem.slug != item_def["slug"]
        )
    )
    if clash is not None:
        raise DomainError(
            f"{folder / 'item.yaml'}: code {item_def['code']} is already used by item {clash}",
            code="item_invalid",
        )
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
    version = version_of(definition, forms)
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
        ctx().processes.get_or_parse(item.slug, definition.process_id, definition.files, forms)
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


_DEFINITIONS_BY_VERSION: dict[str, ProcessDefinition] = {}


def definition_for(version: str) -> ProcessDefinition:
    """The parsed definition of a deployed version (versions are content hashes: immutable, cached).

    Versions that differ only in their forms share one parse: the engine caches by the BPMN files.
    """
    hit = _DEFINITIONS_BY_VERSION.get(version)
    if hit is not None:
        return hit
    row = Session.get(ProcessVersion, version)
    if row is None:
        raise NotFound(f"process version {version} not found")
    item = Session.get_one(ServiceItem, row.item_id)
    files = {k: v.encode("utf-8") for k, v in row.files.items()}
    definition = ctx().processes.get_or_parse(item.slug, row.process_id, files, row.forms)
    return _DEFINITIONS_BY_VERSION.setdefault(version, definition)


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
        raise NotFound(t("事项 %(code)s 不存在", code=code), code="item_not_found")
    return item


def item_versions(code: str) -> list[ProcessVersion]:
    """The deployed versions of an item, newest first (their content is frozen)."""
    item = get_item(code)
    return list(
        Session.scalars(
            select(ProcessVersion)
            .where(ProcessVersion.item_id == item.id)
            .order_by(ProcessVersion.deployed_at.desc())
        )
    )


def set_accepting(actor: Actor, code: str, accepting: Any) -> ServiceItem:
    """Open or close an item to new applications (running cases go on; the guide stays readable)."""
    if not actor.is_admin:
        raise Forbidden(t("仅管理员可维护事项目录"), code="admin_only")
    if not isinstance(accepting, bool):
        raise ValidationFailed(
            t("accepting 必须是 true 或 false"),
            [{"field": "accepting", "message": t("必须是 true 或 false")}],
        )
    item = get_item(code)
    if item.accepting != accepting:
        audit.record(
            actor,
            "catalogue.accepting",
            None,
            target=item.slug,
            before={"accepting": item.accepting},
            after={"accepting": accepting},
        )
        item.accepting = accepting
    Session.commit()
    return item


_STEP_NAMES: dict[str, dict[str, dict[str, str]]] = {}


def step_names(version: str) -> dict[str, dict[str, str]]:
    """Display names {zh, en} of every element of a process version people see: user tasks (the
    title of their form, else the BPMN name), call activities, events and lanes by role are not here
    (roles have their own labels). Cached per version (immutable)."""
    hit = _STEP_NAMES.get(version)
    if hit is not None:
        return hit
    definition = definition_for(version)
    forms = forms_for(version)
    out: dict[str, dict[str, str]] = {}
    for task in definition.user_tasks.values():
        title = (forms.get(task.form or "") or {}).get("title") or {}
        zh = task.name or title.get("zh") or task.id
        out[task.id] = {"zh": zh, "en": title.get("en") or zh}
    return _STEP_NAMES.setdefault(version, out)
