"""Validate an uploaded set of BPMN/DMN files without raising: every finding at its file, element, line.

``parse_definition`` stops at the first error it meets; the designer needs all of them, on in-memory
files, and must never crash on a model from another modeller. Stages, in order, each only on what the
stage before let through:

1. XML safety and syntax (``engine.xmlsafe``): DOCTYPE/entities refused, malformed XML located.
2. XSD: BPMN 2.0 (+ spiffworkflow extensions) and DMN 1.1–1.3 schemas, every error with its line.
3. SpiffWorkflow: the parser builds the specs of each top-level process.
4. Platform lint (``engine.lint`` through ``parse_definition``): lanes, forms, scripts, timers, properties.
5. DMN: every decision table parses and every cell passes the sandbox check.

The legal checks (limits against item.yaml) need the catalogue entry and live in the service layer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.camunda import map_camunda, uses_camunda
from engine.definitions import KNOWN_ROLES, ProcessDefinition, parse_definition
from engine.dmn_check import application_fields, case_data_names, check_dmn
from engine.errors import BpmnValidationError, EngineError
from engine.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass(frozen=True, slots=True)
class Finding:
    message: str
    file: str | None = None
    element_id: str | None = None
    line: int | None = None
    severity: str = "error"  # error | warning
    stage: str = "lint"  # xml | xsd | spiff | lint | dmn | camunda | form | item | legal

    def as_dict(self) -> dict[str, Any]:
        return {
            "element_id": self.element_id,
            "message": self.message,
            "line": self.line,
            "file": self.file,
            "stage": self.stage,
        }


@dataclass
class BundleResult:
    """What validating the process files gave: findings, and the definition when it could be built."""

    findings: list[Finding] = field(default_factory=list)
    definitions: dict[str, ProcessDefinition] = field(default_factory=dict)  # process id -> definition
    process_ids: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # as validated (after the Camunda mapping)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def _element_at_line(root: Any, line: int | None) -> str | None:
    """The id of the innermost element that starts on ``line`` (or its nearest ancestor with an id)."""
    if not line:
        return None
    best = None
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.sourceline == line:
            best = el
        elif el.sourceline and el.sourceline > line:
            break
    while best is not None and not best.get("id"):
        best = best.getparent()
    return best.get("id") if best is not None else None


def _xsd_findings(validator: Any, root: Any, filename: str) -> list[Finding]:
    tree = copy.deepcopy(root)
    validator.preprocess(tree)
    schema = validator.validator
    if schema.validate(tree):
        return []
    out = []
    seen = set()
    for entry in schema.error_log:
        key = (entry.line, entry.message)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Finding(
                f"XSD: {entry.message}",
                file=filename,
                element_id=_element_at_line(root, entry.line),
                line=entry.line or None,
                stage="xsd",
            )
        )
    return out[:50]


_DMN_VALIDATORS: dict[str, BpmnValidator] = {}


def _dmn_validator(namespace: str | None) -> BpmnValidator | None:
    schema = DMN_SCHEMAS.get(namespace or "")
    if schema is None:
        return None
    if schema not in _DMN_VALIDATORS:
        _DMN_VALIDATORS[schema] = BpmnValidator(schema)
    return _DMN_VALIDATORS[schema]


def top_level_processes(trees: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(executable, not executable) processes that no call activity of the bundle calls."""
    ns = {"bpmn": BPMN_NS}
    called: set[str | None] = set()
    processes: list[tuple[bool, str]] = []
    for name, root in trees.items():
        if name.endswith(".dmn"):
            continue
        called.update(ca.get("calledElement") for ca in root.xpath(".//bpmn:callActivity", namespaces=ns))
        for proc in root.xpath(".//bpmn:process", namespaces=ns):
            processes.append((proc.get("isExecutable") == "true", proc.get("id")))
    top = [(ex, pid) for ex, pid in processes if pid and pid not in called]
    return [pid for ex, pid in top if ex], [pid for ex, pid in top if not ex]


def _element_index(trees: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for name, root in trees.items():
        for el in root.iter():
            ident = el.get("id") if isinstance(el.tag, str) else None
            if ident and ident not in index:
                index[ident] = (name, el.sourceline)
    return index


def _located(findings: list[Finding], index: Mapping[str, tuple[str, int]]) -> list[Finding]:
    out = []
    for f in findings:
        if f.element_id is not None and f.element_id in index and (f.line is None or f.file is None):
            file, line = index[f.element_id]
            f = Finding(f.message, f.file or file, f.element_id, f.line or line, f.severity, f.stage)
        out.append(f)
    return out


def _spiff_finding(exc: ValidationException, fallback_file: str | None) -> Finding:
    message = str(getattr(exc, "error", None) or exc).strip().splitlines()[0]
    return Finding(
        message,
        file=getattr(exc, "file_name", None) or fallback_file,
        element_id=getattr(exc, "id", None) or None,
        line=getattr(exc, "line_number", None) or None,
        stage="spiff",
    )


def build_definition(
    slug: str,
    process_id: str,
    files: Mapping[str, bytes],
    forms: Mapping[str, Any],
    roles: Iterable[str] = KNOWN_ROLES,
    strict: bool = False,
) -> ProcessDefinition:
    """``parse_definition`` with the forms themselves, so the lint checks the case-event declarations."""
    return parse_definition(slug, process_id, files, dict(forms), roles=roles, strict=strict)


def _dmn_findings(trees: Mapping[str, Any], forms: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    parser = SpiffBpmnParser()  # no validator: the XSD stage ran already
    for name, root in trees.items():
        if not name.endswith(".dmn"):
            continue
        try:
            parser.add_dmn_xml(root, filename=name)
        except ValidationException as exc:
            out.append(_spiff_finding(exc, name))
            continue
        except Exception as exc:  # noqa: BLE001 - a broken table must be a finding, not a crash
            out.append(Finding(f"DMN: {exc}", file=name, stage="dmn"))
            continue
    for decision_id, dmn_parser in parser.dmn_parsers.items():
        try:
            dmn_parser.parse()
        except ValidationException as exc:
            out.append(_spiff_finding(exc, dmn_parser.filename))
        except Exception as exc:  # noqa: BLE001
            out.append(Finding(f"DMN: {exc}", file=dmn_parser.filename, element_id=decision_id, stage="dmn"))
    # the names a cell may use are known only with the item's forms (a DMN file alone: FEEL names only)
    bpmn_roots = [root for name, root in trees.items() if not name.endswith(".dmn")]
    known = case_data_names(forms, bpmn_roots) if forms else None
    fields = application_fields(forms) if forms else None
    for name, root in trees.items():
        if name.endswith(".dmn"):
            out.extend(
                Finding(p.message, name, p.element_id, p.line, severity=p.severity, stage="dmn")
                for p in check_dmn(root, known, fields)
            )
    return out


def validate_bundle(
    slug: str | None,
    process_id: str | None,
    files: Mapping[str, bytes],
    forms: Mapping[str, Any],
    roles: Iterable[str] = KNOWN_ROLES,
) -> BundleResult:
    """Validate BPMN/DMN files (name -> bytes). Never raises for anything in the files."""
    result = BundleResult()
    trees: dict[str, Any] = {}
    for name, data in files.items():
        try:
            trees[name] = parse_xml(data, name).getroot()
        except EngineError as exc:
            result.findings.append(Finding(exc.message, file=name, line=exc.line, stage="xml"))
    if len(trees) < len(files):
        return result
    if any(uses_camunda(data) for data in files.values()):
        files, notes = map_camunda(files, roles)
        trees = {name: parse_xml(data, name).getroot() for name, data in files.items()}
        for n in notes:
            prefix = "已映射 / mapped" if n.mapped else "未映射 / not mapped"
            result.findings.append(
                Finding(
                    f"camunda:{n.attribute}={n.value!r} {prefix}: {n.message}",
                    file=n.file,
                    element_id=n.element_id,
                    line=n.line,
                    severity="warning",
                    stage="camunda",
                )
            )
    result.files = dict(files)
    for name, root in trees.items():
        if name.endswith(".dmn"):
            validator = _dmn_validator(root.nsmap.get(None) or root.nsmap.get("dmn"))
            if validator is None:
                result.findings.append(
                    Finding(f"not a DMN 1.1–1.3 document (namespace {root.tag})", file=name, stage="xsd")
                )
                continue
        else:
            validator = VALIDATOR
        result.findings.extend(_xsd_findings(validator, root, name))
    if result.errors:
        return result
    result.findings.extend(_dmn_findings(trees, forms))
    bpmn_files = {n: d for n, d in files.items() if not n.endswith(".dmn")}
    if not bpmn_files:
        result.findings = _located(result.findings, _element_index(trees))
        return result
    if process_id:
        result.process_ids = [process_id]
    else:
        executable, other = top_level_processes(trees)
        result.process_ids = executable
        if not executable:
            for pid in other:
                result.findings.append(
                    Finding(
                        f"process {pid!r} is not executable (isExecutable is not true); "
                        "the platform runs executable processes only",
                        element_id=pid,
                        stage="spiff",
                    )
                )
            if not other:
                result.findings.append(Finding("no process in the BPMN files", stage="spiff"))
            result.findings = _located(result.findings, _element_index(trees))
            return result
    for pid in result.process_ids:
        try:
            definition = build_definition(slug or pid, pid, files, forms, roles, strict=False)
        except BpmnValidationError as exc:
            before = len(result.findings)
            _add_definition_error(result, exc, files)
            result.findings[before:] = [_anchor(f, pid, trees) for f in result.findings[before:]]
            continue
        except EngineError as exc:
            result.findings.append(
                _anchor(
                    Finding(exc.message, element_id=exc.element, line=exc.line, stage="spiff"), pid, trees
                )
            )
            continue
        except Exception as exc:  # noqa: BLE001 - a model Spiff cannot handle is a finding, never a 500
            result.findings.append(
                Finding(f"SpiffWorkflow cannot build process {pid!r}: {exc}", element_id=pid, stage="spiff")
            )
            continue
        result.definitions[pid] = definition
        for p in definition.warnings:
            if p.file and p.file.endswith(".dmn"):
                continue  # the DMN stage above reported these already
            result.findings.append(
                Finding(
                    p.message,
                    file=p.file,
                    element_id=p.element,
                    line=p.line,
                    severity=p.severity,
                    stage="lint",
                )
            )
    result.findings = _located(result.findings, _element_index(trees))
    return result


def _add_definition_error(result: BundleResult, exc: BpmnValidationError, files: Mapping[str, bytes]) -> None:
    if exc.problems:
        for element, line, msg in exc.problems:
            result.findings.append(Finding(msg, element_id=element, line=line, stage="spiff"))
        return
    file, sep, message = exc.message.partition(": ")
    if not sep or file not in files:
        file, message = "", exc.message
    result.findings.append(
        Finding(message, file=file or None, element_id=exc.element, line=exc.line, stage="spiff")
    )


_NAMED = re.compile(r"with name (.+?) has no implementation")


def _anchor(finding: Finding, process_id: str, trees: Mapping[str, Any]) -> Finding:
    """Give an element-less Spiff message the element it is about (by name), else the process."""
    if finding.element_id:
        return finding
    element = process_id
    match = _NAMED.search(finding.message)
    if match:
        for root in trees.values():
            hit = next(
                (
                    el
                    for el in root.iter()
                    if isinstance(el.tag, str) and el.get("name") == match.group(1) and el.get("id")
                ),
                None,
            )
            if hit is not None:
                element = hit.get("id")
                break
    return Finding(finding.message, finding.file, element, finding.line, finding.severity, finding.stage)


def xml_tree(data: bytes, name: str) -> Any:
    """A safely parsed root element (for callers that inspect the XML further)."""
    return parse_xml(data, name).getroot()


__all__ = [
    "BundleResult",
    "Finding",
    "build_definition",
    "top_level_processes",
    "validate_bundle",
    "xml_tree",
]
