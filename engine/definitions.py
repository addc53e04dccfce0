"""Deployed process versions: load a service item's BPMN once, validate it, lint it, cache it.

A process version is identified by the content hash of its BPMN files, so two cases started on
the same files share one parsed spec, and a case keeps running on the version it started with.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.dmn_check import application_fields, case_data_names, check_dmn
from engine.errors import BpmnValidationError, EngineError
from engine.events import PROP_SPECIAL, Meaning, task_meanings
from engine.lint import Problem, lint_specs
from engine.vocab import Role
from engine.xmlsafe import parse_xml

KNOWN_ROLES = frozenset(r.value for r in Role)


@dataclass(frozen=True, slots=True)
class UserTaskDef:
    """What the platform needs to know about one user task of a process version."""

    id: str
    name: str
    lane: str | None
    process_id: str
    properties: Mapping[str, str]
    form: str | None  # form file name relative to the item's form folder, e.g. "accept.json"

    @property
    def time_limit_wd(self) -> int | None:
        raw = self.properties.get("time_limit_wd")
        return int(raw) if raw not in (None, "") else None

    @property
    def special_procedure(self) -> str | None:
        return self.properties.get(PROP_SPECIAL) or None

    @property
    def meanings(self) -> set[Meaning]:
        """Every case-event meaning this task can have (docs/CASE-EVENTS.md)."""
        return task_meanings(self.properties)


@dataclass(frozen=True)
class ProcessDefinition:
    """One parsed, validated process version. Holds Spiff specs; never leaves engine/ as such."""

    slug: str
    process_id: str
    version: str
    files: Mapping[str, bytes]
    spec: Any = field(repr=False)
    subprocess_specs: Mapping[str, Any] = field(repr=False)
    user_tasks: Mapping[str, UserTaskDef]
    call_activities: Mapping[str, Mapping[str, str]]  # id -> properties (special procedures)
    warnings: tuple[Problem, ...] = ()
    called: Mapping[str, str] = field(default_factory=dict)  # call activity id -> called process id

    def special_processes(self) -> frozenset[str]:
        """Process ids run as Art. 45 special procedures (called by a call activity marked so)."""
        return frozenset(
            self.called[ca]
            for ca, props in self.call_activities.items()
            if props.get(PROP_SPECIAL) and ca in self.called
        )

    element_names: Mapping[str, str] = field(default_factory=dict)  # id -> name of every named element

    def bpmn_xml(self) -> str:
        """The main diagram (for the viewer)."""
        main = f"{self.slug}.bpmn"
        data = self.files.get(main) or next(iter(self.files.values()))
        return data.decode("utf-8")


def content_version(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name])
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def read_process_files(folder: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.bpmn"))}
    files.update({p.name: p.read_bytes() for p in sorted(folder.glob("*.dmn"))})
    if not files:
        raise BpmnValidationError(f"no .bpmn file in {folder}", element=str(folder))
    return files


def _raise_validation(exc: ValidationException, filename: str | None) -> None:
    file = getattr(exc, "file_name", None) or filename
    message = str(getattr(exc, "error", None) or exc).strip().splitlines()[0]
    raise BpmnValidationError(
        f"{file}: {message}" if file else message,
        element=getattr(exc, "id", None) or getattr(exc, "tag", None),
        line=getattr(exc, "line_number", None) or None,
    ) from exc


def _element_index(trees: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    """id -> (file, line), to point lint findings at the source."""
    index: dict[str, tuple[str, int]] = {}
    for name, tree in trees.items():
        for el in tree.iter():
            ident = el.get("id") if hasattr(el, "get") else None
            if ident and ident not in index:
                index[ident] = (name, el.sourceline)
    return index


def _dmn_problems(trees: Mapping[str, Any], forms: Mapping[str, Any] | Iterable[str]) -> list[Problem]:
    """The decision tables' cells and columns (engine.dmn_check), so the CLI's deploy refuses a bad table
    as the designer does; the names a cell may use are checked when the forms themselves are given."""
    form_map = forms if isinstance(forms, Mapping) and forms else None
    bpmn_roots = [tree for name, tree in trees.items() if not name.endswith(".dmn")]
    known = case_data_names(form_map, bpmn_roots) if form_map else None
    fields = application_fields(form_map) if form_map else None
    return [
        Problem(p.element_id or name, p.message, severity=p.severity, line=p.line, file=name)
        for name, tree in trees.items()
        if name.endswith(".dmn")
        for p in check_dmn(tree, known, fields)
    ]


def parse_definition(
    slug: str,
    process_id: str,
    files: Mapping[str, bytes],
    forms: Mapping[str, Any] | Iterable[str] = (),
    roles: Iterable[str] = KNOWN_ROLES,
    strict: bool = True,
) -> ProcessDefinition:
    """Parse and validate the BPMN of one item. Raises BpmnValidationError listing every problem.

    ``forms`` maps the item's form file names (``accept.json`` …) to their JSON, or just lists the
    names; the lint checks that every user task has one and, given the JSON, that its case-event
    declarations fit the form. ``strict`` turns lint errors into an exception (deploy); with
    ``strict=False`` they come back as warnings (designer preview).
    """
    parser = SpiffBpmnParser(validator=VALIDATOR)
    trees = {}
    for name, data in files.items():
        tree = parse_xml(data, name).getroot()
        trees[name] = tree
        try:
            if name.endswith(".dmn"):
                parser.add_dmn_xml(tree, filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            _raise_validation(exc, name)
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        _raise_validation(exc, None)
    except (KeyError, ValueError) as exc:
        raise BpmnValidationError(
            f"process '{process_id}' not found or incomplete: {exc}", element=process_id
        ) from exc
    except Exception as exc:  # Spiff raises a bare Exception('Invalid duration') for bad timers
        raise BpmnValidationError(
            f"process '{process_id}' cannot be built: {exc}", element=process_id
        ) from exc

    all_specs = [spec, *subprocess_specs.values()]
    index = _element_index(trees)
    problems = [
        replace(p, file=index[p.element][0], line=index[p.element][1]) if p.element in index else p
        for p in lint_specs(all_specs, forms if isinstance(forms, Mapping) else set(forms), set(roles))
    ]
    problems += _dmn_problems(trees, forms)
    errors = [p for p in problems if p.severity == "error"]
    if errors and strict:
        raise BpmnValidationError(
            "; ".join(str(p) for p in errors),
            element=errors[0].element,
            line=errors[0].line,
            problems=[(p.element, p.line, p.message) for p in errors],
        )

    user_tasks: dict[str, UserTaskDef] = {}
    call_activities: dict[str, Mapping[str, str]] = {}
    called: dict[str, str] = {}
    names: dict[str, str] = {}
    for proc in all_specs:
        for ts in proc.task_specs.values():
            if getattr(ts, "bpmn_id", None) and getattr(ts, "bpmn_name", None):
                names.setdefault(ts.bpmn_id, ts.bpmn_name)
            props = dict(ts.extensions.get("properties", {}) or {}) if hasattr(ts, "extensions") else {}
            if isinstance(ts, UserTaskMixin):
                user_tasks[ts.bpmn_id] = UserTaskDef(
                    id=ts.bpmn_id,
                    name=ts.bpmn_name or ts.bpmn_id,
                    lane=ts.lane,
                    process_id=proc.name,
                    properties=props,
                    form=f"{ts.bpmn_id}.json",
                )
            elif type(ts).__name__ in ("CallActivity", "SubWorkflowTask", "TransactionSubprocess"):
                call_activities[ts.bpmn_id] = props
                if isinstance(getattr(ts, "spec", None), str):
                    called[ts.bpmn_id] = ts.spec
    return ProcessDefinition(
        slug=slug,
        process_id=process_id,
        version=content_version(files),
        files=dict(files),
        spec=spec,
        subprocess_specs=subprocess_specs,
        user_tasks=user_tasks,
        call_activities=call_activities,
        warnings=tuple(problems),
        called=called,
        element_names=names,
    )


class ProcessCache:
    """Parse each process version once. Thread-safe; keyed by (slug, content hash)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_version: dict[str, ProcessDefinition] = {}

    def get_or_parse(
        self,
        slug: str,
        process_id: str,
        files: Mapping[str, bytes],
        forms: Mapping[str, Any] | Iterable[str] = (),
    ) -> ProcessDefinition:
        version = content_version(files)
        with self._lock:
            hit = self._by_version.get(version)
        if hit is not None:
            return hit
        definition = parse_definition(slug, process_id, files, forms)
        with self._lock:
            return self._by_version.setdefault(version, definition)

    def get(self, version: str) -> ProcessDefinition | None:
        with self._lock:
            return self._by_version.get(version)

    def __len__(self) -> int:
        return len(self._by_version)


__all__ = [
    "EngineError",
    "KNOWN_ROLES",
    "ProcessCache",
    "ProcessDefinition",
    "UserTaskDef",
    "content_version",
    "parse_definition",
    "read_process_files",
]
