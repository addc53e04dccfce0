"""Validation of in-memory BPMN/DMN files: every finding at its file, element and line; never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.definitions import read_process_files
from engine.validation import validate_bundle
from tests.designer.bpmn_edit import insert_user_task, set_property

ROOT = Path(__file__).resolve().parents[2]
MIWG = sorted((ROOT / "tests" / "data" / "miwg").glob("*/*.bpmn"))
SLUG = "road_freight_permit"
MAIN = f"{SLUG}.bpmn"


def real_item(slug: str = SLUG):
    files = read_process_files(ROOT / "processes" / slug)
    forms = {p.name: json.loads(p.read_text()) for p in (ROOT / "forms" / slug).glob("*.json")}
    return files, forms


@pytest.mark.parametrize("slug", ["eia_report_form", "hazardous_waste_licence", "road_cert_reissue", SLUG])
def test_real_items_validate_clean(slug):
    files, forms = real_item(slug)
    result = validate_bundle(slug, slug, files, forms)
    assert result.errors == [] and slug in result.definitions


def test_added_task_without_lane_or_form_is_reported_at_the_element_with_its_line():
    files, forms = real_item()
    changed = {MAIN: insert_user_task(files[MAIN], "flow_review_decide", "expert_review", "专家评审", None)}
    result = validate_bundle(SLUG, SLUG, changed, forms)
    on_task = [f for f in result.errors if f.element_id == "expert_review"]
    messages = " | ".join(f.message for f in on_task)
    assert "not in a lane" in messages and "expert_review.json" in messages
    line = (
        changed[MAIN]
        .decode()
        .splitlines()
        .index(next(ln for ln in changed[MAIN].decode().splitlines() if 'id="expert_review"' in ln))
    )
    assert {f.line for f in on_task} == {line + 1} and {f.file for f in on_task} == {MAIN}


def test_malformed_xml_names_the_file_and_line():
    files, forms = real_item()
    broken = files[MAIN].replace(b"</bpmn:process>", b"</bpmn:proces>", 1)
    (error,) = validate_bundle(SLUG, SLUG, {MAIN: broken}, forms).errors
    assert error.file == MAIN and error.stage == "xml" and error.line > 100


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
    ],
    ids=["xxe", "entity-bomb"],
)
def test_xxe_and_entity_bombs_are_errors_not_parsed(doctype):
    files, forms = real_item()
    data = files[MAIN].replace(b"?>\n", b"?>\n" + doctype + b"\n", 1)
    (error,) = validate_bundle(SLUG, SLUG, {MAIN: data}, forms).errors
    assert error.stage == "xml" and "DOCTYPE" in error.message and error.line == 2


def test_unknown_element_is_an_xsd_error_at_its_line():
    files, forms = real_item()
    data = files[MAIN].replace(b"<bpmn:startEvent", b'<bpmn:bogusThing id="bogus" /><bpmn:startEvent', 1)
    errors = validate_bundle(SLUG, SLUG, {MAIN: data}, forms).errors
    assert errors and errors[0].stage == "xsd" and "bogusThing" in errors[0].message
    assert errors[0].line == next(
        i + 1 for i, ln in enumerate(data.decode().splitlines()) if "bogusThing" in ln
    )


def test_condition_the_sandbox_refuses_is_an_error_on_its_gateway():
    files, forms = real_item()
    data = files[MAIN].replace(b'accept_outcome == "refuse"', b'__import__("os").system("id")', 1)
    errors = validate_bundle(SLUG, SLUG, {MAIN: data}, forms).errors
    assert errors and {e.element_id for e in errors} == {"gw_accept"}
    assert all("__import__" in e.message for e in errors)


def test_bad_step_limit_property_is_an_error_on_the_task():
    files, forms = real_item()
    data = set_property(files[MAIN], "review", "time_limit_wd", "two")
    errors = validate_bundle(SLUG, SLUG, {MAIN: data}, forms).errors
    assert [e.element_id for e in errors] == ["review"] and "whole number" in errors[0].message


DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="needs_expert_review" name="needs expert review">
    <decisionTable id="t">
      <input id="i1" label="scale"><inputExpression id="e1" typeRef="string"><text>scale</text></inputExpression></input>
      <output id="o1" name="expert_review" typeRef="boolean" />
      <rule id="r1"><inputEntry id="c1"><text>"large"</text></inputEntry><outputEntry id="c2"><text>True</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="c3"><text>-</text></inputEntry><outputEntry id="c4"><text>OUTPUT</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_dmn_alone_validates_and_a_forbidden_cell_is_an_error_on_its_cell():
    assert validate_bundle(None, None, {"route.dmn": DMN}, {}).errors == []
    bad = DMN.replace(b"<text>OUTPUT</text>", b"<text>__import__('os')</text>")
    errors = validate_bundle(None, None, {"route.dmn": bad}, {}).errors
    assert errors and {(e.element_id, e.file, e.line) for e in errors} == {("c4", "route.dmn", 8)}


@pytest.mark.parametrize("path", MIWG, ids=[f"{p.parent.name}/{p.name}" for p in MIWG])
def test_every_miwg_model_validates_to_success_or_element_level_errors(path):
    result = validate_bundle(None, None, {path.name: path.read_bytes()}, {})
    for finding in result.errors:
        assert finding.element_id, finding
        assert finding.message


def test_miwg_models_include_both_outcomes():
    outcomes = {bool(validate_bundle(None, None, {p.name: p.read_bytes()}, {}).errors) for p in MIWG}
    assert outcomes == {True, False}
