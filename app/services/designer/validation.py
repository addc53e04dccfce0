"""Validate a bundle as the designer and the API see it: XSD, SpiffWorkflow, platform lint, forms,
item.yaml fields and the legal limit checks, every message with file, element and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.services import org
from app.services.catalogue import design_warnings
from app.services.designer.bundle import Bundle
from app.services.designer.formcheck import check_form
from app.services.itemcheck import check_item
from engine.definitions import ProcessDefinition
from engine.validation import BundleResult, Finding, validate_bundle


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    definition: ProcessDefinition | None = None
    result: BundleResult | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "errors": [f.as_dict() for f in self.errors],
            "warnings": [f.as_dict() for f in self.warnings],
        }


def known_departments() -> set[str]:
    return org.department_codes()


def validate(bundle: Bundle, require_item: bool = False) -> Report:
    """Everything that can be checked without the database's cases. Never raises for file content."""
    report = Report(findings=list(bundle.findings))
    item = bundle.item
    if item is not None:
        report.findings.extend(check_item(item, known_departments()))
    elif require_item:
        report.findings.append(Finding("item.yaml is missing", file="item.yaml", stage="item"))
    for name, form in sorted(bundle.forms.items()):
        report.findings.extend(check_form(name, form))
    if not bundle.files:
        if require_item or not bundle.forms and item is None:
            report.findings.append(Finding("no BPMN file", stage="upload"))
        return report
    result = validate_bundle(bundle.slug, bundle.process_id, bundle.files, bundle.forms)
    report.result = result
    report.findings.extend(result.findings)
    definition = result.definitions.get(bundle.process_id or "") or next(
        iter(result.definitions.values()), None
    )
    report.definition = definition
    if definition is not None and item is not None and isinstance(item.get("limits"), dict):
        try:
            legal = design_warnings(item, definition)
        except (TypeError, ValueError):
            legal = []  # malformed limits: the item check reported them at their fields
        for message in legal:
            if "promised limit" in message:
                continue  # the item check reports promised vs statutory at limits.promised_wd
            report.findings.append(
                Finding(
                    message,
                    file="item.yaml",
                    element_id=definition.process_id,
                    severity="warning",
                    stage="legal",
                )
            )
        _check_specials_declared(item, definition, report)
    return report


def _check_specials_declared(item: dict[str, Any], definition: ProcessDefinition, report: Report) -> None:
    declared = {sp.get("code") for sp in item.get("special_procedures") or [] if isinstance(sp, dict)}
    for element, props in definition.call_activities.items():
        code = props.get("special_procedure")
        if code and code not in declared:
            report.findings.append(
                Finding(
                    f"special procedure {code!r} is not declared in item.yaml special_procedures "
                    "(the applicant's guide and the procedure's limit come from there)",
                    element_id=element,
                    severity="warning",
                    stage="legal",
                )
            )
