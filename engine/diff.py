"""What changed between two versions of a service item: BPMN elements, forms, limits.

Elements are matched by their id (the platform keys forms, task rows and scenarios by it); the diagram
interchange (BPMNDI: positions, waypoints) is layout and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DI_NAMESPACES = (
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
)
LIMIT_KEYS = (
    "statutory_wd",
    "promised_wd",
    "acceptance_wd",
    "delivery_wd",
    "extension_max_wd",
    "applicant_correction_wd",
    "statutory_basis",
    "promised_basis",
)


@dataclass(frozen=True, slots=True)
class ElementChange:
    id: str
    type: str
    name: str | None
    file: str
    changes: tuple[
        str, ...
    ] = ()  # e.g. "name: 审查 → 技术审查", "time_limit_wd: 2 → 3", "lane: clerk → reviewer"


@dataclass
class VersionDiff:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    forms_added: list[str] = field(default_factory=list)
    forms_removed: list[str] = field(default_factory=list)
    forms_changed: dict[str, list[str]] = field(default_factory=dict)  # form -> what changed
    limits_changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    item_changed: list[str] = field(default_factory=list)  # other catalogue fields

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.forms_added
            or self.forms_removed
            or self.forms_changed
            or self.limits_changed
            or self.item_changed
        )

    def as_dict(self) -> dict[str, Any]:
        def el(e: ElementChange) -> dict[str, Any]:
            return {"id": e.id, "type": e.type, "name": e.name, "file": e.file, "changes": list(e.changes)}

        return {
            "elements": {
                "added": [el(e) for e in self.added],
                "removed": [el(e) for e in self.removed],
                "changed": [el(e) for e in self.changed],
            },
            "forms": {
                "added": self.forms_added,
                "removed": self.forms_removed,
                "changed": self.forms_changed,
            },
            "limits": {k: {"from": a, "to": b} for k, (a, b) in self.limits_changed.items()},
            "item": self.item_changed,
        }


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _facts(el: Any, lanes: Mapping[str, str]) -> dict[str, str]:
    """What the platform cares about in one element, as comparable strings."""
    facts: dict[str, str] = {}
    for key, value in el.attrib.items():
        if key == "id":
            continue
        facts[_local(key) if _ns(key) in ("", BPMN_NS) else key] = value
    for prop in el.iter(f"{{{SPIFF_NS}}}property"):
        facts[prop.get("name") or "?"] = prop.get("value") or ""
    for child in el:
        if not isinstance(child.tag, str):
            continue
        local = _local(child.tag)
        if local in ("conditionExpression", "script", "timeDuration", "timeDate", "timeCycle"):
            facts[local] = (child.text or "").strip()
        elif local.endswith("EventDefinition"):
            facts["event"] = local
            for sub in child:
                if isinstance(sub.tag, str) and _local(sub.tag) in ("timeDuration", "timeDate", "timeCycle"):
                    facts[_local(sub.tag)] = (sub.text or "").strip()
            if child.get("messageRef"):
                facts["messageRef"] = child.get("messageRef")
    if el.get("id") in lanes:
        facts["lane"] = lanes[el.get("id")]
    return facts


def _elements(files: Mapping[str, bytes]) -> dict[str, tuple[str, str, str | None, dict[str, str]]]:
    """id -> (file, type, name, facts) for every identified BPMN element outside the diagram layout."""
    out: dict[str, tuple[str, str, str | None, dict[str, str]]] = {}
    for name, data in files.items():
        root = parse_xml(data, name).getroot()
        lanes = {}
        for lane in root.iter(f"{{{BPMN_NS}}}lane"):
            for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
                lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""
        for el in root.iter():
            if not isinstance(el.tag, str) or _ns(el.tag) in DI_NAMESPACES or el is root:
                continue
            ident = el.get("id")
            if not ident or ident in out:
                continue
            local = _local(el.tag)
            if local in ("laneSet", "definitions") or local.endswith("EventDefinition"):
                continue
            out[ident] = (name, local, el.get("name"), _facts(el, lanes))
    return out


def _describe(key: str, before: str | None, after: str | None) -> str:
    if before is None:
        return f"{key}: + {after}"
    if after is None:
        return f"{key}: − {before}"
    return f"{key}: {before} → {after}"


def _form_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    out = []
    old_schema, new_schema = old.get("schema") or {}, new.get("schema") or {}
    old_props, new_props = old_schema.get("properties") or {}, new_schema.get("properties") or {}
    for key in sorted(set(new_props) - set(old_props)):
        out.append(f"+ {key}")
    for key in sorted(set(old_props) - set(new_props)):
        out.append(f"− {key}")
    for key in sorted(set(old_props) & set(new_props)):
        if old_props[key] != new_props[key]:
            out.append(f"~ {key}")
    if set(old_schema.get("required") or []) != set(new_schema.get("required") or []):
        out.append("required: " + ", ".join(sorted(new_schema.get("required") or [])))
    rest_old = {k: v for k, v in old_schema.items() if k not in ("properties", "required")}
    rest_new = {k: v for k, v in new_schema.items() if k not in ("properties", "required")}
    if rest_old != rest_new:
        out.append("schema rules (allOf/if/then, …)")
    if old.get("ui") != new.get("ui"):
        out.append("ui")
    if old.get("title") != new.get("title"):
        out.append("title")
    return out or ["(formatting)"]


def diff_versions(
    old_files: Mapping[str, bytes],
    new_files: Mapping[str, bytes],
    old_forms: Mapping[str, Any] | None = None,
    new_forms: Mapping[str, Any] | None = None,
    old_item: Mapping[str, Any] | None = None,
    new_item: Mapping[str, Any] | None = None,
) -> VersionDiff:
    result = VersionDiff()
    old_el, new_el = _elements(old_files), _elements(new_files)
    for ident in sorted(set(new_el) - set(old_el)):
        file, typ, name, _ = new_el[ident]
        result.added.append(ElementChange(ident, typ, name, file))
    for ident in sorted(set(old_el) - set(new_el)):
        file, typ, name, _ = old_el[ident]
        result.removed.append(ElementChange(ident, typ, name, file))
    for ident in sorted(set(old_el) & set(new_el)):
        ofile, otyp, oname, ofacts = old_el[ident]
        nfile, ntyp, nname, nfacts = new_el[ident]
        changes = []
        if otyp != ntyp:
            changes.append(_describe("type", otyp, ntyp))
        for key in sorted(set(ofacts) | set(nfacts)):
            if ofacts.get(key) != nfacts.get(key):
                changes.append(_describe(key, ofacts.get(key), nfacts.get(key)))
        if changes:
            result.changed.append(ElementChange(ident, ntyp, nname, nfile, tuple(changes)))
    old_forms, new_forms = old_forms or {}, new_forms or {}
    result.forms_added = sorted(set(new_forms) - set(old_forms))
    result.forms_removed = sorted(set(old_forms) - set(new_forms))
    for name in sorted(set(old_forms) & set(new_forms)):
        if old_forms[name] != new_forms[name]:
            result.forms_changed[name] = _form_changes(old_forms[name], new_forms[name])
    old_item, new_item = old_item or {}, new_item or {}
    old_limits, new_limits = old_item.get("limits") or {}, new_item.get("limits") or {}
    for key in sorted(set(old_limits) | set(new_limits), key=lambda k: (k not in LIMIT_KEYS, k)):
        if old_limits.get(key) != new_limits.get(key):
            result.limits_changed[key] = (old_limits.get(key), new_limits.get(key))
    for key in sorted(set(old_item) | set(new_item)):
        if key != "limits" and old_item.get(key) != new_item.get(key):
            result.item_changed.append(key)
    return result
