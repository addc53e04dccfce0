"""DMN decision tables validated like BPMN: each bad cell, column or table is an error at its element and
line, on the real EIA expert-review table; and the table, run by the engine, routes at the catalogue's
thresholds."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from engine.definitions import parse_definition, read_process_files
from engine.runtime import CaseRun
from engine.validation import validate_bundle
from tests.processes.scenarios import FORMS, PROCESSES

SLUG = "eia_report_form"
DMN = "eia_expert_review.dmn"
FILES = read_process_files(PROCESSES / SLUG)
FORM_JSON = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (FORMS / SLUG).glob("*.json")}


def line_of(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


def errors_with(old: bytes, new: bytes):
    table = FILES[DMN]
    assert old in table, old
    bad = {**FILES, DMN: table.replace(old, new, 1)}
    return validate_bundle(SLUG, SLUG, bad, FORM_JSON)


def test_the_real_table_validates_without_errors_or_warnings():
    result = validate_bundle(SLUG, SLUG, FILES, FORM_JSON)
    assert result.errors == [] and [f for f in result.warnings if f.file == DMN] == []


@pytest.mark.parametrize(
    ("old", "new", "element", "words"),
    [
        (b"&gt;= 500", b"&gt;= 5OO", "rule_hospital_841_book_in3", ["rule 5", "syntax error"]),
        (b'"coating_264"', b"coating_264", "rule_coating_264_in2", ["unknown name coating_264", "quote"]),
        (b"<text>False</text>", b"<text>false</text>", "rule_coating_264_out1", ["FEEL false", "False"]),
        (b"<text>True</text>", b"<text>__import__('os')</text>", "rule_requested_out1", ["__import__"]),
        (b'hitPolicy="UNIQUE"', b'hitPolicy="FIRST"', "table_eia_expert_review", ["hit policy FIRST"]),
        (
            b'application["project_scale"]',
            b'application["project_size"]',
            "input_project_scale",
            ["no field project_size"],
        ),
        (
            b"<text>review_outcome</text>",
            b"<text>review_result</text>",
            "input_review_outcome",
            ["review_result"],
        ),
        (b"<text>&lt; 10</text>", b"<text>&lt;= 10</text>", "rule_auto_36_form", ["rules 3 and 4"]),
        (
            b'<rule id="rule_other">',
            b'<rule id="rule_other"><inputEntry id="extra"><text>-</text></inputEntry>',
            "rule_other",
            ["4/2 cells"],
        ),
    ],
    ids=[
        "syntax",
        "unquoted-text",
        "feel-false",
        "sandbox",
        "hit-policy",
        "unknown-application-field",
        "unknown-input-name",
        "overlapping-unique-rules",
        "cell-count",
    ],
)
def test_a_bad_table_is_a_finding_at_its_cell_with_the_line(old, new, element, words):
    result = errors_with(old, new)
    found = [f for f in result.findings if f.element_id == element]
    assert found and {(f.file, f.stage) for f in found} == {(DMN, "dmn")}
    # two UNIQUE rules that can both match are a warning (the first applies); everything else an error
    assert {f.severity for f in found} == {"warning" if "rules 3 and 4" in words else "error"}
    table = FILES[DMN].replace(old, new, 1)
    # an input's finding is on the line of its expression, where the text is
    anchor = f'id="{element.replace("input_", "input_expr_", 1)}"'.encode()
    assert {f.line for f in found} == {line_of(table, anchor)}
    messages = " ".join(f.message for f in found)
    for word in words:
        assert word in messages, messages


def test_a_rule_an_earlier_rule_covers_is_an_error_a_catch_all_after_it_only_a_warning():
    # a row for any catalogue row after the coating row: the coating row is covered, not shadowed
    covered = errors_with(b'<text>"coating_264"</text>', b"<text>-</text>")
    assert {f.element_id for f in covered.errors} >= {"rule_auto_36_book"}
    assert any("can never apply" in f.message for f in covered.errors)
    catch_all = errors_with(b'<text>"other"</text>', b"<text>-</text>")
    assert catch_all.errors == []
    assert {f.element_id for f in catch_all.warnings if f.file == DMN} == {"rule_other"}


def test_a_business_rule_task_calling_a_missing_decision_is_an_error_on_the_task():
    bad = {**FILES, f"{SLUG}.bpmn": FILES[f"{SLUG}.bpmn"].replace(b">eia_expert_review<", b">no_such_table<")}
    errors = validate_bundle(SLUG, SLUG, bad, FORM_JSON).errors
    assert [e.element_id for e in errors] == ["classify_expert_review"]
    assert "no_such_table" in errors[0].message


def test_the_dmn_file_is_part_of_the_version_hash():
    edited = {**FILES, DMN: FILES[DMN].replace(b"&gt;= 500", b"&gt;= 300")}
    assert (
        parse_definition(SLUG, SLUG, edited, FORM_JSON).version
        != parse_definition(SLUG, SLUG, FILES, FORM_JSON).version
    )


APPLICATION = yaml.safe_load(
    (PROCESSES / SLUG / "scenarios" / "catalogue_hospital_499_beds_no_expert_review.yaml").read_text(
        encoding="utf-8"
    )
)["application"]
REVIEW_PASS = {"review_outcome": "pass", "review_conclusion": "compliant", "review_opinion": "符合"}


def after_review(row: str, scale: float | None, review: dict) -> CaseRun:
    application = copy.deepcopy(APPLICATION)
    application["eia_catalogue_row"] = row
    if scale is None:
        application.pop("project_scale")
    else:
        application["project_scale"] = scale
    definition = parse_definition(SLUG, SLUG, FILES, FORM_JSON)
    run = CaseRun.start(definition, {"application": application})
    for task, data in [("accept", {"accept_outcome": "accept"}), ("review", review)]:
        (ready,) = [t for t in run.ready_tasks() if t.task_id == task]
        run.complete(ready.id, data)
        run = CaseRun.load(definition, run.dump())
    return run


@pytest.mark.parametrize(
    ("row", "scale", "expert"),
    [
        ("hospital_841", 500, True),
        ("hospital_841", 499, False),
        ("hospital_841", 20, False),
        ("auto_36", 10, True),
        ("auto_36", 9.99, False),
        ("sewage_462", 100000, True),
        ("sewage_462", 99999, False),
        ("coating_264", None, False),
        ("other", None, False),
    ],
)
def test_the_table_routes_at_the_catalogue_thresholds(row, scale, expert):
    run = after_review(row, scale, REVIEW_PASS)
    steps = [t.task_id for t in run.ready_tasks()]
    assert steps == (["organise_expert_review"] if expert else ["decide"])
    data = run.snapshot().data
    assert data["expert_review_required"] is expert and "名录" in data["expert_review_basis"]


def test_a_reviewer_asking_for_expert_review_is_heard_whatever_the_row():
    review = {
        "review_outcome": "expert_review",
        "review_opinion": "需论证",
        "expert_review_reason": "大气预测需论证",
        "expected_duration_wd": 10,
    }
    run = after_review("other", None, review)
    assert [t.task_id for t in run.ready_tasks()] == ["organise_expert_review"]
    assert run.snapshot().data["expert_review_reason"] == "大气预测需论证"


def test_deploying_a_bad_table_outside_the_designer_is_refused_at_its_cell():
    from engine.errors import BpmnValidationError

    bad = {**FILES, DMN: FILES[DMN].replace(b'"coating_264"', b"coating_264", 1)}
    with pytest.raises(BpmnValidationError) as caught:
        parse_definition(SLUG, SLUG, bad, FORM_JSON)  # what `flask deploy-item` runs
    assert ("rule_coating_264_in2", line_of(bad[DMN], b'id="rule_coating_264_in2"')) in {
        (element, line) for element, line, _msg in caught.value.problems
    }
    assert [w for w in parse_definition(SLUG, SLUG, FILES, FORM_JSON).warnings if w.file == DMN] == []
