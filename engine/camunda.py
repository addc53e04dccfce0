"""Camunda Modeler files: map ``camunda:*`` user-task attributes onto the platform's own vocabulary.

SpiffWorkflow ignores ``camunda:candidateGroups`` and ``camunda:assignee``; the platform routes a task
by its lane (the lane's name is the role) and keys its form by the task id. What can be carried over
is rewritten in the XML, what cannot is reported, element by element:

- ``camunda:candidateGroups`` naming one known role → the task is put in a lane of that name (a lane is
  added to the process when none exists; a task already in another lane is reported, never moved).
- ``camunda:assignee`` → reported: tasks go to a role's shared inbox, never to a named person.
- ``camunda:dueDate`` / ``camunda:dueDate`` as an ISO 8601 duration of whole days (``P5D``) →
  ``time_limit_wd`` (the days are taken as working days, reported as a warning); an expression or a
  date is reported.
- ``camunda:formKey`` → the form of a task is always ``<task id>.json``: a key that names the task's
  own id is accepted, any other key is reported with the file name the form must have.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

from engine.definitions import KNOWN_ROLES
from engine.xmlsafe import parse_xml

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"  # Camunda 7 still reads its predecessor's namespace
NAMESPACES = (CAMUNDA_NS, ACTIVITI_NS)
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ATTRIBUTES = ("candidateGroups", "candidateUsers", "assignee", "dueDate", "followUpDate", "formKey")
_DAYS = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?$")


@dataclass(frozen=True, slots=True)
class MappingNote:
    file: str
    element_id: str
    attribute: str
    value: str
    mapped: bool  # True: carried over into the platform's properties; False: reported only
    message: str
    line: int | None = None


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def uses_camunda(data: bytes) -> bool:
    return any(ns.encode() in data for ns in NAMESPACES)


def _attr(task: etree._Element, name: str) -> str | None:
    for ns in NAMESPACES:
        value = task.get(_q(ns, name))
        if value is not None:
            return value
    return None


def _form_base(key: str) -> str:
    """``embedded:app:forms/accept.html`` / ``camunda-forms:bpmn:accept`` / ``accept.json`` → ``accept``."""
    tail = re.split(r"[:/]", key.strip())[-1]
    return re.sub(r"\.[A-Za-z0-9]+$", "", tail)


def _properties(task: etree._Element) -> etree._Element:
    ext = task.find(_q(BPMN_NS, "extensionElements"))
    if ext is None:
        ext = etree.Element(_q(BPMN_NS, "extensionElements"))
        docs = task.findall(_q(BPMN_NS, "documentation"))
        task.insert(len(docs), ext)
    props = ext.find(_q(SPIFF_NS, "properties"))
    if props is None:
        props = etree.SubElement(ext, _q(SPIFF_NS, "properties"))
    return props


def _set_property(task: etree._Element, name: str, value: str) -> bool:
    props = _properties(task)
    for prop in props.findall(_q(SPIFF_NS, "property")):
        if prop.get("name") == name:
            return False  # the platform's own property wins over the Camunda attribute
    etree.SubElement(props, _q(SPIFF_NS, "property"), name=name, value=value)
    return True


def _lane_of(process: etree._Element, element_id: str) -> etree._Element | None:
    for ref in process.iter(_q(BPMN_NS, "flowNodeRef")):
        if (ref.text or "").strip() == element_id:
            return ref.getparent()
    return None


def _lane_named(process: etree._Element, role: str) -> etree._Element:
    for lane in process.iter(_q(BPMN_NS, "lane")):
        if lane.get("name") == role:
            return lane
    lane_set = process.find(_q(BPMN_NS, "laneSet"))
    if lane_set is None:
        lane_set = etree.Element(_q(BPMN_NS, "laneSet"), id=f"laneset_{process.get('id')}")
        docs = [
            c for c in process if c.tag in (_q(BPMN_NS, "documentation"), _q(BPMN_NS, "extensionElements"))
        ]
        process.insert(len(docs), lane_set)
    return etree.SubElement(lane_set, _q(BPMN_NS, "lane"), id=f"lane_{role}", name=role)


def _map_task(file: str, process: etree._Element, task: etree._Element, roles: set[str]) -> list[MappingNote]:
    ident = task.get("id") or ""
    line = task.sourceline
    notes: list[MappingNote] = []

    def note(attribute: str, value: str, mapped: bool, message: str) -> None:
        notes.append(MappingNote(file, ident, attribute, value, mapped, message, line))

    groups = _attr(task, "candidateGroups")
    if groups is not None:
        names = [g.strip() for g in groups.split(",") if g.strip()]
        known = [g for g in names if g in roles]
        current = _lane_of(process, ident)
        if len(names) == 1 and known:
            role = known[0]
            if current is None:
                ref = etree.SubElement(_lane_named(process, role), _q(BPMN_NS, "flowNodeRef"))
                ref.text = ident
                note("candidateGroups", groups, True, f"task put in lane {role!r} (the lane names the role)")
            elif current.get("name") == role:
                note("candidateGroups", groups, True, f"task already in lane {role!r}")
            else:
                note(
                    "candidateGroups",
                    groups,
                    False,
                    f"candidate group {role!r} differs from the task's lane {current.get('name')!r}; "
                    "the lane decides — move the task or change the group",
                )
        else:
            note(
                "candidateGroups",
                groups,
                False,
                "not one known role "
                f"({', '.join(sorted(roles))}): put the task in a lane named after the role that does it",
            )
    for attribute in ("assignee", "candidateUsers"):
        value = _attr(task, attribute)
        if value is not None:
            note(
                attribute,
                value,
                False,
                "tasks go to the shared inbox of the lane's role, never to a named person; "
                "the assignee is whoever claims the task",
            )
    due = _attr(task, "dueDate")
    if due is not None:
        match = _DAYS.match(due.strip())
        if match and (match.group(1) or match.group(2)):
            days = int(match.group(1) or 0) * 5 + int(match.group(2) or 0)
            if _set_property(task, "time_limit_wd", str(days)):
                note(
                    "dueDate",
                    due,
                    True,
                    f"step limit time_limit_wd={days}: the duration's days are taken as working days "
                    "(a week as 5) — check it against the law",
                )
            else:
                note(
                    "dueDate",
                    due,
                    False,
                    "the task already has time_limit_wd; the Camunda due date is ignored",
                )
        else:
            note(
                "dueDate",
                due,
                False,
                "only a duration of whole days (P5D, P2W) can become a step limit in working days; "
                "set time_limit_wd instead",
            )
    follow = _attr(task, "followUpDate")
    if follow is not None:
        note("followUpDate", follow, False, "no follow-up dates: yellow lights come from yellow_remaining_wd")
    key = _attr(task, "formKey")
    if key is not None:
        base = _form_base(key)
        if base == ident:
            note("formKey", key, True, f"form {ident}.json")
        else:
            note(
                "formKey",
                key,
                False,
                f"the form of a task is keyed by its id: name the form {ident}.json "
                f"(or rename the task to {base!r})",
            )
    return notes


def map_camunda(
    files: Mapping[str, bytes], roles: Iterable[str] = KNOWN_ROLES
) -> tuple[dict[str, bytes], list[MappingNote]]:
    """Rewrite Camunda user-task attributes into lanes and ``spiffworkflow:properties``.

    Files without the Camunda namespace come back unchanged. Raises the xmlsafe errors for unsafe or
    malformed XML (the caller validates first or reports them).
    """
    out: dict[str, bytes] = {}
    notes: list[MappingNote] = []
    role_set = set(roles)
    for name, data in files.items():
        if name.endswith(".dmn") or not uses_camunda(data):
            out[name] = data
            continue
        root = parse_xml(data, name).getroot()
        if "spiffworkflow" not in (root.nsmap or {}):
            root = _with_spiff_namespace(root)
        file_notes: list[MappingNote] = []
        for process in root.iter(_q(BPMN_NS, "process")):
            for task in process.iter(_q(BPMN_NS, "userTask")):
                if any(_attr(task, a) is not None for a in ATTRIBUTES):
                    file_notes.extend(_map_task(name, process, task, role_set))
        notes.extend(file_notes)
        if any(n.mapped for n in file_notes):
            out[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        else:
            out[name] = data
    return out, notes


def _with_spiff_namespace(root: etree._Element) -> etree._Element:
    """lxml cannot add a prefix to an existing element: copy the root with the namespace declared."""
    nsmap = dict(root.nsmap)
    nsmap["spiffworkflow"] = SPIFF_NS
    new_root = etree.Element(root.tag, nsmap=nsmap, attrib=dict(root.attrib))
    new_root.text = root.text
    for child in root:
        new_root.append(child)
    return new_root
